"""A record's long texts as HTML: registries write Markdown (ClinicalTrials.gov's API v2 escapes
characters such as `\\>=` and marks lists), local records plain lines; both read as written.
"""

from __future__ import annotations

from functools import cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Raw HTML stays text (html=False); headings would break the page's outline, and images would
# load from outside the site: both are shown as the text they are.
_OFF = ["heading", "lheading", "image", "table"]


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(_OFF)


def record_text_html(text: str) -> SafeString:
    """Paragraphs, lists and emphasis of a record's text; everything else escaped."""
    if not text:
        return mark_safe("")
    # markdown-it escapes all raw HTML (html=False): what it renders is safe.
    return mark_safe(_parser().render(text))


def criteria_html(text: str) -> SafeString:
    """Eligibility criteria as lists: the importers keep one criterion a paragraph (the formats
    mark lists differently, or not at all), and a paragraph ending in `:` heads the list after it.
    """
    parser = _parser()
    parts: list[str] = []
    items: list[str] = []

    def close() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        html = parser.renderInline(paragraph)
        if paragraph.endswith(":"):
            close()
            parts.append(f"<p>{html}</p>")
        else:
            items.append(html)
    close()
    return mark_safe("".join(parts))
