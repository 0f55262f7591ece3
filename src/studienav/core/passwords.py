"""Password rules beyond Django's own: refuse passwords of few distinct characters."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class RepetitivePasswordValidator:
    """Refuse passwords like 'aaaaaaaaaaaa' or 'abababababab', common in breached lists."""

    min_distinct = 5

    def validate(self, password: str, user: Any = None) -> None:
        if len(set(password.casefold())) < self.min_distinct:
            raise ValidationError(
                _("This password repeats too few characters. Use at least %(n)d different ones.")
                % {"n": self.min_distinct},
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return _("Your password must use at least %(n)d different characters.") % {
            "n": self.min_distinct
        }
