"""What the top bar and the admin index tell a signed-in user of their work: the unread
messages, and for a cadre the queue of their subtree's orders. Read lazily, when a template
asks: a page that shows neither (most admin pages, an anonymous visit) costs no query."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.http import account_of
from core.models import Notification
from orders.selectors import QUEUE_COUNT_CAP, cadre_queue_counts, capped_counts
from practice.models import CadreRole
from practice.scoping import ROLE_COLUMNS


def shown_count(count: int) -> str:
    """A capped count as the page shows it: "99+" once it reached the cap."""
    return f"{QUEUE_COUNT_CAP - 1}+" if count >= QUEUE_COUNT_CAP else str(count)


class PortalWork:
    """One statement for every signed-in user (the unread count and whether they are a
    cadre); two more only for a cadre or a superuser (their roles, then the queue)."""

    def __init__(self, user: object) -> None:
        self.user = account_of(user)

    @cached_property
    def _basics(self) -> dict[str, int]:
        if self.user is None:
            return {"unread": 0, "roles": 0}
        return capped_counts(
            {
                "unread": Notification.objects.filter(user=self.user, read_at__isnull=True),
                "roles": CadreRole.objects.filter(user=self.user),
            }
        )

    @cached_property
    def unread(self) -> str:
        count = self._basics["unread"]
        return shown_count(count) if count else ""

    @cached_property
    def is_dispatcher(self) -> bool:
        return bool(self._basics["roles"] or getattr(self.user, "is_superuser", False))

    @cached_property
    def queue(self) -> dict[str, str] | None:
        if not self.is_dispatcher or self.user is None:
            return None
        roles = None
        if not getattr(self.user, "is_superuser", False):
            roles = list(CadreRole.objects.filter(user=self.user).values_list(*ROLE_COLUMNS))
        counts = cadre_queue_counts(self.user, roles=roles)
        return {name: shown_count(count) for name, count in counts.items()}


def portal_work(request: HttpRequest) -> dict[str, object]:
    # Lazy even about the user: a page that never looks at the top bar's counts must not
    # load the session for them.
    return {"portal_work": SimpleLazyObject(lambda: PortalWork(request.user))}
