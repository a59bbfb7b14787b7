"""The in-app inbox, and the one pluggable way out of the portal (SMS, WeChat, ...).

Every message lands in the recipient's inbox; the backend named by NOTIFICATION_BACKEND then
gets the chance to push it elsewhere. The default backend writes a log line; an SMS or
WeChat gateway is a class with the same ``send`` method, named in settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
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


class LogBackend:
    """Writes each message to the log: the default, and what the demo uses."""

    def send(self, notification: Notification) -> None:
        logger.info("notify user=%s: %s", notification.user_id, notification.title)


@lru_cache(maxsize=1)
def _backend(path: str) -> NotificationBackend:
    return import_string(path)()


def backend() -> NotificationBackend:
    return _backend(settings.NOTIFICATION_BACKEND)


def notifications_send(
    *, user_ids: Iterable[int], key: str, title: str, body: str = "", link: str = ""
) -> int:
    """Put the message in each user's inbox once, then hand the new ones to the backend.
    Returns how many were new; a repeat (a retried task) adds and sends nothing."""
    created: list[Notification] = []
    with transaction.atomic():
        for user_id in dict.fromkeys(user_ids):
            notification, is_new = Notification.objects.get_or_create(
                user_id=user_id,
                key=key,
                defaults={"title": title[:100], "body": body[:500], "link": link[:200]},
            )
            if is_new:
                created.append(notification)
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
