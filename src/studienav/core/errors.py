"""Domain errors: a stable code for machines and a message a person can act on."""

from __future__ import annotations

from typing import Any

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
