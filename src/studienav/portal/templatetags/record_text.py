"""`{{ text|record_text }}`: a record's long text as paragraphs and lists (`portal.markup`)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from studienav.portal.markup import criteria_html, record_text_html

register = template.Library()


@register.filter(name="record_text")
def record_text(value: str) -> SafeString:
    return record_text_html(str(value or ""))


@register.filter(name="criteria")
def criteria(value: str) -> SafeString:
    return criteria_html(str(value or ""))
