"""Fill the database with city-scale synthetic volunteers, teams and memberships.

A system-level bulk loader for demos and benchmarks (see bench.synthetic): it bypasses
the per-row services for speed but writes exactly the columns they would. Load the center
tree first (``manage.py load_divisions``). On PostgreSQL it writes with COPY, batch by
batch, and can encrypt the ID numbers in worker processes; elsewhere (the SQLite demo) it
inserts with executemany, fit for a few thousand volunteers.

    manage.py generate_volunteers --volunteers 1440000 --teams 4994
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from bench.synthetic import NoTreeError, generate
from practice.models import Center

# Below this, starting worker processes costs more than it saves.
WORKERS_FROM = 50_000
PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    help = "生成城市规模的模拟志愿者、志愿服务队和队员数据（需先载入阵地树）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--volunteers", type=int, required=True, help="新增志愿者人数")
        parser.add_argument("--teams", type=int, default=0, help="新增志愿服务队数")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")
        parser.add_argument("--batch-size", type=int, default=10_000, help="每批行数")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="加密身份证号的工作进程数（默认：PostgreSQL 上大批量时为 CPU 核数，否则 0）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        volunteers: int = options["volunteers"]
        teams: int = options["teams"]
        if volunteers < 0 or teams < 0:
            raise CommandError("志愿者人数和队伍数不能为负数。")
        if options["batch_size"] < 1:
            raise CommandError("每批行数至少为 1。")
        workers = options["workers"]
        if workers is None:
            large = connection.vendor == "postgresql" and volunteers >= WORKERS_FROM
            workers = min(2, os.cpu_count() or 1) if large else 0
        from volunteers.models import Volunteer

        # Rebuilding the indexes once beats maintaining them row by row when the load at
        # least doubles the table.
        defer_indexes = (
            connection.vendor == "postgresql"
            and volunteers >= WORKERS_FROM
            and volunteers >= Volunteer.objects.count()
        )
        if not Center.objects.exists():
            raise CommandError("阵地树为空：请先运行 manage.py load_divisions 载入区划。")
        started = time.monotonic()
        last_reported = 0

        def progress(done: int, total: int) -> None:
            nonlocal last_reported
            if done - last_reported < PROGRESS_EVERY and done < total:
                return
            last_reported = done
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed else 0
            self.stdout.write(
                f"  志愿者 {done:,} / {total:,}（{done * 100 / max(total, 1):.1f}%），"
                f"{rate:,.0f} 条/秒，已用 {elapsed:.1f} 秒"
            )
            self.stdout.flush()

        self.stdout.write(
            f"开始生成：志愿者 {volunteers:,}，队伍 {teams:,}，工作进程 {workers}"
            + ("，导入期间暂停非唯一索引、完成后重建。" if defer_indexes else "。")
        )
        try:
            result = generate(
                volunteers=volunteers,
                teams=teams,
                seed=options["seed"],
                batch_size=options["batch_size"],
                workers=workers,
                defer_indexes=defer_indexes,
                progress=progress,
            )
        except NoTreeError as exc:
            raise CommandError(
                "阵地树中没有可用的村（社区）：请先运行 manage.py load_divisions 载入区划。"
            ) from exc
        elapsed = time.monotonic() - started
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：新增志愿者 {result.users:,}（含账号），队伍 {result.teams:,}，"
                f"技能 {result.skills:,} 条，入队 {result.memberships:,} 条"
                f"（队长 {result.leaders:,}），跳过已占用号码 {result.skipped:,}；"
                f"用时 {elapsed:.1f} 秒，峰值内存 {own:.0f} MiB"
                f"（工作进程峰值 {children:.0f} MiB）。"
            )
        )
