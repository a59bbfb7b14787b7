from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from practice.catalogue import service_menu_install
from practice.models import Center


class Command(BaseCommand):
    help = "Offer the starting service menu at the city center (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        city = Center.objects.filter(parent__isnull=True).order_by("tree_id").first()
        if city is None:
            raise CommandError("还没有市级中心，请先运行 load_divisions。")
        added = service_menu_install(city=city)
        self.stdout.write(self.style.SUCCESS(f"服务菜单：新增 {added} 项。"))
