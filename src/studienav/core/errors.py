"""Domain errors: a stable code for machines and a message a person can act on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every error a service raises for bad input or a forbidden step."""

    default_code = "invalid"

    def __init__(
        self,
        *,
        code: str | None = None,
        message: str | Promise = "",
        field: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code or self.default_code
        self.message = str(message) if message else self.code
        self.field = field
        self.params = params
        super().__init__(self.message)


class PermissionDenied(DomainError):
    default_code = "permission_denied"


class InvalidTransition(DomainError):
    default_code = "invalid_transition"


class ValidationFailed(DomainError):
    default_code = "validation_failed"


def model_validate(
    obj: Model, *, exclude: Iterable[str] = (), code: str | None = None, unique: bool = True
) -> None:
    """The model's own checks (`full_clean`); the first failing field as a ValidationFailed
    naming it, with the code given or `invalid_<field>`."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=unique)
    except DjangoValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ValidationFailed(
            code=code or f"invalid_{field}",
            field=None if field == "__all__" else field,
            message=" ".join(messages),
        ) from error
