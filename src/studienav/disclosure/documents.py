"""The PDF documents of a region's case: the decision letter and the whole case file."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from studienav.core.models import AuditEvent, Region
from studienav.core.pdf import Block, Document, Facts, Grid, Heading, Text, pdf_render
from studienav.disclosure.models import (
    ClarificationMessage,
    Decision,
    DecisionKind,
    DisclosureRequest,
    RegionCase,
    SecrecyAssessment,
)


def _day(moment: object) -> str:
    if moment is None:
        return "–"
    if hasattr(moment, "tzinfo"):
        return timezone.localtime(moment).strftime("%Y-%m-%d")  # type: ignore[arg-type]
    return str(moment)


def _region_name(region: Region) -> str:
    return region.display_name


def appeal_text_default(region: Region, language: str) -> str:
    """The standard information on how to appeal a region's decision (OSL ch. 6 sec. 8)."""
    with translation.override(language):
        return _(
            "If you are not satisfied with the decision, you may appeal to the Administrative "
            "Court of Appeal (kammarrätten). Write to %(region)s, say which decision you appeal "
            "(give the reference number) and what change you want. The appeal must reach the "
            "region within three weeks of the day you received the decision."
        ) % {"region": region.display_name}


def _decision_sentence(decision: Decision) -> str:
    sentences = {
        DecisionKind.APPROVE: _("The region discloses the data as requested."),
        DecisionKind.CONDITIONS: _(
            "The region discloses the data as requested, with the conditions (förbehåll) below "
            "under chapter 10, section 14 of the Public Access to Information and Secrecy Act."
        ),
        DecisionKind.IN_PART: _(
            "The region discloses part of the data requested, as described below, and refuses "
            "the rest for the reasons given."
        ),
        DecisionKind.REJECT: _(
            "The region refuses to disclose the data: it is covered by secrecy under chapter 25 "
            "of the Public Access to Information and Secrecy Act, for the reasons given."
        ),
    }
    return str(sentences[DecisionKind(decision.kind)])


def _request_facts(request: DisclosureRequest) -> list[tuple[str, str]]:
    approvals = ", ".join(
        f"{a.case_number} ({a.decided_on.isoformat()})" for a in request.ethics_approvals.all()
    )
    return [
        (_("Requester"), request.requester.full_name),
        (_("Organisation"), str(request.organisation or "–")),
        (_("Project title"), request.title),
        (_("Ethics approvals"), approvals or "–"),
    ]


def decision_document(decision: Decision, language: str) -> Document:
    """The decision letter in `language`, with the region's reference number."""
    case = decision.case
    with translation.override(language):
        blocks: list[Block] = [
            Facts(
                [
                    (_("Reference number"), case.reference),
                    (_("Region"), _region_name(case.region)),
                    (_("Date of decision"), _day(decision.decided_at)),
                    *_request_facts(case.request),
                    (_("Decision"), decision.get_kind_display()),
                ]
            ),
            Heading(_("Decision")),
            Text(_decision_sentence(decision)),
        ]
        if decision.scope:
            blocks += [Heading(_("What is disclosed")), Text(decision.scope)]
        if decision.conditions:
            blocks += [Heading(_("Conditions (förbehåll)")), Text(decision.conditions)]
        if decision.reasons:
            blocks += [Heading(_("Reasons")), Text(decision.reasons)]
        if decision.appeal:
            blocks += [Heading(_("How to appeal")), Text(decision.appeal)]
        blocks += [
            Text(
                _("Decided by %(name)s, disclosure officer, %(region)s.")
                % {"name": decision.decided_by.full_name, "region": _region_name(case.region)}
            )
        ]
        return Document(
            title=_("Decision on disclosure of health data"),
            subtitle=f"{_region_name(case.region)} · {case.reference}",
            language=language,
            blocks=blocks,
            footer=case.reference,
            keywords=(case.reference,),
        )


def decision_pdf(decision: Decision, language: str) -> bytes:
    return pdf_render(decision_document(decision, language))


def _assessment_blocks(assessments: Sequence[SecrecyAssessment]) -> list[Block]:
    blocks: list[Block] = [Heading(_("Secrecy assessment (internal to the region)"))]
    for item in assessments:
        blocks += [
            Facts(
                [
                    (_("Assessed"), f"{_day(item.assessed_at)} · {item.assessed_by.full_name}"),
                    (_("Which data"), item.data_concerned),
                    (_("Harm test"), item.harm_test),
                    (_("Outcome"), item.get_outcome_display()),
                    (_("Legal basis checked"), _("yes") if item.legal_basis_checked else _("no")),
                    (_("Ethics approval covers it"), _("yes") if item.ethics_covers else _("no")),
                    (_("Minimisation"), item.minimisation or "–"),
                    (_("Internal notes"), item.internal_notes or "–"),
                ]
            )
        ]
    return blocks


