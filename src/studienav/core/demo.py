"""Demo organisations and people for every role in every region of the node."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from typing import Any, TextIO

from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core.audit import audit_record
from studienav.core.models import (
    Municipality,
    Organisation,
    Region,
    Role,
    RoleAssignment,
    User,
)
from studienav.core.reference import DATA_DIR

DEMO_PASSWORD = "Studienav-demo-2026"  # noqa: S105  (printed for development logins)
DEMO_DOMAIN = "demo.example"
_REASON = "demo data"

# region code -> e-mail slug; the named people of the tests take their region's place.
REGION_SLUGS = {
    "03": "uppsala",
    "04": "sormland",
    "17": "varmland",
    "18": "orebro",
    "19": "vastmanland",
    "20": "dalarna",
    "21": "gavleborg",
}
FIRST_NAMES = ["Ulla", "Sara", "Karin", "Per", "Viktor", "Maja", "Greta", "Johan", "Lina", "Erik"]
SURNAMES = ["Lindqvist", "Nyström", "Holm", "Ek", "Sandberg", "Lund", "Forsberg", "Åberg", "Berg"]


def demo_totp_key(email: str, seed: int) -> str:
    """A stable TOTP secret per demo login, so printed secrets stay valid between runs."""
    return hmac.new(str(seed).encode(), email.encode(), hashlib.sha1).hexdigest()


def organisations_load() -> dict[str, Organisation]:
    records = json.loads((DATA_DIR / "demo_organisations.json").read_text(encoding="utf-8"))
    regions = {r.code: r for r in Region.objects.all()}
    municipalities = {m.code: m for m in Municipality.objects.all()}
    by_key: dict[str, Organisation] = {}
    for record in records:
        region = regions.get(record["region"]) if record.get("region") else None
        defaults = {
            "name_en": record.get("name_en") or "",
            "type": record["type"],
            "parent": by_key.get(record["parent"]) if record.get("parent") else None,
            "municipality": municipalities.get(record.get("municipality") or ""),
            "street_address": record.get("street_address") or "",
            "postal_code": record.get("postal_code") or "",
            "city": record.get("city") or "",
            "latitude": record.get("latitude"),
            "longitude": record.get("longitude"),
            "website": record.get("website") or "",
            "aliases": record.get("aliases") or [],
            "country": record.get("country") or "SE",
        }
        organisation, created = Organisation.objects.update_or_create(
            name=record["name"], region=region, defaults=defaults
        )
        if created:
            audit_record(
                actor=None,
                action="organisation.create",
                obj=organisation,
                before={},
                reason=_REASON,
            )
        by_key[record["key"]] = organisation
    return by_key


def _person(
    *, email: str, name: str, seed: int, roles: list[tuple[str, Region | None, Organisation | None]]
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
        audit_record(actor=None, action="user.create", obj=user, before={}, reason=_REASON)
    for role, region, organisation in roles:
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, region=region, organisation=organisation, revoked_at=None
        )
        if created:
            audit_record(actor=None, action="role.grant", obj=assignment, before={}, reason=_REASON)
    TOTPDevice.objects.update_or_create(
        user=user,
        name="authenticator",
        defaults={"key": demo_totp_key(email, seed), "confirmed": True},
    )
    return user


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """Organisations from the shipped list, and people for every role in every region."""
    seed = int(options.get("seed") or 2025)
    organisations = organisations_load()
    regions = {r.code: r for r in Region.objects.filter(code__in=REGION_SLUGS)}
    hospitals = {
        code: Organisation.objects.filter(region=regions[code], type="hospital").order_by("id")[0]
        for code in REGION_SLUGS
    }
    logins: list[tuple[User, str]] = []

    def add(email: str, name: str, roles: list[Any], summary: str) -> None:
        user = _person(email=f"{email}@{DEMO_DOMAIN}", name=name, seed=seed, roles=roles)
        logins.append((user, summary))

    add(
        "anna",
        "Anna Berg",
        [(Role.RESEARCHER, None, organisations["akademiska"])],
        "researcher, Uppsala",
    )
    add(
        "bertil",
        "Bertil Ek",
        [(Role.NODE_COORDINATOR, regions["18"], None)],
        "node coordinator, Örebro län",
    )
    add("cecilia", "Cecilia Åberg", [(Role.NODE_OFFICE, None, None)], "node office")
    sponsor = Organisation.objects.filter(type="company").order_by("name").first()
    add("david", "David Strand", [(Role.SPONSOR, None, sponsor)], f"sponsor, {sponsor}")
    add("frida", "Frida Sjöberg", [(Role.FUNDING_REVIEWER, None, None)], "funding reviewer")
    add("admin", "Gustav Admin", [(Role.ADMINISTRATOR, None, None)], "administrator")
    for index, (code, slug) in enumerate(sorted(REGION_SLUGS.items())):
        region = regions[code]
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        surname = SURNAMES[(index * 3) % len(SURNAMES)]
        if code != "18":
            add(
                f"coordinator.{slug}",
                f"{first} {surname}",
                [(Role.NODE_COORDINATOR, region, None)],
                f"node coordinator, {region.short_name}",
            )
        if code != "03":
            add(
                f"researcher.{slug}",
                f"{FIRST_NAMES[(index + 3) % 10]} {surname}",
                [(Role.RESEARCHER, None, hospitals[code])],
                f"researcher, {region.short_name}",
            )
        add(
            f"nurse.{slug}",
            f"{FIRST_NAMES[(index + 5) % 10]} {SURNAMES[index % 9]}",
            [(Role.SITE_STAFF, None, hospitals[code])],
            f"site staff, {region.short_name}",
        )
        add(
            f"disclosure.{slug}",
            f"{FIRST_NAMES[(index + 7) % 10]} {SURNAMES[(index + 4) % 9]}",
            [(Role.DISCLOSURE_OFFICER, region, None)],
            f"disclosure officer, {region.short_name}",
        )
    admin = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    if not admin.is_superuser:
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])

    if options.get("quiet"):
        return
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}); TOTP secret for an app:\n")
    for user, summary in logins:
        secret = base64.b32encode(bytes.fromhex(demo_totp_key(user.email, seed))).decode()
        stdout.write(f"  {user.email:<34} {secret}  {summary}\n")
