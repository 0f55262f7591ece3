"""Personal fields are encrypted at rest, found by keyed hash, and re-encrypted on key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from studienav.participation.fields import email_hash, keyed_hash
from studienav.participation.models import ExpressionOfInterest
from studienav.participation.selectors import interests_of_person
from tests.participation.conftest import RegisterFn

pytestmark = pytest.mark.django_db

PLAINTEXTS = ["Eva Lind", "eva@test.example", "070-1234567", "198112189876", "tio år"]


def _raw_row(pk: int) -> tuple[str, ...]:
    table = ExpressionOfInterest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, email, phone, identity_number, free_text FROM {table} WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def test_personal_fields_hold_no_plaintext_in_the_database(register: RegisterFn) -> None:
    interest = register(identity_number="19811218-9876")
    raw = " ".join(_raw_row(interest.pk))
    for plaintext in PLAINTEXTS:
        assert plaintext not in raw
    assert "Eva" not in raw and "eva" not in raw
    fresh = ExpressionOfInterest.objects.get(pk=interest.pk)
    assert fresh.name == "Eva Lind"
    assert fresh.identity_number == "198112189876"
    assert fresh.free_text == "Jag har haft diabetes i tio år."


def test_person_is_found_by_keyed_hash_of_email_and_identity_number(register: RegisterFn) -> None:
    interest = register(identity_number="811218-9876")
    assert interest.email_hash == email_hash(" EVA@test.example ")
    assert interest.email_hash != keyed_hash("eva@test.example") or len(interest.email_hash) == 64
    found = interests_of_person(email_hash=email_hash("Eva@Test.example"))
    assert list(found) == [interest]
    assert list(interests_of_person(identity_hash=keyed_hash("198112189876"))) == [interest]
    assert not interests_of_person(email_hash=email_hash("other@test.example")).exists()


def test_keyed_hash_depends_on_the_hash_key() -> None:
    with override_settings(PARTICIPATION_HASH_KEY="one"):
        first = keyed_hash("eva@test.example")
    with override_settings(PARTICIPATION_HASH_KEY="two"):
        second = keyed_hash("eva@test.example")
    assert first != second and len(first) == 64


def test_key_rotation_reencrypts_every_row_with_the_new_key(register: RegisterFn) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PARTICIPATION_KEYS=old):
        interest = register()
        before = _raw_row(interest.pk)
    with override_settings(PARTICIPATION_KEYS=f"{new},{old}"):
        call_command("participation_rotate_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = _raw_row(interest.pk)
    assert before[0] != after[0]
    assert Fernet(new.encode()).decrypt(after[0].encode()).decode() == "Eva Lind"
    with override_settings(PARTICIPATION_KEYS=new):
        assert ExpressionOfInterest.objects.get(pk=interest.pk).email == "eva@test.example"
