"""The call's rules checked on an application at submission: regions, budget, documents, texts.

Every problem names the form field it belongs to, so that the page shows each one next to
its field, all at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from studienav.core.selectors import node_regions
from studienav.funding.models import Application


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str


def sek(amount: int) -> str:
    """An amount in kronor with thin-space thousands: 1 500 000 kr."""
    return f"{amount:,}".replace(",", "\u00a0") + " kr"


def participating_regions(application: Application) -> list[str]:
    """Region codes of the main applicant and the co-applicants who confirmed."""
    codes = {application.region.code}
    codes |= {c.region.code for c in application.co_applicants.all() if c.is_confirmed}
    return sorted(codes)


def budget_totals(application: Application) -> dict[str, object]:
    """Totals per year, per region and overall, computed from the budget lines."""
    per_year: dict[int, int] = defaultdict(int)
    per_region: dict[str, int] = defaultdict(int)
    for line in application.budget_lines.select_related("region"):
        per_year[line.year] += line.amount
        per_region[line.region.code] += line.amount
    return {
        "per_year": dict(sorted(per_year.items())),
        "per_region": dict(sorted(per_region.items())),
        "total": sum(per_year.values()),
    }


def eligibility_problems(application: Application) -> list[Problem]:
    """What stops the application from being submitted, per field; empty when eligible."""
    call = application.call
    problems: list[Problem] = []
    if not application.description.strip():
        problems.append(Problem("description", "description_missing", _("Describe the project.")))
    if not application.plan.strip():
        problems.append(Problem("plan", "plan_missing", _("Write the project plan.")))
    for section in call.sections_localised:
        key = str(section["key"])
        text = str(application.section_texts.get(key, "")).strip()
        limit = int(str(section.get("max_chars") or 0))
        if not text:
            problems.append(
                Problem(
                    f"section_{key}",
                    "section_missing",
                    _("Fill in the section “%(title)s”.") % {"title": section["title"]},
                )
            )
        elif limit and len(text) > limit:
            problems.append(
                Problem(
                    f"section_{key}",
                    "section_too_long",
                    _("“%(title)s” has %(n)s characters; at most %(max)s are allowed.")
                    % {"title": section["title"], "n": len(text), "max": limit},
                )
            )

    node = set(node_regions().values_list("code", flat=True))
    regions = participating_regions(application)
    inside = [code for code in regions if code in node]
    pending = [c for c in application.co_applicants.all() if not c.is_confirmed]
    if len(inside) < call.min_regions:
        message = _(
            "Applicants from at least %(min)s of the node's regions must take part; %(n)s do now."
        ) % {"min": call.min_regions, "n": len(inside)}
        if pending:
            message += " " + _("Still waiting for confirmation from: %(names)s.") % {
                "names": ", ".join(c.name for c in pending)
            }
        problems.append(Problem("co_applicants", "too_few_regions", message))

    lines = list(application.budget_lines.select_related("region"))
    totals = budget_totals(application)
    per_year = totals["per_year"]
    assert isinstance(per_year, dict)
    if not lines:
        problems.append(Problem("budget", "budget_missing", _("Fill in the budget.")))
    for year, amount in per_year.items():
        if year not in call.years:
            problems.append(
                Problem(
                    "budget",
                    "budget_year_outside",
                    _("%(year)s is outside the project years of the call (%(first)s–%(last)s).")
                    % {"year": year, "first": call.years[0], "last": call.years[-1]},
                )
            )
        if amount > call.budget_per_year:
            problems.append(
                Problem(
                    "budget",
                    "budget_year_ceiling",
                    _("The budget for %(year)s is %(amount)s; the ceiling per year is %(max)s.")
                    % {
                        "year": year,
                        "amount": sek(amount),
                        "max": sek(call.budget_per_year),
                    },
                )
            )
    total = int(str(totals["total"]))
    if total > call.budget_total:
        problems.append(
            Problem(
                "budget",
                "budget_total_ceiling",
                _("The total budget is %(amount)s; the ceiling is %(max)s.")
                % {"amount": sek(total), "max": sek(call.budget_total)},
            )
        )
    outside = sorted({line.region.short_name for line in lines if line.region.code not in regions})
    if outside:
        problems.append(
            Problem(
                "budget",
                "budget_region_not_participating",
                _("Budget for %(regions)s, where no confirmed applicant works.")
                % {"regions": ", ".join(outside)},
            )
        )

    attached = set(application.attachments.values_list("document_key", flat=True))
    for document in call.documents_localised:
        if document["key"] not in attached:
            problems.append(
                Problem(
                    "attachments",
                    "document_missing",
                    _("Attach the document “%(title)s” (PDF).") % {"title": document["title"]},
                )
            )
    return problems
