"""The decision letter, typeset as PDF in the language chosen for it."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from studienav.core.pdf import Document, Facts, Grid, Heading, Text, pdf_render
from studienav.core.selectors import current_node
from studienav.funding.eligibility import budget_totals, sek
from studienav.funding.models import Decision


def decision_letter_pdf(decision: Decision) -> bytes:
    """The letter to the applicants: the decision, the amount, the reasons, the follow-up."""
    application = decision.application
    call = application.call
    with translation.override(decision.letter_language):
        node = current_node()
        granted = decision.is_granted
        co_applicants = ", ".join(
            f"{c.name} ({c.region.short_name})" for c in application.co_applicants.all()
        )
        facts = [
            (_("Reference"), application.reference),
            (_("Call"), call.title),
            (_("Project title"), application.title),
            (_("Main applicant"), f"{application.main_applicant} ({application.organisation})"),
            (_("Co-applicants"), co_applicants or "—"),
            (_("Decided on"), timezone.localtime(decision.decided_at).strftime("%Y-%m-%d")),
            (_("Decision"), str(decision.get_outcome_display())),
        ]
        totals = budget_totals(application)
        facts.append((_("Amount applied for"), sek(int(str(totals["total"])))))
        if granted:
            facts.append((_("Amount granted"), sek(decision.amount)))
        blocks: list[Heading | Text | Facts | Grid] = [
            Text(
                _("The research council has granted your application.")
                if granted
                else _("The research council has decided not to grant your application.")
            ),
            Facts(facts),
            Heading(_("Reasons")),
            Text(decision.reasons),
        ]
        if granted:
            blocks += [
                Heading(_("Follow-up")),
                Text(
                    _(
                        "The project reports every year by 1 March on the year before: "
                        "progress, publications (with DOI), studies registered and further "
                        "funding. You will be reminded before each report is due."
                    )
                ),
            ]
        blocks.append(
            Text(
                _("Decided by %(name)s for the research council's priority committee.")
                % {"name": decision.decided_by}
            )
        )
        document = Document(
            title=_("Decision on your application"),
            subtitle=str(node) if node else "",
            language=decision.letter_language,
            blocks=blocks,
            footer=application.reference,
        )
        return pdf_render(document)
