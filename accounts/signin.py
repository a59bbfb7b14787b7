"""Sign-in protection and the sign-in records.

Two guards, both in the database:

- django-axes locks a phone number per client address after AXES_FAILURE_LIMIT failures (a
  typo-prone colleague behind the office's one NAT address cannot lock the others out);
- the per-account guard (SignInGuard) counts failures of one number across every address:
  after SIGNIN_ACCOUNT_FAILURES (10) within SIGNIN_ACCOUNT_WINDOW_MINUTES (15), the account
  is delayed for 1 minute, and each failure after a delay doubles the next one (2, 4, ...,
  at most SIGNIN_ACCOUNT_MAX_DELAY_MINUTES, 30). During a delay no password is checked, not
  even the right one, and the refused attempts do not count: a stranger can slow an account
  down to a guess every half hour but never lock its owner out for long, and the owner
  ends the delay at once with a reset code. A quiet quarter of an hour after the last delay
  ends forgets the streak.

Sign-in records (axes's AccessAttempt, AccessFailureLog and AccessLog, and the guard's rows)
name the account by a keyed digest of its phone, never by the number, and are purged after
SIGNIN_RECORD_RETENTION_DAYS (183: the six months the Cybersecurity Law asks network logs be
kept), with the verification-code rows.
"""

from __future__ import annotations

import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.digests import phone_digest
from accounts.models import PhoneVerification, SignInGuard

# Set on the request by the guard's backend, read by the failure receiver and the lockout
# page: whether a password was actually tried, and until when the account is delayed.
PASSWORD_TRIED = "signin_password_tried"
DELAYED_UNTIL = "signin_delayed_until"


# --- the digest django-axes stores instead of the phone --------------------------------


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the digest of the phone the sign-in named."""
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = (credentials or {}).get(field)
    if raw is None and request is not None:
        raw = getattr(request, "data", request.POST).get(field)
    if raw is None:
        return None
    return phone_digest(raw)


class _DigestNamed:
    """A user seen by axes's success and sign-out handlers, which take the username from
    the user rather than through AXES_USERNAME_CALLABLE."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def get_username(self) -> str:
        return phone_digest(self._user.get_username())


class DigestAxesHandler(AxesDatabaseHandler):
    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, _DigestNamed(user), **kwargs)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_out(sender, request, _DigestNamed(user) if user else None, **kwargs)


# --- the per-account guard ---------------------------------------------------------------


def _window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.SIGNIN_ACCOUNT_WINDOW_MINUTES)


def _delay_after(delays_imposed: int) -> datetime.timedelta:
    minutes = min(2**delays_imposed, settings.SIGNIN_ACCOUNT_MAX_DELAY_MINUTES)
    return datetime.timedelta(minutes=minutes)


def signin_delayed_until(
    raw_phone: object, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Until when sign-ins of this number are refused, or None."""
    now = now or timezone.now()
    until = (
        SignInGuard.objects.filter(account_digest=phone_digest(raw_phone), delayed_until__gt=now)
        .values_list("delayed_until", flat=True)
        .first()
    )
    return until


@transaction.atomic
def signin_failure_record(
    raw_phone: object, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Count a wrong password for this number, from whatever address; return the end of
    the delay it earned, if any."""
    now = now or timezone.now()
    guard, created = SignInGuard.objects.select_for_update().get_or_create(
        account_digest=phone_digest(raw_phone),
        defaults={"window_started_at": now, "last_failure_at": now},
    )
    streak_over = guard.delayed_until is not None and now >= guard.delayed_until + _window()
    window_over = guard.delayed_until is None and now >= guard.window_started_at + _window()
    if not created and (streak_over or window_over):
        guard.window_started_at = now
        guard.window_failures = 0
        guard.delays_imposed = 0
        guard.delayed_until = None
    guard.window_failures += 1
    guard.last_failure_at = now
    if guard.delays_imposed or guard.window_failures >= settings.SIGNIN_ACCOUNT_FAILURES:
        guard.delayed_until = now + _delay_after(guard.delays_imposed)
        guard.delays_imposed += 1
    guard.save()
    return guard.delayed_until if guard.delays_imposed else None


def signin_guard_clear(raw_phone: object) -> None:
    """Forget the failures of this number: it signed in, or proved it holds the phone.
    Also ends django-axes's per-address lockouts of it, everywhere."""
    digest = phone_digest(raw_phone)
    SignInGuard.objects.filter(account_digest=digest).delete()
    AccessAttempt.objects.filter(username=digest).delete()


class AccountDelayBackend:
    """Between axes's backend and the password check: refuses every sign-in of a delayed
    account, and marks the request when the password is about to be tried, so that only
    real guesses are counted."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None or username is None:
            return None
        until = signin_delayed_until(username)
        if until is not None:
            setattr(request, DELAYED_UNTIL, until)
            # axes's middleware (and the token endpoint) answer with the lockout page.
            setattr(request, "axes_locked_out", True)  # noqa: B010  (axes reads it back)
            raise PermissionDenied
        setattr(request, PASSWORD_TRIED, True)
        return None

    # No get_user: this backend never signs anyone in, and Django's test client (and
    # login() without a backend) would otherwise pick it for the session.


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None or not getattr(request, PASSWORD_TRIED, False):
        return
    # One authenticate() call is one guess, whatever else listens to the signal.
    setattr(request, PASSWORD_TRIED, False)
    until = signin_failure_record(credentials.get("username"))
    if until is not None:
        setattr(request, DELAYED_UNTIL, until)
        setattr(request, "axes_locked_out", True)  # noqa: B010  (axes reads it back)


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    SignInGuard.objects.filter(account_digest=phone_digest(user.get_username())).delete()


# --- retention ---------------------------------------------------------------------------


def signin_records_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete sign-in records older than SIGNIN_RECORD_RETENTION_DAYS; return the counts."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.SIGNIN_RECORD_RETENTION_DAYS)
    with transaction.atomic():
        counts = {
            "access_attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0],
            "access_failures": AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
            "access_logs": AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
            "account_guards": SignInGuard.objects.filter(last_failure_at__lt=cutoff).delete()[0],
            "verification_codes": PhoneVerification.objects.filter(created_at__lt=cutoff).delete()[
                0
            ],
        }
    return counts
