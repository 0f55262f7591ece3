"""The site as a whole: start pages in both languages, health, security headers, settings."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_start_page_is_swedish_at_root_and_english_under_en(client: Client) -> None:
    swedish = client.get("/")
    english = client.get("/en/")
    assert swedish.status_code == english.status_code == 200
    assert '<html lang="sv">' in swedish.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "Forum Mellansverige" in swedish.content.decode()
    assert 'action="/studies/"' in swedish.content.decode()
    assert 'action="/en/studies/"' in english.content.decode()


def test_language_switch_keeps_the_page(client: Client) -> None:
    response = client.post(
        reverse("core:set_language"), {"language": "en", "next": "/account/login/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/account/login/"


def test_the_public_switches_language_by_a_link_to_the_same_page(client: Client) -> None:
    swedish = client.get("/studies/?q=astma&region=03").content.decode()
    assert 'href="/en/studies/?q=astma&amp;region=03" hreflang="en" lang="en">English</a>' in (
        swedish
    )
    assert "csrfmiddlewaretoken" not in swedish
    english = client.get("/en/studies/?q=astma").content.decode()
    assert 'href="/studies/?q=astma" hreflang="sv" lang="sv">Svenska</a>' in english


def test_healthz_answers_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json()['database'])"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:////nonexistent-directory/studienav.sqlite3",
        "STUDIENAV_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "studienav.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["503", "unavailable"]


def test_security_headers_on_every_page(client: Client) -> None:
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]


def _run_studienav(*args: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(STUDIENAV_VAR_DIR=str(tmp_path), **extra)
    return subprocess.run(
        [sys.executable, "-m", "studienav", *args], env=env, capture_output=True, text=True
    )


def _production(**extra: str) -> dict[str, str]:
    """The settings docs/operations.md gives production (test keys)."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-Uu7x9Qm2vLp3Ws8Zr4Tn6Yb1Hc5Jd0Ke",
        "ALLOWED_HOSTS": "studier.example.se",
        "PARTICIPATION_KEYS": Fernet.generate_key().decode(),
        "PARTICIPATION_HASH_KEY": "h" * 40,
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        **extra,
    }


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    done = _run_studienav(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **_production()
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_warns_when_each_worker_has_its_own_cache(tmp_path: Path) -> None:
    done = _run_studienav(
        "check", "--deploy", tmp_path=tmp_path, **_production(CACHE_URL="locmemcache://")
    )
    assert "studienav.W001" in done.stdout + done.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    done = _run_studienav("check", tmp_path=tmp_path, DEBUG="0", ALLOWED_HOSTS="x.example")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_production_refuses_to_turn_off_totp(tmp_path: Path) -> None:
    done = _run_studienav(
        "check", tmp_path=tmp_path, DEBUG="0", SECRET_KEY="x" * 60, REQUIRE_TOTP="0"
    )
    assert done.returncode != 0
    assert "REQUIRE_TOTP" in done.stderr


def test_development_keeps_its_generated_secret_key(tmp_path: Path) -> None:
    first = _run_studienav("check", tmp_path=tmp_path, DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    _run_studienav("check", tmp_path=tmp_path, DEBUG="1")
    assert (tmp_path / "secret_key").read_text() == key


def test_production_refuses_to_start_without_participation_keys(tmp_path: Path) -> None:
    done = _run_studienav(
        "check", tmp_path=tmp_path, DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="x.example"
    )
    assert done.returncode != 0
    assert "PARTICIPATION_KEYS" in done.stderr


def test_the_documented_shared_cache_counts_across_processes(tmp_path: Path) -> None:
    """CACHE_URL=redis://... (docs/operations.md): a one-time link used in one worker is used
    for every other; the machine's Redis stands in for the node's."""
    key = f"test-shared-{uuid.uuid4().hex}"
    script = (
        "import django; django.setup(); from django.core.cache import cache; "
        f"print(cache.add({key!r}, 1, 30))"
    )
    outcomes = []
    for _worker in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={
                **os.environ,
                "CACHE_URL": "redis://127.0.0.1:6379/15",
                "STUDIENAV_VAR_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
        )
        if "Connection refused" in done.stderr or "Error 111" in done.stderr:
            pytest.skip("no Redis on this machine")
        assert done.returncode == 0, done.stderr
        outcomes.append(done.stdout.strip())
    assert outcomes == ["True", "False"]
