"""The realistic demo studies, written through the registry's services as their lives went.

Each study is registered, approved, opened at its sites, reported on, changed and closed on
the days its draw says, with the clock set to each day, so its published versions and audit
events spread over the years since registration with the reasons people give. Idempotent:
a study whose ethics case number is already registered is left as it is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.utils import timezone

from studienav.core.demo import DEMO_DOMAIN, REGION_SLUGS
from studienav.core.models import User
from studienav.registry.demo_draw import (
    OVER,
    UNREGISTERED,
    SiteDraft,
    StudyDraft,
    round_nicely,
    study_draw,
    working_day,
)
from studienav.registry.demo_sites import email_address, person, pools_load
from studienav.registry.models import (
    EthicsStatus,
    IdentifierScheme,
    OverallStatus,
    Site,
    SiteStatus,
    Study,
    StudyState,
)
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.records import identifier_owner, record_apply
from studienav.registry.schema import StudyRecord
from studienav.registry.selectors import sites_manageable_by
from studienav.registry.services import (
    site_set_recruitment,
    study_close,
    study_confirm_status,
    study_return,
    study_update,
)

DEMO_STUDIES = 120
# The first studies take every state, so the demo shows each.
_EVERY_STATE = [
    StudyState.DRAFT,
    StudyState.SUBMITTED,
    StudyState.RETURNED,
    StudyState.PUBLISHED,
    StudyState.COMPLETED,
    StudyState.WITHDRAWN,
    StudyState.ARCHIVED,
]
_CLOSED_STATES = (StudyState.COMPLETED, StudyState.ARCHIVED, StudyState.WITHDRAWN)
# Researchers asking to change a published record: enough to fill the coordinators' queue.
_PENDING_CHANGES = 3
# What people write when they change a record (Swedish: the node's staff write them).
_REASONS = {
    "created": ("Ny studie registrerad", "Studien registrerad av forskargruppen"),
    "approved": (
        "Etikprövningsmyndigheten har godkänt studien",
        "Etikgodkännande klart",
    ),
    "nct": ("NCT-nummer tillagt", "Registrerad på ClinicalTrials.gov"),
    "inclusion": (
        "Förtydligade inklusionskriterier",
        "Inklusionskriterierna justerade efter synpunkter från prövningsställena",
    ),
    "contact": ("Ny kontaktperson för studien", "Bytt kontaktperson: ny forskningssjuksköterska"),
    "started": ("Rekryteringen har startat", "Första deltagaren inkluderad"),
    "report": (
        "Antal inkluderade deltagare uppdaterat",
        "Rapport från prövningsstället",
        "Månadsrapport om inkluderade deltagare",
    ),
    "target": (
        "Uppdaterat antal deltagare",
        "Uppdaterat antal deltagare efter ny styrkeberäkning",
        "Uppdaterat antal deltagare: fler prövningsställen i Sverige",
    ),
    "extended": (
        "Rekryteringsperioden förlängd",
        "Förlängd studietid: rekryteringen går långsammare än planerat",
    ),
    "paused": (
        "Rekryteringen pausad under en säkerhetsgenomgång",
        "Rekryteringen pausad i väntan på ny leverans av prövningsprodukten",
        "Rekryteringen pausad på grund av personalbrist",
    ),
    "closed": (
        "Rekryteringen avslutad",
        "Rekryteringen avslutad: målet för antal deltagare är nått",
    ),
    "completed": (
        "Studien avslutad: sista deltagarens sista besök är genomfört",
        "Studien avslutad enligt plan",
    ),
    "terminated": (
        "Studien avbröts i förtid på grund av för låg rekrytering",
        "Studien avbröts efter beslut av sponsorn",
    ),
    "archived": ("Arkiverad: resultaten är publicerade", "Arkiverad efter slutrapport"),
    "withdrawn": (
        "Studien drogs tillbaka: finansieringen beviljades inte",
        "Studien drogs tillbaka innan rekryteringen startade",
    ),
    "returned": (
        "Sammanfattningen på svenska behöver skrivas enklare så att patienter förstår den.",
        "Ange planerat antal deltagare per prövningsställe och lägg till en sammanfattning "
        "på engelska.",
        "Beskriv i sammanfattningen vad det innebär att delta, till exempel hur många besök "
        "det blir.",
    ),
    "proposed": (
        "Rekryteringen går långsammare än planerat; vi behöver förlänga studien ett halvår.",
        "Vi vill förlänga rekryteringen sex månader eftersom ett prövningsställe kom igång sent.",
    ),
}


def _user(email: str) -> User:
    return User.objects.get(email=f"{email}@{DEMO_DOMAIN}")


@dataclass(frozen=True)
class _Cast:
    """The demo people who register, review and report: per region, and the node office."""

    researchers: dict[str, User]
    coordinators: dict[str, User]
    nurses: dict[str, User]
    office: User
    # Whether a region's research nurse keeps an organisation's sites (her hospital's).
    _nurse_keeps: dict[tuple[int, int], bool] = field(default_factory=dict)

    def reporter(self, site: Site) -> User:
        """The research nurse of the site's region when the site is at her hospital, else the
        node office."""
        nurse = self.nurses.get(site.region.code if site.region else "")
        if nurse is None:
            return self.office
        key = (nurse.pk, site.organisation_id)
        if key not in self._nurse_keeps:
            self._nurse_keeps[key] = sites_manageable_by(nurse).filter(pk=site.pk).exists()
        return nurse if self._nurse_keeps[key] else self.office

    @classmethod
    def load(cls) -> _Cast:
        slugs = REGION_SLUGS
        return cls(
            researchers={
                c: _user("anna" if c == "03" else f"researcher.{slugs[c]}") for c in slugs
            },
            coordinators={
                c: _user("bertil" if c == "18" else f"coordinator.{slugs[c]}") for c in slugs
            },
            nurses={c: _user(f"nurse.{slugs[c]}") for c in slugs},
            office=_user("cecilia"),
        )


# --- records: the whole study as registered, and the changes after -----------------------------


def _site_json(site: SiteDraft, **fields: Any) -> dict[str, Any]:
    organisation = site.organisation
    return {
        "organisation": organisation.name,
        "city": organisation.city,
        "country": organisation.country,
        "region": organisation.region.code if organisation.region else None,
        **fields,
    }


def _full_site(site: SiteDraft, status: str, start: date | None) -> dict[str, Any]:
    return _site_json(
        site,
        principal_investigator=site.investigator,
        contact_email=site.contact_email,
        recruitment_status=status,
        target_enrolment=site.target,
        start_date=start,
    )


def _identifier_json(identifiers: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"scheme": scheme, "value": value, "is_primary": index == 0}
        for index, (scheme, value) in enumerate(identifiers)
    ]


def study_record(draft: StudyDraft, state: str, **changes: Any) -> StudyRecord:
    """The whole record as registered, with `changes` over the drawn (final) values."""
    data = {k: v for k, v in draft.fields.items() if k != "therapeutic_area"}
    data |= {k: v for k, v in changes.items() if k not in ("sites", "identifiers")}
    sites = changes.get("sites")
    if sites is None:
        sites = [_full_site(s, s.status, s.start) for s in draft.sites]
    return StudyRecord.model_validate(
        {
            **data,
            "state": state,
            "source": "demo",
            "identifiers": _identifier_json(changes.get("identifiers", draft.identifiers)),
            "conditions": [
                {"name": c.name_sv if draft.swedish else c.name_en, "icd10": c.icd10}
                for c in draft.conditions
            ],
            "interventions": [
                {"type": kind, "name": name, "description": text}
                for kind, name, text in draft.interventions
            ],
            "outcomes": [
                {"kind": kind, "measure": measure, "time_frame": frame}
                for kind, measure, frame in draft.outcomes
            ],
            "sites": sites,
        }
    )


def _change(
    draft: StudyDraft, *, identifiers: Sequence[tuple[str, str]] = (), **fields: Any
) -> StudyRecord:
    """A record that changes only `fields`, adds `identifiers` and the sites it lists."""
    return StudyRecord.model_validate(
        {
            "identifiers": _identifier_json([draft.identifiers[0], *identifiers]),
            "public_title": draft.fields["public_title"],
            "study_type": draft.fields["study_type"],
            "sponsor_type": draft.fields["sponsor_type"],
            **fields,
        }
    )


# --- a study's life as a list of dated changes --------------------------------------------------


@dataclass
class _Event:
    """One change to one study, made through one of the services on `day`."""

    day: date
    order: int  # the order of kinds on one day: registration before recruitment before reports
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """A study's life: the draft it ends as, the record as first registered, and the changes
    that lead from one to the other."""

    index: int
    draft: StudyDraft
    registered: dict[str, Any] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    study_id: int | None = None

    @property
    def closes(self) -> bool:
        return self.draft.state in _CLOSED_STATES

    @property
    def is_ongoing(self) -> bool:
        return self.draft.state == StudyState.PUBLISHED and self.draft.fields["overall_status"] in (
            OverallStatus.RECRUITING,
            OverallStatus.ENROLLING_BY_INVITATION,
        )


class _Life:
    """Builds a plan: what the record said when registered and each change after, on days
    between the registration and yesterday."""

    def __init__(self, index: int, draft: StudyDraft, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.draft = draft
        self.fields = draft.fields
        created = draft.days["created"]
        assert created is not None
        self.created = created
        self.yesterday = today - timedelta(days=1)
        self.today = today
        self.plan = _Plan(index, draft)

    def add(self, day: date | None, order: int, kind: str, **payload: Any) -> None:
        if day is not None and self.created <= day <= self.yesterday:
            self.plan.events.append(_Event(working_day(day), order, kind, payload))

    def reason(self, kind: str) -> str:
        return self.rng.choice(_REASONS[kind])

    def unregistered(self) -> _Plan:
        """Drafts, submissions and returned records: created lately, nothing published yet."""
        self.plan.registered["state"] = (
            StudyState.DRAFT if self.draft.state == StudyState.DRAFT else StudyState.SUBMITTED
        )
        if self.draft.state == StudyState.RETURNED:
            day = min(self.created + timedelta(days=self.rng.randint(2, 7)), self.yesterday)
            self.add(day, 1, "return", comment=self.reason("returned"))
        return self.plan

    def published(self) -> _Plan:
        self.plan.registered = {
            "state": StudyState.PUBLISHED,
            "overall_status": OverallStatus.NOT_YET_RECRUITING,
            "actual_start_date": None,
            "actual_end_date": None,
        }
        self._paperwork()
        self._sites()
        self._plans_change()
        self._ending()
        self._upkeep()
        return self.plan

    def _paperwork(self) -> None:
        """Ethics approval after registration, an NCT number, a reworded criterion, a contact."""
        fields, registered, rng = self.fields, self.plan.registered, self.rng
        approved = fields["ethics_approved_on"]
        if fields["ethics_status"] == EthicsStatus.APPROVED and approved > self.created:
            registered |= {"ethics_status": EthicsStatus.PENDING, "ethics_approved_on": None}
            self.add(
                approved,
                1,
                "record",
                fields={"ethics_status": EthicsStatus.APPROVED, "ethics_approved_on": approved},
                reason=self.reason("approved"),
            )
        # An academic study's NCT number often comes some weeks after the registration.
        nct = [i for i in self.draft.identifiers if i[0] == IdentifierScheme.NCT]
        if nct and self.draft.swedish and rng.random() < 0.5:
            registered["identifiers"] = [
                i for i in self.draft.identifiers if i[0] != IdentifierScheme.NCT
            ]
            day = self.created + timedelta(days=rng.randint(14, 90))
            self.add(day, 2, "record", identifiers=nct, fields={}, reason=self.reason("nct"))
        if rng.random() < 0.15:
            lang = 0 if self.draft.swedish else 1
            inclusion = self.draft.template.inclusion
            earlier = f"{inclusion[0][lang]}\n\n{inclusion[-1][lang]}"
            if earlier != fields["inclusion_criteria"]:
                registered["inclusion_criteria"] = earlier
                day = self.created + timedelta(days=rng.randint(10, 60))
                data = {"inclusion_criteria": fields["inclusion_criteria"]}
                self.add(day, 3, "update", data=data, reason=self.reason("inclusion"))
        if rng.random() < 0.12:
            first, last = person(rng)
            registered |= {
                "public_contact_name": f"{first} {last}",
                "public_contact_email": email_address(first, last, self.draft.lead_region.code),
            }
            day = self.created + timedelta(days=rng.randint(90, 700))
            data = {k: fields[k] for k in ("public_contact_name", "public_contact_email")}
            self.add(day, 3, "update", data=data, reason=self.reason("contact"))

    def _sites(self) -> None:
        """Sites listed at registration or added later; each opens, then reports enrolment."""
        fields, rng = self.fields, self.rng
        start = fields["actual_start_date"]
        by_invitation = fields["overall_status"] == OverallStatus.ENROLLING_BY_INVITATION
        recruiting = SiteStatus.BY_INVITATION if by_invitation else SiteStatus.RECRUITING
        listed: list[SiteDraft] = []
        cities: set[str] = set()
        with_study: list[dict[str, Any]] = []
        for position, site in enumerate(self.draft.sites):
            added = None
            if position > 0 and site.start is not None and rng.random() < 0.4:
                added = site.start - timedelta(days=rng.randint(14, 60))
                if added <= self.created + timedelta(days=20):
                    added = None
            city = site.organisation.city
            if added is None:
                listed.append(site)
            else:
                new = _full_site(site, SiteStatus.NOT_YET_RECRUITING, None)
                reason = (
                    f"Ny prövningsplats i {city}"
                    if city and city not in cities
                    else f"Nytt prövningsställe: {site.organisation.name}"
                )
                self.add(added, 4, "record", fields={"sites": [new]}, reason=reason)
            cities.add(city)
            if site.start is None or start is None:
                continue
            opened = _site_json(site, recruitment_status=recruiting, start_date=site.start)
            if added is None and site.start - start <= timedelta(days=14):
                with_study.append(opened)
            else:
                reason = f"Rekryteringen har startat vid {site.organisation.name}"
                self.add(site.start, 6, "record", fields={"sites": [opened]}, reason=reason)
            # The lead site reports every time; the others' last report stands for theirs.
            for day, value in site.reports if position == 0 else site.reports[-1:]:
                self.add(
                    day,
                    7,
                    "report",
                    site=site.organisation.pk,
                    status=recruiting,
                    value=value,
                    reason=self.reason("report"),
                )
        self.plan.registered["sites"] = [
            _full_site(s, SiteStatus.NOT_YET_RECRUITING, None) for s in listed
        ]
        if start is not None:
            status = (
                OverallStatus.ENROLLING_BY_INVITATION if by_invitation else OverallStatus.RECRUITING
            )
            opening = {"overall_status": status, "actual_start_date": start, "sites": with_study}
            self.add(start, 5, "record", fields=opening, reason=self.reason("started"))

    def _plans_change(self) -> None:
        """More or fewer participants than first planned, a longer study."""
        fields, days, rng = self.fields, self.draft.days, self.rng
        moved = fields["actual_start_date"] or self.created
        ending = days["closed"] or days["paused"] or self.yesterday
        if rng.random() < 0.25 and ending > moved + timedelta(days=60):
            target = fields["target_enrolment"]
            self.plan.registered["target_enrolment"] = round_nicely(
                target * rng.choice((0.6, 0.75, 1.25, 1.5))
            )
            day = moved + timedelta(days=rng.randint(30, (ending - moved).days))
            data = {"target_enrolment": target}
            self.add(day, 8, "update", data=data, reason=self.reason("target"))
        end = fields["planned_end_date"]
        earlier = end - timedelta(days=rng.randint(120, 365))
        if rng.random() < 0.25 and earlier > moved + timedelta(days=180):
            self.plan.registered["planned_end_date"] = earlier
            day = min(moved + timedelta(days=rng.randint(90, 540)), earlier)
            self.add(
                day, 9, "update", data={"planned_end_date": end}, reason=self.reason("extended")
            )

    def _ending(self) -> None:
        """Paused, closed, completed or stopped early, archived, withdrawn."""
        fields, days, draft = self.fields, self.draft.days, self.draft
        status, end = fields["overall_status"], fields["actual_end_date"]
        opened = [s for s in draft.sites if s.start is not None]
        if status == OverallStatus.SUSPENDED:
            paused = [_site_json(s, recruitment_status=SiteStatus.PAUSED) for s in opened]
            change = {"overall_status": OverallStatus.SUSPENDED, "sites": paused}
            self.add(days["paused"], 10, "record", fields=change, reason=self.reason("paused"))
        closed_sites = [_site_json(s, recruitment_status=SiteStatus.CLOSED) for s in draft.sites]
        if days["closed"] is not None:
            change = {"overall_status": OverallStatus.ACTIVE_NOT_RECRUITING, "sites": closed_sites}
            self.add(days["closed"], 11, "record", fields=change, reason=self.reason("closed"))
        if status in OVER:
            self.add(end, 12, "close", state=StudyState.COMPLETED, reason=self.reason("completed"))
        if status == OverallStatus.TERMINATED:
            change = {"overall_status": OverallStatus.TERMINATED}
            self.add(end, 13, "record", fields=change, reason=self.reason("terminated"))
        if draft.state == StudyState.ARCHIVED and end is not None:
            day = min(end + timedelta(days=self.rng.randint(90, 400)), self.yesterday)
            self.add(day, 14, "close", state=StudyState.ARCHIVED, reason=self.reason("archived"))
        if draft.state == StudyState.WITHDRAWN:
            reason = self.reason("withdrawn")
            latest = min(fields["planned_start_date"], self.yesterday)
            span = max(21, (latest - self.created).days)
            day = min(self.created + timedelta(days=self.rng.randint(20, span)), self.yesterday)
            change = {"overall_status": OverallStatus.WITHDRAWN, "sites": closed_sites}
            self.add(day, 15, "record", fields=change, reason=reason)
            self.add(day, 16, "close", state=StudyState.WITHDRAWN, reason=reason)

    def _upkeep(self) -> None:
        """The six-monthly check of a published study: most were confirmed lately; a stale one
        has had no confirmation and no enrolment report for more than six months."""
        if self.draft.state != StudyState.PUBLISHED or self.fields["overall_status"] in OVER:
            return
        confirmed = self.today - timedelta(days=self.draft.confirmed_days_ago)
        if self.draft.confirmed_days_ago >= 180:
            # Reports confirm the status too: a stale study has had none since.
            self.plan.events = [
                e for e in self.plan.events if e.kind != "report" or e.day <= confirmed
            ]
        self.add(confirmed, 17, "confirm")

    def propose(self) -> None:
        """A researcher asks to extend the study; the change waits for the coordinator."""
        data = {"planned_end_date": self.fields["planned_end_date"] + timedelta(days=182)}
        day = self.yesterday - timedelta(days=self.rng.randint(1, 20))
        self.add(day, 18, "propose", data=data, reason=self.reason("proposed"))


def _timed(plans: list[_Plan], rng: random.Random) -> list[tuple[datetime, _Plan, _Event]]:
    """Every plan's events at a time of day, all in the order they happened."""
    timeline: list[tuple[datetime, _Plan, _Event]] = []
    for plan in plans:
        created = plan.draft.days["created"]
        assert created is not None
        events = [
            _Event(created, 0, "create"),
            *sorted(plan.events, key=lambda e: (e.day, e.order)),
        ]
        previous: datetime | None = None
        for event in events:
            moment = clock(rng.randint(8, 15), rng.randint(0, 59))
            at = timezone.make_aware(datetime.combine(event.day, moment))
            if previous is not None and at <= previous:
                at = previous + timedelta(minutes=rng.randint(1, 20))
            previous = at
            timeline.append((at, plan, event))
    timeline.sort(key=lambda item: (item[0], item[1].index, item[2].order))
    return timeline


