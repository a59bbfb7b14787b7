"""Request types for annotations: what a view behind a sign-in gate may rely on."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that ``login_required`` (or the admin site's permission) has let in: its
    user is an account, never the anonymous one. Django's stubs cannot know the gate."""

    user: User


class AuthenticatedRequest(Request):
    """The same for DRF, behind ``IsAuthenticated``."""

    user: User


def account_of(user: object) -> User | None:
    """The signed-in account ``user`` is (a request's user, lazy or not), or None for the
    anonymous user and anything else: the one narrowing of "whoever asks" to an account."""
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None
