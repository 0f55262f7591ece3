"""Files uploaded on the staff import page, kept between the preview and the apply.

The preview stores the upload under STUDIENAV_VAR_DIR/import-uploads/<token>/<file name> (a
folder only this service reads) and remembers the token in the uploader's session; applying
names only the token, which no other session knows. A stored upload is deleted once it is
applied, or an hour after it was uploaded (whichever view of the import page comes next).
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

KEEP_SECONDS = 60 * 60
SESSION_KEY = "registry_import_uploads"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class KeptUpload:
    """An upload waiting to be applied: where it is and how it was to be imported."""

    token: str
    path: Path
    format: str
    publish: bool


def _root() -> Path:
    root = Path(settings.VAR_DIR) / "import-uploads"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def upload_keep(
    *, chunks: Any, name: str, format: str, publish: bool, session: SessionBase
) -> KeptUpload:
    """Store an upload (its `chunks()`) under a new token that only this session knows."""
    uploads_expire()
    token = secrets.token_urlsafe(24)
    folder = _root() / token
    folder.mkdir(mode=0o700)
    path = folder / name
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    kept: dict[str, Any] = dict(session.get(SESSION_KEY, {}))
    kept[token] = {"name": name, "format": format, "publish": publish, "at": time.time()}
    session[SESSION_KEY] = kept
    return KeptUpload(token, path, format, publish)


def upload_find(*, token: str, session: SessionBase) -> KeptUpload | None:
    """The upload this session kept under `token`, while it is kept; None otherwise."""
    uploads_expire()
    entry = dict(session.get(SESSION_KEY, {})).get(token)
    if not TOKEN.match(token) or not isinstance(entry, dict):
        return None
    path = _root() / token / str(entry.get("name", ""))
    if time.time() - float(entry.get("at", 0)) > KEEP_SECONDS or not path.is_file():
        upload_discard(token=token, session=session)
        return None
    return KeptUpload(token, path, str(entry.get("format")), bool(entry.get("publish")))


def upload_discard(*, token: str, session: SessionBase) -> None:
    """Delete a kept upload and forget its token."""
    kept: dict[str, Any] = dict(session.get(SESSION_KEY, {}))
    if kept.pop(token, None) is not None:
        session[SESSION_KEY] = kept
    if TOKEN.match(token):
        shutil.rmtree(_root() / token, ignore_errors=True)


def uploads_expire(now: float | None = None) -> int:
    """Delete the uploads kept longer than an hour, whoever kept them; how many."""
    cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
    removed = 0
    for folder in _root().iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except FileNotFoundError:  # another request removed it meanwhile
            continue
    return removed