def _apply(plan: _Plan, event: _Event, cast: _Cast, matcher: OrganisationMatcher) -> None:
    """Make one change through the service a person would use for it."""
    draft, payload = plan.draft, event.payload
    code = draft.lead_region.code
    researcher, coordinator = cast.researchers[code], cast.coordinators[code]
    if event.kind == "create":
        registered = dict(plan.registered)
        state = registered.pop("state")
        # Records that end closed came in from a registry: nobody is told when they close.
        result = record_apply(
            record=study_record(draft, state, **registered),
            by=None if plan.closes else researcher,
            reason=_REASONS["created"][plan.index % 2],
            matcher=matcher,
        )
        plan.study_id = result.study.pk
        if not plan.closes:
            result.study.editors.add(researcher)
        return
    assert plan.study_id is not None
    study = Study.objects.get(pk=plan.study_id)
    if event.kind == "record":
        change = _change(draft, identifiers=payload.get("identifiers", []), **payload["fields"])
        record_apply(record=change, by=researcher, reason=payload["reason"], matcher=matcher)
    elif event.kind == "update":
        study_update(study=study, by=coordinator, data=payload["data"], reason=payload["reason"])
    elif event.kind == "propose":
        study_update(study=study, by=researcher, data=payload["data"], reason=payload["reason"])
    elif event.kind == "report":
        site = study.sites.select_related("region").get(organisation_id=payload["site"])
        site_set_recruitment(
            site=site,
            by=cast.reporter(site),
            status=payload["status"],
            actual_enrolment=max(payload["value"], site.actual_enrolment or 0),
            reported_on=event.day,
            reason=payload["reason"],
        )
    elif event.kind == "close":
        study_close(study=study, by=coordinator, state=payload["state"], reason=payload["reason"])
    elif event.kind == "return":
        study_return(study=study, by=coordinator, comment=payload["comment"])
    elif event.kind == "confirm":
        study_confirm_status(study=study, by=researcher)


