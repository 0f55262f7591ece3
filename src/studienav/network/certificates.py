"""The course certificate as PDF, in the participant's language, with its verification code
and a QR code that opens the public verification page."""

from __future__ import annotations

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm

from studienav.core.pdf import Block, Document, Facts, Heading, Picture, Text, pdf_render
from studienav.core.selectors import current_node
from studienav.network.models import Certificate

QR_SIZE = 38 * mm


def verification_url(certificate: Certificate) -> str:
    with translation.override(certificate.language):
        return settings.SITE_URL + certificate.get_absolute_url()


def qr_drawing(text: str, size: float = QR_SIZE) -> Drawing:
    """A QR code of `text` as a vector drawing of `size` points square."""
    widget = QrCodeWidget(text, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    width, height = right - left, top - bottom
    drawing = Drawing(size, size, transform=[size / width, 0, 0, size / height, 0, 0])
    drawing.add(widget)
    return drawing


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as A4 PDF bytes in the certificate's language."""
    registration = certificate.registration
    session = registration.session
    course = session.course
    node = current_node()
    url = verification_url(certificate)
    with translation.override(certificate.language):
        facts = [
            (_("Name"), certificate.full_name),
            (_("Course"), course.name_in(certificate.language)),
            (_("Date"), formats.date_format(certificate.issued_on, "j F Y")),
            (_("Place"), _("Online") if session.is_online else session.place),
        ]
        if certificate.valid_until is not None:
            facts.append((_("Valid until"), formats.date_format(certificate.valid_until, "j F Y")))
        facts.append((_("Verification code"), certificate.code))
        blocks: list[Block] = [
            Text(
                _("%(name)s has taken part in the course %(course)s.")
                % {"name": certificate.full_name, "course": course.name_in(certificate.language)}
            ),
            Facts(facts),
        ]
        if course.is_gcp:
            blocks.append(
                Text(
                    _(
                        "The course follows ICH E6 Good Clinical Practice (GCP). The certificate "
                        "is valid for %(months)s months from the date of the course."
                    )
                    % {"months": course.validity_months or "–"}
                )
            )
        blocks += [
            Heading(_("Check this certificate")),
            Text(
                _("Scan the code or open %(url)s to see that the certificate is valid.")
                % {"url": url}
            ),
            Picture(qr_drawing(url)),
        ]
        document = Document(
            title=_("Course certificate"),
            subtitle=node.name if node else "",
            language=certificate.language,
            blocks=blocks,
            footer=f"{_('Verification code')} {certificate.code}",
            keywords=(certificate.code,),
        )
        return pdf_render(document)
