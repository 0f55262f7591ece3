"""The Atom feed of a search: summaries as plain text, and no character XML cannot hold."""

from __future__ import annotations

import re
from typing import Any

from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

# What XML 1.0 cannot carry: control characters other than tab and line ends, lone surrogates,
# U+FFFE and U+FFFF. A query or a record holding one would otherwise stop the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    return {k: xml_text(v) if isinstance(v, str) else v for k, v in values.items()}


class StudyFeed(Atom1Feed):
    """Atom whose summaries are text (a record's words, never markup for a reader to run) and
    whose every text is one XML can carry."""

    def write(self, outfile: Any, encoding: str) -> None:
        self.feed = _cleaned(self.feed)
        self.items = [_cleaned(item) for item in self.items]
        super().write(outfile, encoding)

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"]:
            handler.addQuickElement("summary", item["description"], {"type": "text"})
