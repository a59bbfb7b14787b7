"""Doing a write once when the client may send it twice: an ``Idempotency-Key`` header on
the API, and a one-time token on a page's form.

Both are kept in the database (core.models), not in the cache: a replay must be recognised
after a restart and on whichever web process it reaches, and the row is what serialises two
requests that arrive together.

The API key (``idempotent``). The first request with a key inserts the (user, key) row and,
in the same transaction, does the work and stores its answer. A second request with the same
key that arrives meanwhile waits: its insert blocks on the unique index until the first
commits (PostgreSQL), or its transaction cannot begin until the first's ends (SQLite, whose
transactions take the write lock as they begin). It then finds the stored answer and replays
it. Waiting was chosen over answering 409 "in flight": the client gets the one answer it
wanted, and the wait is as long as one placement. When the first fails (a refusal, an error),
its row rolls back with everything else: only success is remembered, and the same key may be
sent again once the input is fixed. A key is kept ``IDEMPOTENCY_KEY_HOURS`` (24 by default);
``idempotency_purge`` deletes older ones, and an expired row met before the purge is taken
over as if new.

The form token (``form_token_issue``, ``form_token_spend``) is the same idea with the key
chosen by the server and handed out with the form: spent in the transaction that does the
form's work, it sends a replay (back button and resubmit, a double tap) to what the first
submission made. A token the server did not give this user is refused.

This module is the bottom layer's: it knows nothing of orders, only of a callable that
produces an answer.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import CoreErrorCode, DomainError
from core.models import FormToken, IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Visible ASCII, no spaces: what a UUID, a ULID or any sensible client key is made of, and
# nothing a log line or a header could be confused by.
KEY_PATTERN = re.compile(r"[\x21-\x7e]+")


class IdempotencyKeyInvalid(DomainError):
    http_status = 400


class IdempotencyKeyReused(DomainError):
    """The key was used before with a different request: answering the first request's
    answer would be a lie, doing the work again would be what the key is there to stop."""

    http_status = 422


class FormTokenInvalid(DomainError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def key_from_header(value: str | None) -> str | None:
    """The key a client sent, or None when it sent none; a malformed one is refused."""
    if value is None:
        return None
    if not value:
        raise IdempotencyKeyInvalid(
            _("Idempotency-Key 不能为空。"), code=CoreErrorCode.IDEMPOTENCY_KEY_INVALID
        )
    if len(value) > MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalid(
            _("Idempotency-Key 不能超过 %(max)d 个字符。") % {"max": MAX_KEY_LENGTH},
            code=CoreErrorCode.IDEMPOTENCY_KEY_INVALID,
        )
    if not KEY_PATTERN.fullmatch(value):
        raise IdempotencyKeyInvalid(
            _("Idempotency-Key 只能包含可见的 ASCII 字符（不含空格）。"),
            code=CoreErrorCode.IDEMPOTENCY_KEY_INVALID,
        )
    return value


def fingerprint(scope: str, data: Any) -> str:
    """A digest of what was asked: the operation and its input, with keys sorted so the
    same JSON object written in another order is the same request."""
    if hasattr(data, "lists"):  # a QueryDict from a form-encoded body
        data = {name: values for name, values in data.lists()}
    text = json.dumps([scope, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key_lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def idempotent(
    *, user: Any, key: str, request_hash: str, produce: Callable[[], tuple[int, Any]]
) -> Answer:
    """``produce`` once per (user, key): the first call runs it, in this transaction, and
    keeps its (status, body); a later call with the same request gets them back. See the
    module's docstring for what a concurrent call does."""
    with transaction.atomic():
        # ON CONFLICT DO NOTHING: a row another transaction has inserted but not committed
        # makes this statement wait for it, which is the whole point.
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(user=user, key=key, request_hash=request_hash)],
            ignore_conflicts=True,
        )
        row = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
        if row.response_status is not None and row.created_at < timezone.now() - _key_lifetime():
            # Expired but not yet purged: the key is free again.
            row.request_hash, row.response_status, row.response_body = request_hash, None, None
            row.created_at = timezone.now()
        if row.response_status is not None:
            if row.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    _("该 Idempotency-Key 已用于另一个不同的请求，请换一个新的键。"),
                    code=CoreErrorCode.IDEMPOTENCY_KEY_REUSED,
                )
            return Answer(status=row.response_status, body=row.response_body, replayed=True)
        status, body = produce()
        row.response_status, row.response_body = status, body
        row.save()
        return Answer(status=status, body=body, replayed=False)


def idempotency_purge() -> int:
    """Delete the keys past their lifetime; returns how many."""
    cutoff = timezone.now() - _key_lifetime()
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    tokens, _per_model = FormToken.objects.filter(
        created_at__lt=timezone.now() - _form_token_lifetime()
    ).delete()
    return deleted + tokens


# --- one-time form tokens -----------------------------------------------------------------


def _form_token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.FORM_TOKEN_HOURS)


def form_token_issue(*, user: Any, purpose: str) -> str:
    """A new token for one form of ``purpose``, for ``user`` only."""
    token = secrets.token_urlsafe(32)
    FormToken.objects.create(user=user, purpose=purpose, token=token)
    return token


@dataclass(frozen=True)
class Spent:
    result_url: str
    replayed: bool


def form_token_spend(*, user: Any, purpose: str, token: str, produce: Callable[[], str]) -> Spent:
    """Do the form's work (``produce``, which returns the URL of what it made) once per
    token. A replay, even one that arrives while the first is running (it waits on the
    token's row), gets the first one's URL. A token this user was not given for this
    purpose, or one past its lifetime unspent, is refused (FormTokenInvalid) and nothing is
    done. A refusal from ``produce`` rolls the spending back: the token stays good for the
    corrected form."""
    with transaction.atomic():
        row = (
            FormToken.objects.select_for_update()
            .filter(user=user, purpose=purpose, token=(token or "")[:64])
            .first()
        )
        if row is None or (
            row.used_at is None and row.created_at < timezone.now() - _form_token_lifetime()
        ):
            raise FormTokenInvalid(
                _("表单已失效或无效，请检查后重新提交。"), code=CoreErrorCode.FORM_TOKEN_INVALID
            )
        if row.used_at is not None:
            return Spent(result_url=row.result_url, replayed=True)
        url = produce()
        row.used_at, row.result_url = timezone.now(), url
        row.save(update_fields=["used_at", "result_url"])
        return Spent(result_url=url, replayed=False)
