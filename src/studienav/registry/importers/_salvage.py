"""Keep every real record: what cannot be understood of a record is kept as a note instead.

`build` runs a format's mapping and validates its result as a `StudyRecord`. Where the
validation refuses a value (pydantic's error locations say where), or the registry's own rules
would (an e-mail address, a number too large to store), the value is clipped, given its
default or taken out (a list item: dropped; an identifier in the wrong form: kept as another
registry's number), a note says what it was and why, and the record is validated again, a
bounded number of rounds. Only a record with no identity, neither a usable identifier nor a
title, is refused.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from studienav.core.errors import DomainError
from studienav.registry.importers._common import Notes, ParsedRecord, clip, line
from studienav.registry.models import IdentifierScheme, StudyType
from studienav.registry.schema import IdentifierRecord, StudyRecord, record_errors

# Each round repairs every error pydantic reports; later rounds see what the first hid (the
# whole-record checks run only once every field is valid). Real records need two at most.
ROUNDS = 6
# The largest number the registry's integer columns keep (PositiveIntegerField).
LARGEST = 2_147_483_647
# What a required choice becomes when the source's value cannot be read. No study type is
# neutral: an interventional study that is neither a drug nor a device trial asks the
# most of a coordinator's check and claims the least, so it is the careful choice.
_REQUIRED_DEFAULTS = {
    "study_type": StudyType.OTHER_INTERVENTIONAL,
    "sponsor_type": "academic",
}
_TITLES = ("public_title_en", "scientific_title", "acronym")
_EMAILS = ("public_contact_email", "scientific_contact_email")
_NUMBERS = ("target_enrolment", "actual_enrolment")
_ISSUER_LENGTH = 200  # StudyIdentifier.issuer
_IDENTIFIER_LENGTH = 80


class _Drop:
    """A list item taken out of the record; removed from its list after the round."""


_DROP = _Drop()


def build(number: int, make: Callable[[Notes], dict[str, Any]]) -> ParsedRecord:
    """Run a mapping function and keep what validates of its result; the parts that do not
    become notes. A mapping that cannot run at all rejects this record alone."""
    notes = Notes()
    try:
        data = make(notes)
    except DomainError as error:
        return ParsedRecord(number, errors=[(error.field or "record", error.message)])
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        return ParsedRecord(
            number, errors=[("record", _("cannot be read: %(error)s") % {"error": error})]
        )
    title, identifiers = _shown(data)
    parsed = ParsedRecord(number, title=title, identifiers=identifiers)
    if not _titled(data, notes):
        parsed.errors = [
            (
                "record",
                _(
                    "the record has neither a usable identifier nor a title, so it cannot be "
                    "told apart from others"
                ),
            )
        ]
        return parsed
    _registry_rules(data, notes)
    errors: list[tuple[str, str]] = []
    for _round in range(ROUNDS):
        try:
            parsed.record = StudyRecord.model_validate(data)
        except ValidationError as error:
            errors = record_errors(error)
            if not _repaired(data, error, notes):
                break
            continue
        parsed.notes = notes.items
        return parsed
    parsed.errors = errors
    return parsed


def _shown(data: dict[str, Any]) -> tuple[str, list[str]]:
    """The record's title and identifiers as the source gave them, for a preview."""
    title = next(
        (line(data.get(name)) for name in ("public_title", *_TITLES) if line(data.get(name))),
        "",
    )
    identifiers = data.get("identifiers")
    values = [
        line(item.get("value"))
        for item in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(item, dict) and line(item.get("value"))
    ]
    return clip(title, 300), values[:10]


def _titled(data: dict[str, Any], notes: Notes) -> bool:
    """Give the record a public title if it has none: its other titles, else its identifier.
    False when it has neither (no identity)."""
    given = data.get("public_title")
    if isinstance(given, str) and given.strip():
        return True
    for name in _TITLES:
        other = data.get(name)
        if isinstance(other, str) and other.strip():
            data["public_title"] = clip(line(other), 500)
            notes.add(
                "public_title",
                given,
                _("the record has no public title; its %(field)s stands in") % {"field": name},
            )
            return True
    identifier = _usable_identifier(data.get("identifiers"))
    if identifier is None:
        return False
    data["public_title"] = identifier
    notes.add(
        "public_title",
        given,
        _("the record has no title; its identifier %(value)s stands in") % {"value": identifier},
    )
    return True


