"""The Ethical Review Authority's case numbers that a disclosure request may rest on.

Accepted, after the registry's spelling rules (`studienav.registry.identifiers`):
- `2023-01234-01`: the Ethical Review Authority (Etikprövningsmyndigheten), from 2019: year,
  five digits, two digits (the last pair numbers amendments to the same case);
- `Dnr 2019-01234`: the same authority's case without the amendment pair;
- `2016/345-31`: a former regional ethical review board (until 2018), still valid for older
  cohorts.
The year must agree with the form: 2019 or later for the authority's numbers, 2018 or
earlier for a regional board's, and never after the decision date's year.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.registry.identifiers import validate
from studienav.registry.models import IdentifierScheme

AUTHORITY_FIRST_YEAR = 2019  # the Ethical Review Authority took over on 1 January 2019
_REGIONAL_BOARD = re.compile(r"^(\d{4})/")


def case_number_clean(value: str, *, decided_on: date | None = None) -> str:
    """The case number as the registry spells it, or ValidationFailed on `case_number`."""
    try:
        number = validate(IdentifierScheme.ETHICS, value)
    except ValidationFailed as error:
        raise ValidationFailed(
            code="ethics_number_format",
            field="case_number",
            message=_(
                "An Ethical Review Authority case number looks like 2023-01234-01 (or an older "
                "Dnr 2019-01234, or a regional board's 2016/345-31), got %(value)s."
            )
            % {"value": value.strip()[:40]},
        ) from error
    regional = _REGIONAL_BOARD.match(number)
    year = int(regional.group(1) if regional else number.removeprefix("DNR ")[:4])
    if regional and year >= AUTHORITY_FIRST_YEAR:
        raise ValidationFailed(
            code="ethics_number_board_year",
            field="case_number",
            message=_("Regional ethical review boards decided until 2018; %(value)s is later.")
            % {"value": number},
        )
    if not regional and year < AUTHORITY_FIRST_YEAR:
        raise ValidationFailed(
            code="ethics_number_authority_year",
            field="case_number",
            message=_(
                "The Ethical Review Authority's numbers start in 2019; for %(value)s give the "
                "regional board's number (like 2016/345-31)."
            )
            % {"value": number},
        )
    if decided_on is not None and year > decided_on.year:
        raise ValidationFailed(
            code="ethics_number_after_decision",
            field="case_number",
            message=_("The case %(value)s was opened after its decision date %(date)s.")
            % {"value": number, "date": decided_on.isoformat()},
        )
    return number