def _thread_blocks(messages: Sequence[ClarificationMessage]) -> list[Block]:
    rows = [
        [
            _day(m.sent_at),
            m.author.full_name,
            str(_("Question") if m.is_question else _("Answer")),
            m.text,
        ]
        for m in messages
    ]
    return [
        Heading(_("Clarifications")),
        Grid([_("Date"), _("Who"), _("Kind"), _("Text")], rows),
    ]


def case_file_document(
    case: RegionCase, *, events: Sequence[AuditEvent], language: str
) -> Document:
    """The whole case of one region: request, data wanted, files, assessment, clarifications,
    decision, delivery and the audit trail. For the region's own officers."""
    request = case.request
    with translation.override(language):
        blocks: list[Block] = [
            Facts(
                [
                    (_("Reference number"), case.reference),
                    (_("Region"), _region_name(case.region)),
                    (_("State"), case.get_state_display()),
                    (_("Case handler"), case.handler.full_name if case.handler else "–"),
                    (_("Received"), _day(case.received_at)),
                    (_("Decided"), _day(case.decided_at)),
                    (_("Delivered"), _day(case.delivered_at)),
                    (_("Closed"), _day(case.closed_at)),
                ]
            ),
            Heading(_("The request")),
            Facts(
                [
                    *_request_facts(request),
                    (_("Purpose"), request.purpose),
                    (_("Legal basis"), request.get_legal_basis_display()),
                    (_("Legal basis, in more detail"), request.legal_basis_details or "–"),
                    (
                        _("Pseudonymised"),
                        _("yes") if request.is_pseudonymised else _("no"),
                    ),
                    (_("Who holds the code key"), request.key_holder or "–"),
                    (_("Delivery format"), request.get_delivery_format_display()),
                    (_("Secure channel"), request.get_secure_channel_display()),
                    (_("Data kept until"), _day(request.retain_until)),
                    (_("Retention and deletion plan"), request.deletion_plan),
                    (_("Study in the registry"), str(request.study or "–")),
                ]
            ),
        ]
        wanted = request.data_wanted.filter(region=case.region).first()
        if wanted is not None:
            blocks += [
                Heading(_("Data wanted from the region")),
                Facts(
                    [
                        (_("Registers and systems"), wanted.registers),
                        (_("Variables"), wanted.variables),
                        (_("Period"), f"{wanted.period_start} – {wanted.period_end}"),
                        (_("Population criteria"), wanted.population),
                        (_("Images"), wanted.images if wanted.includes_images else _("none")),
                    ]
                ),
            ]
        attachments = [
            [a.original_name, a.get_kind_display(), str(a.size), a.sha256]
            for a in request.attachments.all()
        ]
        if attachments:
            blocks += [
                Heading(_("Attachments")),
                Grid([_("File"), _("Kind"), _("Bytes"), "SHA-256"], attachments),
            ]
        assessments = list(case.assessments.select_related("assessed_by"))
        if assessments:
            blocks += _assessment_blocks(assessments)
        messages = list(case.messages.select_related("author"))
        if messages:
            blocks += _thread_blocks(messages)
        decision = getattr(case, "decision", None)
        if decision is not None:
            blocks += [
                Heading(_("Decision")),
                Facts(
                    [
                        (_("Decision"), decision.get_kind_display()),
                        (_("Date of decision"), _day(decision.decided_at)),
                        (_("What is disclosed"), decision.scope or "–"),
                        (_("Conditions (förbehåll)"), decision.conditions or "–"),
                        (_("Reasons"), decision.reasons or "–"),
                        (_("Decision PDF, SHA-256"), decision.pdf_sha256 or "–"),
                    ]
                ),
            ]
        delivery = getattr(case, "delivery", None)
        if delivery is not None:
            blocks += [
                Heading(_("Delivery")),
                Facts(
                    [
                        (_("What was delivered"), delivery.description),
                        (_("Delivered on"), str(delivery.delivered_on)),
                        (_("Channel"), delivery.get_channel_display()),
                    ]
                ),
                Grid(
                    [_("File"), "SHA-256", _("Bytes")],
                    [[e["name"], e["sha256"], str(e.get("size") or "")] for e in delivery.manifest],
                ),
            ]
        blocks += [
            Heading(_("Audit trail")),
            Grid(
                [_("When"), _("Who"), _("What"), _("Why")],
                [
                    [
                        timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                        e.actor.full_name if e.actor else "–",
                        e.action,
                        e.reason,
                    ]
                    for e in events
                ],
            ),
        ]
        return Document(
            title=_("Case file: disclosure of health data"),
            subtitle=f"{_region_name(case.region)} · {case.reference} · {request.title}",
            language=language,
            blocks=blocks,
            footer=case.reference,
            keywords=(case.reference,),
        )


def case_file_pdf(case: RegionCase, *, events: Sequence[AuditEvent], language: str) -> bytes:
    return pdf_render(case_file_document(case, events=events, language=language))
