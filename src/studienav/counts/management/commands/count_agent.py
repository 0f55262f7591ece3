"""`studienav count-agent --region CODE`: run the region's count agent (protected counts only)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from studienav.core.models import Region
from studienav.counts import signatures
from studienav.counts.agent import AgentConfig, agent_server


class Command(BaseCommand):
    help = (
        "Answer signed count questions from the hub with the region's protected counts. "
        "Needs COUNTS_AGENT_PRIVATE_KEY (its own signing key) and COUNTS_AGENT_HUB_KEYS (the "
        "hubs it trusts). --new-key prints a fresh key pair and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", metavar="CODE", help="two-digit region code")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8110, help="port to listen on")
        parser.add_argument(
            "--new-key", action="store_true", help="print a new Ed25519 key pair and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            private, public = signatures.key_pair_new()
            self.stdout.write(f"COUNTS_AGENT_PRIVATE_KEY={private}\npublic key: {public}")
            return
        region = Region.objects.filter(code=options["region"] or "").first()
        if region is None:
            self._fail(f"--region: no region with code {options['region']!r}")
        if not settings.COUNTS_AGENT_PRIVATE_KEY:
            self._fail("COUNTS_AGENT_PRIVATE_KEY is not set (make one with --new-key)")
        if not settings.COUNTS_AGENT_HUB_KEYS:
            self._fail("COUNTS_AGENT_HUB_KEYS is empty: no hub could ask this agent anything")
        try:
            key = signatures.private_key_load(settings.COUNTS_AGENT_PRIVATE_KEY)
            for hub_key in settings.COUNTS_AGENT_HUB_KEYS:
                signatures.public_key_load(hub_key)
        except signatures.BadKey as error:
            self._fail(f"a key is not valid: {error}")
        assert region is not None
        config = AgentConfig(
            region=region,
            private_key=key,
            hub_keys=tuple(settings.COUNTS_AGENT_HUB_KEYS),
            max_age=settings.COUNTS_AGENT_MAX_AGE,
        )
        server = agent_server(config, host=options["host"], port=options["port"])
        host, port = server.server_address[:2]
        self.stdout.write(
            f"count agent for {region.code} {region.short_name} on http://{host!s}:{port}/ "
            f"(public key {signatures.public_key_text(key)})"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)
