"""Settings read from the environment: production unless development is asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def _settings_value(name: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Print one setting as a fresh process sees it, with DEBUG unset unless given."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(STUDIENAV_VAR_DIR=str(tmp_path), **extra)
    script = f"from django.conf import settings; print(settings.{name})"
    return subprocess.run(
        [sys.executable, "-m", "studienav", "shell", "--no-imports", "-c", script],
        env=env,
        capture_output=True,
        text=True,
    )


def test_debug_is_off_when_the_environment_does_not_say(tmp_path: Path) -> None:
    done = _settings_value(
        "DEBUG",
        tmp_path,
        SECRET_KEY="s" * 50,
        ALLOWED_HOSTS="studier.example.se",
        PARTICIPATION_KEYS=Fernet.generate_key().decode(),
        PARTICIPATION_HASH_KEY="h" * 40,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_debug_a_missing_secret_key_stops_the_start(tmp_path: Path) -> None:
    done = _settings_value("DEBUG", tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
    assert not (tmp_path / "secret_key").exists()


def test_development_is_asked_for_explicitly(tmp_path: Path) -> None:
    done = _settings_value("DEBUG", tmp_path, DEBUG="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
