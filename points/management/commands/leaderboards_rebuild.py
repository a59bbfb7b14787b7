"""Re-derive the leaderboards' summaries from the hours ledger (after a restore, or to
fill them the first time): every volunteer by id-range chunks, then the teams."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from points.services.leaderboards import leaderboards_rebuild


class Command(BaseCommand):
    help = "Rebuild the leaderboards' summaries from the hours ledger, set-based by id range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=None, help="volunteer ids per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        written = leaderboards_rebuild(chunk=options["chunk"])
        self.stdout.write(f"{written} summary rows written")
