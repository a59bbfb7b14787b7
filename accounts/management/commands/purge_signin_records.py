from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.signin import signin_records_purge


class Command(BaseCommand):
    help = (
        "Delete sign-in records (django-axes's attempts and logs, the per-account guard) and "
        "verification-code rows older than SIGNIN_RECORD_RETENTION_DAYS. Beat runs it daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = signin_records_purge()
        days = settings.SIGNIN_RECORD_RETENTION_DAYS
        summary = "，".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"已清除 {days} 天前的登录记录：{summary}"))
