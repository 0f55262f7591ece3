"""The numbered pages of the search results: which studies a page shows, and links to the
pages around it that keep the rest of the query."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import QueryDict

from studienav.search.params import MAX_PAGE

# Pages shown either side of the current one and at either end, the rest as an ellipsis:
# 1 … 4 5 [6] 7 8 … 50.
_ON_EACH_SIDE, _ON_ENDS = 2, 1


@dataclass(frozen=True)
class PageLink:
    """A page's number and the query that shows it; an ellipsis has no number."""

    number: int | None
    query: str = ""
    is_current: bool = False


@dataclass(frozen=True)
class Pager:
    """Where a page of results is among all of them."""

    number: int  # the page asked for
    count: int  # the pages that can be asked for (at most MAX_PAGE)
    total: int  # the studies found
    first: int  # the position of the page's first study, from 1
    last: int  # and of its last
    links: list[PageLink]
    previous_query: str | None
    next_query: str | None
    last_query: str
    # More studies were found than MAX_PAGE pages hold.
    is_cut: bool

    @property
    def is_beyond(self) -> bool:
        """The page asked for is past the last one (the search found fewer since)."""
        return self.number > self.count

    @property
    def max_page(self) -> int:
        return MAX_PAGE


def page_query(query: QueryDict, number: int) -> str:
    """The query string of page `number` of the same search (no cursor; page 1 unnumbered)."""
    copy = query.copy()
    copy.pop("cursor", None)
    copy.pop("page", None)
    if number > 1:
        copy["page"] = str(number)
    return copy.urlencode()


def pager_build(*, query: QueryDict, number: int, per_page: int, total: int) -> Pager:
    """The pager of page `number` of `total` studies, `per_page` a page."""
    paginator = Paginator(range(min(total, MAX_PAGE * per_page)), per_page)
    count = paginator.num_pages
    shown = min(number, count)
    links = [
        PageLink(item, page_query(query, item), item == number)
        if isinstance(item, int)
        else PageLink(None)
        for item in paginator.get_elided_page_range(
            shown, on_each_side=_ON_EACH_SIDE, on_ends=_ON_ENDS
        )
    ]
    first = (number - 1) * per_page + 1
    return Pager(
        number=number,
        count=count,
        total=total,
        first=first,
        last=min(first + per_page - 1, total),
        links=links,
        previous_query=page_query(query, min(number - 1, count)) if number > 1 else None,
        next_query=page_query(query, number + 1) if number < count else None,
        last_query=page_query(query, count),
        is_cut=total > MAX_PAGE * per_page,
    )
