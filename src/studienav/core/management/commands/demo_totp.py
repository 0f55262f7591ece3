"""`studienav demo-totp EMAIL`: the current TOTP code of a demo login (development only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current six-digit code of a login's authenticator (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-totp is for development: it refuses to run when DEBUG is off.")
        device = TOTPDevice.objects.filter(
            user__email__iexact=options["email"], confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{options['email']}: no confirmed authenticator")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}")