def demo_studies_load(*, seed: int, count: int = DEMO_STUDIES) -> dict[str, int]:
    """The realistic set: each study registered, changed, reported on and closed through the
    services on the days it happened (the clock is set to each); idempotent."""
    import time_machine  # a development dependency, as the demo data is for development

    rng = random.Random(f"registry-demo-{seed}")  # noqa: S311  (demo data, not secrets)
    pools = pools_load()
    today = timezone.localdate()
    counts = {"created": 0, "unchanged": 0, "updated": 0}
    plans: list[_Plan] = []
    proposals = 0
    for index in range(count):
        forced = _EVERY_STATE[index] if index < len(_EVERY_STATE) else None
        draft = study_draw(rng, pools, index, today, demo=True, state=forced)
        history = random.Random(f"registry-demo-{seed}-{index}")  # noqa: S311
        life = _Life(index, draft, history, today)
        plan = life.unregistered() if draft.state in UNREGISTERED else life.published()
        if plan.is_ongoing and draft.confirmed_days_ago < 180 and proposals < _PENDING_CHANGES:
            life.propose()
            proposals += 1
        if identifier_owner(*draft.identifiers[0]) is not None:
            counts["unchanged"] += 1
            continue
        plans.append(plan)
    cast = _Cast.load()
    matcher = OrganisationMatcher()
    timeline = _timed(plans, random.Random(f"registry-demo-{seed}-times"))  # noqa: S311
    for at, plan, event in timeline:
        with time_machine.travel(at, tick=False):
            _apply(plan, event, cast, matcher)
    for plan in plans:
        if plan.closes and plan.study_id is not None:
            researcher = cast.researchers[plan.draft.lead_region.code]
            Study.objects.get(pk=plan.study_id).editors.add(researcher)
    counts["created"] = len(plans)
    return counts
