"""Re-encrypt every stored resident ID number with the first key of PERSONAL_DATA_KEYS.

The second step of a key rotation (docs/personal-data.md): put the new key first, keep the
old ones after it, run this, and only then drop the old keys.

    manage.py rotate_personal_data_key [--dry-run] [--batch-size 1000] [--start-after ID]

Rows are read in primary-key order, a batch at a time, each batch in its own transaction
with its rows locked, so a crash loses at most the batch in flight and nothing half-done
is left behind. A token the first key already decrypts is left alone: a rerun (after a
crash, or by mistake) rewrites nothing and costs one decryption per row. A token no key
decrypts is counted and listed, never changed.
"""

from __future__ import annotations

import time
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from volunteers.identity import reencrypt_id_number
from volunteers.models import Volunteer

PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    help = "用 PERSONAL_DATA_KEYS 中的第一个密钥重新加密全部志愿者身份证号码（密钥轮换）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("只统计将重新加密的行数，不写入")
        )
        parser.add_argument("--batch-size", type=int, default=1000, help=_("每批行数"))
        parser.add_argument(
            "--start-after",
            type=int,
            default=0,
            help=_("从此志愿者 id 之后开始（中断后续跑时可用，从头重跑也安全）"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError(_("每批行数至少为 1。"))
        if len(settings.PERSONAL_DATA_KEYS) < 2:
            # Not an error: with one key the pass is a check that every token decrypts.
            self.stderr.write(
                _(
                    "提示：PERSONAL_DATA_KEYS 只有 %(count)d 个密钥；"
                    "轮换时应把新密钥放在最前，旧密钥保留在后。"
                )
                % {"count": len(settings.PERSONAL_DATA_KEYS)}
            )
        started = time.monotonic()
        last_id: int = options["start_after"]
        seen = rotated = current = 0
        undecryptable: list[int] = []
        reported = 0
        while True:
            try:
                rows, changed, stale = self._batch(last_id, batch_size, dry_run)
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
            if not rows:
                break
            last_id = rows[-1]
            seen += len(rows)
            rotated += changed
            undecryptable += stale
            current += len(rows) - changed - len(stale)
            if seen - reported >= PROGRESS_EVERY or options["verbosity"] >= 2:
                reported = seen
                self.stdout.write(
                    _(
                        "  已检查 %(seen)d 行（至 id %(last)d），重新加密 %(rotated)d，"
                        "无法解密 %(bad)d，已用 %(elapsed).1f 秒"
                    )
                    % {
                        "seen": seen,
                        "last": last_id,
                        "rotated": rotated,
                        "bad": len(undecryptable),
                        "elapsed": time.monotonic() - started,
                    }
                )
        self._report(dry_run, seen, rotated, current, undecryptable, started)

    def _batch(self, after: int, size: int, dry_run: bool) -> tuple[list[int], int, list[int]]:
        """One batch after id ``after``: its ids, how many tokens were (or would be)
        re-encrypted, and the ids whose token no key decrypts."""
        with transaction.atomic():
            batch = Volunteer.objects.filter(pk__gt=after).order_by("pk")
            if not dry_run:
                # Locked until the batch commits: a volunteer who re-applies meanwhile gets
                # a new token, which this pass must not overwrite with the old number.
                batch = batch.select_for_update()
            rows = list(batch.values_list("pk", "id_number_encrypted")[:size])
            changed: list[Volunteer] = []
            stale: list[int] = []
            for pk, token in rows:
                try:
                    new_token = reencrypt_id_number(token)
                except InvalidToken:
                    stale.append(pk)
                    continue
                if new_token is not None:
                    changed.append(Volunteer(pk=pk, id_number_encrypted=new_token))
            if changed and not dry_run:
                # bulk_update leaves updated_at alone: a new key is not a change of the person.
                Volunteer.objects.bulk_update(changed, ["id_number_encrypted"])
        return [pk for pk, _token in rows], len(changed), stale

    def _report(
        self,
        dry_run: bool,
        seen: int,
        rotated: int,
        current: int,
        undecryptable: list[int],
        started: float,
    ) -> None:
        summary = _(
            "共检查 %(seen)d 行：%(verb)s %(rotated)d 行，已是第一个密钥 %(current)d 行，"
            "无法解密 %(bad)d 行；用时 %(elapsed).1f 秒。"
        ) % {
            "seen": seen,
            "verb": _("将重新加密") if dry_run else _("重新加密"),
            "rotated": rotated,
            "current": current,
            "bad": len(undecryptable),
            "elapsed": time.monotonic() - started,
        }
        if dry_run:
            summary += _("（试运行，未写入任何数据）")
        self.stdout.write(summary)
        if undecryptable:
            self.stderr.write(
                _(
                    "以下志愿者的身份证号码无法用当前任何密钥解密，未作改动；"
                    "在查明原因前不要删除旧密钥：%(ids)s"
                )
                % {"ids": ", ".join(str(pk) for pk in undecryptable)}
            )