def _usable_identifier(identifiers: Any) -> str | None:
    for item in identifiers if isinstance(identifiers, list) else []:
        try:
            return IdentifierRecord.model_validate(item).value
        except (ValidationError, TypeError, ValueError):
            continue
    return None


def _registry_rules(data: dict[str, Any], notes: Notes) -> None:
    """Values the record's schema lets through but the registry cannot keep: NUL characters
    (PostgreSQL keeps none in text), e-mail addresses and links it could not use, numbers
    beyond its columns, issuers too long."""
    _without_nul(data, "", notes)
    _checked_email(data, "", _EMAILS, notes)
    url = data.get("results_url")
    if isinstance(url, str) and url.strip():
        try:
            URLValidator()(url.strip())
        except DjangoValidationError:
            del data["results_url"]
            notes.add("results_url", url, _("%(value)s is not a link") % {"value": repr(url)})
    _checked_numbers(data, "", notes)
    for index, item in enumerate(_items(data, "identifiers")):
        issuer = item.get("issuer")
        if isinstance(issuer, str) and len(issuer) > _ISSUER_LENGTH:
            item["issuer"] = clip(issuer, _ISSUER_LENGTH)
            notes.add(
                f"identifiers.{index}.issuer",
                issuer,
                _("longer than %(length)s characters; clipped") % {"length": _ISSUER_LENGTH},
            )
    for index, site in enumerate(_items(data, "sites")):
        _checked_email(site, f"sites.{index}.", ("contact_email",), notes)
        _checked_numbers(site, f"sites.{index}.", notes)


def _without_nul(data: dict[str, Any], prefix: str, notes: Notes) -> None:
    """Drop NUL characters from the record's texts and its items' texts, with a note."""
    for name, value in data.items():
        if isinstance(value, str):
            if "\x00" in value:
                data[name] = value.replace("\x00", "")
                notes.add(prefix + name, value, _("a NUL character was taken out"))
        elif isinstance(value, list) and not prefix:
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _without_nul(item, f"{name}.{index}.", notes)
                elif isinstance(item, str) and "\x00" in item:
                    value[index] = item.replace("\x00", "")
                    notes.add(f"{name}.{index}", item, _("a NUL character was taken out"))


