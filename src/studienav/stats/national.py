"""National figures: the node's signed export (format studienav.stats/1), imports, and the sum.

The file is JSON: {"format": "studienav.stats/1", "node", "year", "generated_at", "figures",
"studies", "signature"}. "figures" holds the node's totals and per-region counts for each
measure; "studies" lists every counted study as its public identifiers with the measures it
counts in; "signature" is Ed25519 over the canonical JSON (sorted keys, no spaces, UTF-8) of
everything else. Nodes publish their public keys; STATS_TRUSTED_KEYS maps node slug to key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.core.json_nesting import TooDeep, json_loads
from studienav.core.selectors import node_regions
from studienav.registry.models import StudyIdentifier
from studienav.stats.models import EnrolmentFact, NationalFile, StudyFact

FORMAT = "studienav.stats/1"
MEASURES = ("ongoing", "started", "completed")
# Identifiers that name the same study in every node (local numbers do not).
SHARED_SCHEMES = ("nct", "eu_ct", "eudract", "ethics", "isrctn")


class InvalidStatsFile(ValidationFailed):
    default_code = "invalid_stats_file"


def _key_material(value: str) -> bytes:
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    return Path(value).read_bytes()


def signing_key() -> Ed25519PrivateKey:
    """STATS_SIGNING_KEY (PEM or path to PEM); in development one is made under VAR_DIR."""
    configured = getattr(settings, "STATS_SIGNING_KEY", "")
    if not configured:
        path = Path(settings.VAR_DIR) / "stats_signing_key.pem"
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.touch(mode=0o600)
            path.write_bytes(pem)
        configured = str(path)
    key = serialization.load_pem_private_key(_key_material(configured), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("STATS_SIGNING_KEY is not an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PrivateKey | None = None) -> str:
    public = (key or signing_key()).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Other nodes' public keys (STATS_TRUSTED_KEYS: slug -> PEM or path), and our own."""
    keys: dict[str, Ed25519PublicKey] = {settings.STUDIENAV_NODE: signing_key().public_key()}
    for slug, value in getattr(settings, "STATS_TRUSTED_KEYS", {}).items():
        key = serialization.load_pem_public_key(_key_material(value))
        if isinstance(key, Ed25519PublicKey):
            keys[slug] = key
    return keys


def canonical(payload: dict[str, Any]) -> bytes:
    body = {k: v for k, v in payload.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _identifiers(study_ids: list[int], node: str) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(study_ids), 5000):
        chunk = study_ids[start : start + 5000]
        rows = StudyIdentifier.objects.filter(
            study_id__in=chunk, scheme__in=SHARED_SCHEMES
        ).values_list("study_id", "scheme", "value")
        for study_id, scheme, value in rows:
            result[study_id].append(f"{scheme}:{value.strip().upper()}")
    for study_id in study_ids:
        result[study_id] = sorted(result[study_id]) or [f"{node}:{study_id}"]
    return result


def stats_export(*, year: int, now: datetime | None = None) -> dict[str, Any]:
    """The node's figures for `year` and the public identifiers of the studies counted, signed."""
    node = settings.STUDIENAV_NODE
    regions = {r.pk: r.code for r in node_regions()}
    ongoing = Q(start_year__lte=year) & (Q(end_year__isnull=True) | Q(end_year__gte=year))
    conditions = {
        "ongoing": ongoing,
        "started": Q(start_year=year),
        "completed": Q(is_completed=True, end_year=year),
    }
    facts = StudyFact.objects.filter(ongoing | conditions["completed"]).filter(
        Q(region__isnull=True) | Q(region_id__in=regions)
    )
    flags: dict[int, dict[str, Any]] = defaultdict(lambda: {"regions": [], "measures": []})
    rows = facts.values_list("study_id", "region_id", "start_year", "end_year", "is_completed")
    for study_id, region_id, start_year, end_year, completed in rows:
        entry = flags[study_id]
        if region_id is not None:
            entry["regions"].append(regions[region_id])
            continue
        if start_year <= year and (end_year is None or end_year >= year):
            entry["measures"].append("ongoing")
        if start_year == year:
            entry["measures"].append("started")
        if completed and end_year == year:
            entry["measures"].append("completed")
    counted = sorted(s for s, e in flags.items() if e["measures"])
    identifiers = _identifiers(counted, node)
    figures: dict[str, Any] = {}
    for measure in MEASURES:
        per_region: dict[str, int] = defaultdict(int)
        total = 0
        for study_id in counted:
            if measure in flags[study_id]["measures"]:
                total += 1
                for code in flags[study_id]["regions"]:
                    per_region[code] += 1
        figures[f"studies_{measure}"] = {
            "total": total,
            "regions": dict(sorted(per_region.items())),
        }
    recruited = (
        EnrolmentFact.objects.filter(year=year, region_id__in=regions)
        .values_list("region_id")
        .annotate(total=Sum("increment"))
    )
    per_region_participants = {regions[r]: int(t or 0) for r, t in recruited}
    figures["participants"] = {
        "total": sum(per_region_participants.values()),
        "regions": dict(sorted(per_region_participants.items())),
    }
    payload: dict[str, Any] = {
        "format": FORMAT,
        "node": node,
        "year": year,
        "generated_at": (now or timezone.now()).isoformat(),
        "figures": figures,
        "studies": [
            {"ids": identifiers[s], "measures": sorted(set(flags[s]["measures"]))} for s in counted
        ],
    }
    signature = signing_key().sign(canonical(payload))
    payload["signature"] = {"algorithm": "ed25519", "value": base64.b64encode(signature).decode()}
    return payload


