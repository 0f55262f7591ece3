"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

python-stdnum checks the format and the check digit; coordination numbers (day of birth plus 60)
are handled here because stdnum's `se.personnummer` accepts only real dates.
"""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError

from studienav.core.errors import ValidationFailed

_SHAPE = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
COORDINATION_OFFSET = 60


class InvalidIdentityNumber(ValidationFailed):
    default_code = "identity_number_invalid"


def identity_number_normalise(text: str, *, today: datetime.date | None = None) -> str:
    """The number as 12 digits YYYYMMDDNNNN, or InvalidIdentityNumber saying what is wrong.

    Accepts YYMMDD-NNNN, YYMMDD+NNNN (aged 100 or more), YYYYMMDD-NNNN and the same without
    the separator. The value itself never goes into the error message.
    """
    cleaned = re.sub(r"\s", "", text or "")
    match = _SHAPE.match(cleaned)
    if not match:
        raise InvalidIdentityNumber(
            code="identity_number_format",
            field="identity_number",
            message=_("Write the number as YYYYMMDD-NNNN or YYMMDD-NNNN (10 or 12 digits)."),
        )
    century, short_date, separator, tail = match.groups()
    today = today or timezone.localdate()
    if century is None:
        year = int(short_date[:2])
        full = (today.year // 100) * 100 + year
        if full > today.year:
            full -= 100
        if separator == "+":
            full -= 100
        century = str(full // 100)
    digits = f"{century}{short_date}{tail}"
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    if day > COORDINATION_OFFSET:
        day -= COORDINATION_OFFSET
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        born = None
    if born is None or born > today:
        raise InvalidIdentityNumber(
            code="identity_number_date",
            field="identity_number",
            message=_("The first digits are not a valid date of birth."),
        )
    try:
        luhn.validate(digits[2:])
    except StdnumError:
        raise InvalidIdentityNumber(
            code="identity_number_check_digit",
            field="identity_number",
            message=_("The last digit does not match: please check the number."),
        ) from None
    return digits


def is_coordination_number(digits: str) -> bool:
    return int(digits[6:8]) > COORDINATION_OFFSET
