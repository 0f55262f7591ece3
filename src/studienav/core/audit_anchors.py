"""Signed heads of the audit chains, written to files outside the database every day.

A file holds, for the trail and for the access log, the last row's id and hash and the number
of rows up to it, signed (HMAC-SHA256) with the first of AUDIT_KEYS. `audit-verify` checks
that every anchored row is still there with the same hash and the same count before it: rows
cut off the end, or a trail rewritten and re-hashed from the start, fail. Copy the files off
the machine (the backup host, write-once storage): they protect what they hold only while
the database's owner cannot change them too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from studienav.core.audit import (
    CHAINS,
    AnchorPoint,
    ChainProblem,
    ChainReport,
    audit_key,
    audit_keys,
    chain_verify,
    digests_match,
    keyed_digest,
)

ANCHOR_KIND = "studienav.audit-anchor"
ANCHOR_VERSION = 1


@dataclass(frozen=True)
class AnchorProblem:
    """An anchor file that cannot be read or whose signature does not hold."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"anchor {self.source}: {self.message}"


class AnchorFileError(Exception):
    """An anchor file that cannot be trusted; `problem` says why."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"anchor {source}: {message}")
        self.problem = AnchorProblem(source, message)


@dataclass(frozen=True)
class TrailCheck:
    """Both chains walked and held to every anchor file of a directory."""

    reports: tuple[ChainReport, ...]
    anchor_problems: tuple[AnchorProblem, ...]
    anchor_files: int

    @property
    def problems(self) -> list[AnchorProblem | ChainProblem]:
        return [*self.anchor_problems, *(p for r in self.reports for p in r.problems)]

    @property
    def is_intact(self) -> bool:
        return not self.problems

    def report(self, chain: str) -> ChainReport:
        return next(r for r in self.reports if r.chain == chain)


def _points(content: dict[str, Any], source: str) -> list[AnchorPoint]:
    points = []
    for chain in CHAINS:
        head = content["chains"][chain.name]
        last_id, hash_, count = head["last_id"], head["hash"], head["count"]
        if not (
            (last_id is None or type(last_id) is int)
            and isinstance(hash_, str)
            and type(count) is int
        ):
            raise ValueError(chain.name)
        points.append(AnchorPoint(chain.name, last_id, hash_, count, source))
    return points


def anchor_read(path: Path) -> list[AnchorPoint]:
    """The chain heads one anchor file holds; AnchorFileError if it cannot be trusted."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnchorFileError(path.name, f"cannot be read ({error})") from error
    if not isinstance(content, dict) or content.get("kind") != ANCHOR_KIND:
        raise AnchorFileError(path.name, "not an audit anchor")
    signature = content.pop("signature", None)
    key_id = content.get("key_id")
    key = audit_key(key_id) if isinstance(key_id, str) else None
    if key is None:
        raise AnchorFileError(path.name, f"signed with {key_id!r}, which AUDIT_KEYS does not hold")
    if not isinstance(signature, str) or not digests_match(keyed_digest(key, content), signature):
        raise AnchorFileError(path.name, "the signature does not hold: the file was altered")
    try:
        return _points(content, path.name)
    except (KeyError, TypeError, ValueError) as error:
        raise AnchorFileError(path.name, "the chain heads cannot be read") from error


def trail_check(*, directory: Path) -> TrailCheck:
    """Verify both chains against every anchor file (*.json) in the directory."""
    points: list[AnchorPoint] = []
    problems: list[AnchorProblem] = []
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    for path in paths:
        try:
            points.extend(anchor_read(path))
        except AnchorFileError as error:
            problems.append(error.problem)
    reports = tuple(chain_verify(chain, anchors=points) for chain in CHAINS)
    return TrailCheck(reports, tuple(problems), len(paths) - len(problems))


def anchor_write(*, directory: Path, reports: Sequence[ChainReport]) -> Path:
    """Write the heads of the verified chains to a new signed file in the directory."""
    key = audit_keys()[0]
    now = timezone.now()
    content: dict[str, Any] = {
        "kind": ANCHOR_KIND,
        "version": ANCHOR_VERSION,
        "written_at": now.isoformat(),
        "key_id": key.id,
        "chains": {
            report.chain: {
                "last_id": report.head.last_id,
                "hash": report.head.hash,
                "count": report.head.count,
            }
            for report in reports
        },
    }
    content["signature"] = keyed_digest(key, content)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"anchor-{now:%Y%m%dT%H%M%S%fZ}.json"
    partial = directory / f".{path.name}.partial"
    partial.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path
