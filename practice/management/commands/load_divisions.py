from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practice.divisions import DivisionFileError, load_divisions, parse_divisions

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "hengyang_divisions.csv"
# Enough to fix a file in one go without burying the summary under thousands of lines.
MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "Load the official division list (code,name,level,parent_code) into the center tree."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="CSV file to load")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = parse_divisions(handle)
            result = load_divisions(rows)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{path}") from exc
        except IsADirectoryError as exc:
            raise CommandError(f"{path} 是目录，不是文件。") from exc
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} 不是 UTF-8 编码的文本文件。") from exc
        except DivisionFileError as exc:
            shown = exc.errors[:MAX_ERRORS_SHOWN]
            more = len(exc.errors) - len(shown)
            lines = [f"{path} 有 {len(exc.errors)} 处错误，未导入任何数据："] + shown
            if more:
                lines.append(f"……另有 {more} 处错误未列出。")
            raise CommandError("\n".join(lines)) from exc
        per_level = "，".join(f"{level} {count}" for level, count in result.by_level.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入 {path.name}：新建 {result.created}，更名 {result.renamed}，"
                f"调整上级 {result.moved}，未变 {result.unchanged}（{per_level}）。"
            )
        )
