"""Every definition the statistics use, in words: shown on the "how we count" page and in the PDF.

The query that implements a definition names it (definitions.STARTED, ...) next to its SQL, so a
reader can check one against the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FIRST_YEAR = 2016
# "A status check in the last six months", as the registry's reminders count it.
STATUS_CHECK_DAYS = 183


@dataclass(frozen=True)
class Definition:
    slug: str
    term: str | Promise
    text: str | Promise


COUNTED_STUDIES = Definition(
    "counted",
    _("Which studies are counted"),
    _(
        "Published and completed records in the registry, each study once (duplicates merged "
        "into another record are not counted). A study counts for the node when it has a site "
        "in one of the node's regions, or when it has no sites and is led from one of them. "
        "Studies withdrawn before they started, and studies that have not started, are in no "
        "figure."
    ),
)
REGION_RULE = Definition(
    "regions",
    _("One study, several regions"),
    _(
        "A study with sites in three regions counts once in each region's figure and once in "
        "the node's total. The regions therefore add up to more than the total; the total is "
        "never the sum of the regions."
    ),
)
STARTED = Definition(
    "started",
    _("Started during the year"),
    _(
        "A study starts in a region on the earliest of the dates its first site there opened "
        "and its first participant there was reported. If the record gives neither, the study's "
        "own start date (first enrolment) is used. The node's start is the earliest start in any "
        "of its regions. A study started during a year if that date falls in the year."
    ),
)
ONGOING = Definition(
    "ongoing",
    _("Ongoing during the year"),
    _(
        "A study is ongoing during a year if it started on or before the last day of the year "
        "and had not ended before the first day of the year. A study without an end date is "
        "ongoing until today. A completed or terminated study without an end date is ongoing "
        "until its planned end date, or only in the year it started if it has none."
    ),
)
COMPLETED = Definition(
    "completed",
    _("Completed during the year"),
    _(
        "A study completed during a year if its actual end date (the last participant's last "
        "visit, as the record states it) falls in the year. A study without an actual end date "
        "is never counted as completed."
    ),
)
PARTICIPANTS = Definition(
    "participants",
    _("Participants recruited"),
    _(
        "Site staff report the number of participants enrolled at their site so far, with the "
        "date. Each report adds the difference to the previous report of the same site, counted "
        "in the year and region of the site on the report's date. A report lower than the one "
        "before corrects it: the difference is negative and is shown as such. Per site, a site "
        "is the organisation that recruits (a hospital clinic, a health centre): its figure adds "
        "up the reports of all its studies."
    ),
)
STATUS_CHECK = Definition(
    "status_check",
    _("Status checked in the last six months"),
    _(
        "The share of studies ongoing on the reference day (the last day of the year, or today "
        "for the current year) whose recruitment status someone confirmed in the six months "
        "(183 days) before that day."
    ),
)
CARE_SETTING = Definition(
    "care_setting",
    _("Care setting"),
    _(
        "A study can run in hospital care, primary care and dental care at once; it then counts "
        "once in each setting, and once in the total."
    ),
)
TARGETS = Definition(
    "targets",
    _("Key figures and targets"),
    _(
        "The node office sets targets per region and year for new studies (started during the "
        "year), new industry-sponsored studies, participants recruited and the share of "
        'studies with a status check. Actual figures use the definitions above. "Since last '
        "month\" compares today's figure with the same figure computed as of one month ago."
    ),
)
NATIONAL = Definition(
    "national",
    _("National figures"),
    _(
        "Each node exports its figures and the identifiers of the studies counted, signed with "
        "its key. The national total counts a study once even when it runs in several nodes: "
        "two studies are the same when they share an identifier (NCT, EU CT, EudraCT, ethics "
        "review number or ISRCTN)."
    ),
)

ALL = (
    COUNTED_STUDIES,
    REGION_RULE,
    STARTED,
    ONGOING,
    COMPLETED,
    PARTICIPANTS,
    CARE_SETTING,
    STATUS_CHECK,
    TARGETS,
    NATIONAL,
)