def _require(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise InvalidStatsFile(message=message, field=field)


def stats_file_check(raw: bytes) -> dict[str, Any]:
    """The parsed file if it is well-formed and signed by a trusted node; else InvalidStatsFile."""
    try:
        payload = json_loads(raw, max_depth=settings.IMPORT_MAX_DEPTH)
    except TooDeep as error:
        raise InvalidStatsFile(
            message=_("The file nests deeper than %(limit)s levels.") % {"limit": error.limit},
            field="",
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidStatsFile(message=_("Not a JSON file: %s") % error, field="") from error
    _require(isinstance(payload, dict), _("The file must hold one JSON object."), "")
    _require(
        payload.get("format") == FORMAT,
        _("Unknown format %(got)r; expected %(expected)s.")
        % {"got": payload.get("format"), "expected": FORMAT},
        "format",
    )
    node = payload.get("node")
    _require(isinstance(node, str) and bool(node), _("The node is missing."), "node")
    year = payload.get("year")
    _require(
        isinstance(year, int) and 2016 <= year <= 2100, _("The year must be 2016–2100."), "year"
    )
    generated = payload.get("generated_at")
    _require(
        isinstance(generated, str) and parse_datetime(generated) is not None,
        _("generated_at must be an ISO 8601 date and time."),
        "generated_at",
    )
    _require(isinstance(payload.get("figures"), dict), _("figures must be an object."), "figures")
    studies = payload.get("studies")
    _require(
        isinstance(studies, list)
        and all(
            isinstance(s, dict)
            and isinstance(s.get("ids"), list)
            and s["ids"]
            and all(isinstance(i, str) for i in s["ids"])
            and isinstance(s.get("measures"), list)
            for s in studies
        ),
        _("studies must be a list of {ids: [...], measures: [...]}."),
        "studies",
    )
    signature = payload.get("signature")
    _require(
        isinstance(signature, dict) and signature.get("algorithm") == "ed25519",
        _("The file is not signed (signature.algorithm must be ed25519)."),
        "signature",
    )
    key = trusted_keys().get(node)
    _require(
        key is not None,
        _("No trusted key for node %(node)s: add its public key to STATS_TRUSTED_KEYS.")
        % {"node": node},
        "node",
    )
    try:
        assert key is not None
        key.verify(
            base64.b64decode(str(signature.get("value", "")), validate=True), canonical(payload)
        )
    except (InvalidSignature, ValueError) as error:
        raise InvalidStatsFile(
            message=_(
                "The signature does not match: the file was changed after %(node)s signed it."
            )
            % {"node": node},
            field="signature",
        ) from error
    return payload


@dataclass
class ImportOutcome:
    node: str
    year: int
    replaced: bool
    skipped: bool


@transaction.atomic
def stats_import(*, raw: bytes) -> ImportOutcome:
    """Store a checked file; a newer file for the same node and year replaces the older one."""
    payload = stats_file_check(raw)
    generated = parse_datetime(payload["generated_at"])
    assert generated is not None
    existing = NationalFile.objects.filter(node=payload["node"], year=payload["year"]).first()
    if existing is not None and existing.generated_at >= generated:
        return ImportOutcome(payload["node"], payload["year"], replaced=False, skipped=True)
    if existing is not None:
        existing.delete()
    NationalFile.objects.create(
        node=payload["node"],
        year=payload["year"],
        generated_at=generated,
        sha256=hashlib.sha256(raw).hexdigest(),
        payload=payload,
    )
    return ImportOutcome(
        payload["node"], payload["year"], replaced=existing is not None, skipped=False
    )


@dataclass
class NationalFigures:
    year: int
    nodes: list[dict[str, Any]]  # node, generated_at, totals per measure
    totals: dict[str, int]  # each study once nationally
    sum_of_nodes: dict[str, int]


def national_figures(*, year: int, include_own: bool = True) -> NationalFigures:
    """The nodes' files for `year` added up; a study in two nodes counts once (shared ids)."""
    files = {f.node: f.payload for f in NationalFile.objects.filter(year=year)}
    if include_own and settings.STUDIENAV_NODE not in files:
        files[settings.STUDIENAV_NODE] = stats_export(year=year)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    entries: list[tuple[str, set[str]]] = []
    for payload in files.values():
        for study in payload["studies"]:
            ids = study["ids"]
            for other in ids[1:]:
                parent[find(other)] = find(ids[0])
            entries.append((ids[0], set(study["measures"])))
    measures_of: dict[str, set[str]] = defaultdict(set)
    for first_id, measures in entries:
        measures_of[find(first_id)] |= measures
    totals = {m: sum(1 for ms in measures_of.values() if m in ms) for m in MEASURES}
    totals["participants"] = sum(
        int(p["figures"].get("participants", {}).get("total", 0)) for p in files.values()
    )
    nodes = [
        {
            "node": node,
            "generated_at": payload["generated_at"],
            **{m: payload["figures"][f"studies_{m}"]["total"] for m in MEASURES},
            "participants": payload["figures"].get("participants", {}).get("total", 0),
        }
        for node, payload in sorted(files.items())
    ]
    sum_of_nodes = {m: sum(n[m] for n in nodes) for m in (*MEASURES, "participants")}
    return NationalFigures(year=year, nodes=nodes, totals=totals, sum_of_nodes=sum_of_nodes)


def export_filename(year: int) -> str:
    return f"{settings.STUDIENAV_NODE}-{year}-{date.today():%Y%m%d}.json"
