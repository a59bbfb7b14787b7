"""The in-app inbox, and the one pluggable way out of the portal (SMS, WeChat, ...).

Every message lands in the recipient's inbox; the backend named by NOTIFICATION_BACKEND then
gets the chance to push it elsewhere. The default backend writes a log line; an SMS or
WeChat gateway is a class with the same ``send`` method, named in settings.

A verification code goes to a phone that may have no account yet, so it has no inbox: the
backend's ``send_to_phone(phone, text)`` takes it straight to the number. A gateway that
cannot text a number leaves the method out, and asking for a code then says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import Notification

logger = logging.getLogger("portal.notify")


class NotificationBackend(Protocol):
    def send(self, notification: Notification) -> None: ...


class PhoneBackend(Protocol):
    def send_to_phone(self, phone: str, text: str) -> None: ...


class PhoneUnreachable(Exception):
    """The configured backend has no way to text a bare phone number."""


def _masked(phone: str) -> str:
    # core sits below accounts, so the mask is written out here rather than imported.
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "*" * len(phone)


class LogBackend:
    """Writes each message to the log: the default, and what the demo uses. A text to a
    phone (a verification code) is logged whole, with the number masked: the demo's user
    reads their code there, and the log keeps no full phone number."""

    def send(self, notification: Notification) -> None:
        logger.info("notify user=%s: %s", notification.user_id, notification.title)

    def send_to_phone(self, phone: str, text: str) -> None:
        logger.info("sms to=%s: %s", _masked(phone), text)


@lru_cache(maxsize=1)
def _backend(path: str) -> NotificationBackend:
    return import_string(path)()


def backend() -> NotificationBackend:
    return _backend(settings.NOTIFICATION_BACKEND)


def phone_text_send(*, phone: str, text: str) -> None:
    """Text ``phone``, which need not belong to any account. Raises PhoneUnreachable when
    the backend cannot text numbers; a gateway's own failure propagates, so the caller can
    tell the person the code did not go out."""
    gateway = backend()
    send_to_phone = getattr(gateway, "send_to_phone", None)
    if send_to_phone is None:
        raise PhoneUnreachable(type(gateway).__name__)
    send_to_phone(phone, text)


@dataclass(frozen=True)
class Message:
    """One message for one user's inbox; ``key`` names what it reports."""

    user_id: int
    key: str
    title: str
    body: str = ""
    link: str = ""


def notifications_send(
    *, user_ids: Iterable[int], key: str, title: str, body: str = "", link: str = ""
) -> int:
    """Put the message in each user's inbox once, then hand the new ones to the backend.
    Returns how many were new; a repeat (a retried task) adds and sends nothing."""
    return notifications_send_many(
        Message(user_id=user_id, key=key, title=title, body=body, link=link) for user_id in user_ids
    )


def notifications_send_many(messages: Iterable[Message]) -> int:
    """Put each message in its user's inbox unless one with its key is there already, then
    hand the new ones to the backend; return how many were new. Two statements whatever the
    number of messages (the notifier tells a hundred events at a time): one reads which are
    there (through the (user, key) constraint's index), one inserts the rest. The unique
    constraint still refuses a message written twice at once, and the caller's transaction
    with it, to be run again."""
    wanted: dict[tuple[int, str], Message] = {}
    for message in messages:
        wanted.setdefault((message.user_id, message.key), message)
    if not wanted:
        return 0
    with transaction.atomic():
        there = set(
            Notification.objects.filter(
                user_id__in={user_id for user_id, _key in wanted},
                key__in={key for _user_id, key in wanted},
            ).values_list("user_id", "key")
        )
        created = Notification.objects.bulk_create(
            [
                Notification(
                    user_id=message.user_id,
                    key=message.key,
                    title=message.title[:100],
                    body=message.body[:500],
                    link=message.link[:200],
                )
                for pair, message in wanted.items()
                if pair not in there
            ]
        )
    for notification in created:
        try:
            backend().send(notification)
        except Exception:  # noqa: BLE001 - a gateway outage must not undo the inbox
            logger.exception("backend could not send notification %s", notification.pk)
    return len(created)


def notifications_mark_read(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