def _items(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items = data.get(name)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _checked_email(data: dict[str, Any], prefix: str, names: tuple[str, ...], notes: Notes) -> None:
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            validate_email(value.strip())
        except DjangoValidationError:
            del data[name]
            notes.add(
                prefix + name,
                value,
                _("%(value)s is not an e-mail address") % {"value": repr(line(value)[:80])},
            )


def _checked_numbers(data: dict[str, Any], prefix: str, notes: Notes) -> None:
    for name in _NUMBERS:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > LARGEST:
            del data[name]
            notes.add(
                prefix + name,
                value,
                _("%(value)s is larger than the registry can keep") % {"value": value},
            )


def _repaired(data: dict[str, Any], error: ValidationError, notes: Notes) -> bool:
    """Take out, default or clip each value the validation refused; False when none could
    be (the record is then refused with the errors)."""
    changed = False
    for item in error.errors():
        loc = item["loc"]
        message = str(item["msg"]).removeprefix("Value error, ")
        if not loc:
            changed |= _repaired_record(data, message, notes)
        else:
            changed |= _repaired_at(data, loc, item, message, notes)
    for name, value in data.items():
        if isinstance(value, list) and any(v is _DROP for v in value):
            data[name] = [v for v in value if v is not _DROP]
    return changed


def _item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The model of a field's items (`list[SiteRecord]` -> SiteRecord), or of the field."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    annotation: Any = field.annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _repaired_at(
    data: dict[str, Any],
    loc: tuple[int | str, ...],
    item: Any,
    message: str,
    notes: Notes,
) -> bool:
    path = ".".join(str(part) for part in loc)
    # Walk to the container of the value: a model's dict, or a list of items.
    model: type[BaseModel] | None = StudyRecord
    container: Any = data
    list_at: tuple[list[Any], int, type[BaseModel] | None] | None = None
    for part in loc[:-1]:
        if isinstance(part, str) and isinstance(container, dict):
            inner = _item_model(model, part) if model is not None else None
            container, model = container.get(part), inner
        elif isinstance(part, int) and isinstance(container, list) and part < len(container):
            list_at = (container, part, model)
            container = container[part]
        else:
            return False
    key = loc[-1]
    if isinstance(key, int):
        if not isinstance(container, list) or key >= len(container):
            return False
        list_at = (container, key, model)
        value = container[key]
    elif isinstance(container, dict):
        value = container.get(key)
    else:
        return False
    if value is _DROP:
        return False
    kind = item.get("type", "")
    limit = (item.get("ctx") or {}).get("max_length")
    if kind == "string_too_long" and isinstance(value, str) and isinstance(limit, int):
        container[key] = clip(value, limit)
        notes.add(path, value, message)
        return True
    if kind == "too_long" and isinstance(value, list) and isinstance(limit, int):
        container[key] = value[:limit]
        notes.add(path, _("%(count)s items") % {"count": len(value)}, message)
        return True
    if isinstance(key, str) and isinstance(container, dict) and model is not None:
        field = model.model_fields.get(key)
        if field is None or not field.is_required():
            container.pop(key, None)  # not ours, or its default stands in
            notes.add(path, value, message)
            return True
        if container is data and key in _REQUIRED_DEFAULTS:
            default = _REQUIRED_DEFAULTS[key]
            data[key] = default
            notes.add(
                path,
                value,
                _("%(message)s; kept as %(default)s until checked")
                % {"message": message, "default": default},
            )
            return True
    if list_at is None:
        return False
    items, index, item_model = list_at
    if item_model is IdentifierRecord and isinstance(items[index], dict):
        other = _as_other(items[index])
        if other is not None:
            items[index] = other
            notes.add(path, items[index]["value"], message)
            return True
    notes.add(path, items[index], message)
    items[index] = _DROP
    return True


def _as_other(item: dict[str, Any]) -> dict[str, Any] | None:
    """An identifier that is not what its scheme says, kept as another registry's number
    (with who issued it); None when there is nothing to keep or it already is one."""
    value, scheme = item.get("value"), item.get("scheme")
    if scheme == IdentifierScheme.OTHER or not isinstance(value, str) or not value.strip():
        return None
    issuer = item.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        issuer = (
            str(IdentifierScheme(scheme).label)
            if scheme in IdentifierScheme.values
            else line(scheme)
        )
    is_primary = item.get("is_primary")
    return {
        "scheme": IdentifierScheme.OTHER,
        "value": clip(" ".join(value.split()), _IDENTIFIER_LENGTH),
        "issuer": clip(issuer, _ISSUER_LENGTH),
        "is_primary": is_primary if isinstance(is_primary, bool) else False,
    }


def _repaired_record(data: dict[str, Any], message: str, notes: Notes) -> bool:
    """The checks across fields (`StudyRecord._consistent`): ages in the wrong order are
    both taken out, an identifier listed again is dropped."""
    changed = False
    low, high = _whole(data.get("min_age_years")), _whole(data.get("max_age_years"))
    if low is not None and high is not None and low > high:
        notes.add("min_age_years", f"{low} > {high}", message)
        data.pop("min_age_years", None)
        data.pop("max_age_years", None)
        changed = True
    given = data.get("identifiers")
    identifiers: list[Any] = given if isinstance(given, list) else []
    seen: set[tuple[str, str, str | None]] = set()
    for index, item in enumerate(identifiers):
        try:
            valid = IdentifierRecord.model_validate(item)
        except (ValidationError, TypeError, ValueError):
            continue
        key = (str(valid.scheme), valid.value, valid.region)
        if key in seen:
            notes.add(f"identifiers.{index}", valid.value, message)
            identifiers[index] = _DROP
            changed = True
        seen.add(key)
    return changed


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
