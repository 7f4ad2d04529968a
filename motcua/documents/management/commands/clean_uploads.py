from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.documents.resumable import clean_expired


class Command(BaseCommand):
    help = ("Delete expired resumable uploads (MOTCUA_TUS_EXPIRY_HOURS after their last write) with their partial "
            "files, and partial files no upload names. Run it hourly (cron or a systemd timer).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = clean_expired()
        self.stdout.write(f"{count} expired upload(s) deleted.")
