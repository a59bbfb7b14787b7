"""Rules on an order's input and timing that more than one surface asks: the order form,
the API's serializer and the services call the same functions, so a page and the API
refuse the same input in the same words.

The functions raise Django's ValidationError: a form and a serializer collect it beside
its field along with every other error; a service turns it into a DomainError.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.phones import normalize_contact_number, validate_contact_number

# A time picked a moment ago reaches the server a little later: how far in the past an
# expected start may lie before it is refused.
PAST_GRACE = datetime.timedelta(minutes=5)


def clean_contact_number(raw: object) -> str:
    """The contact number of an order, mobile or landline, in its kept form."""
    number = normalize_contact_number(raw)
    validate_contact_number(number)
    return number


def refuse_past(
    value: datetime.datetime | None, *, field: str, now: datetime.datetime | None = None
) -> None:
    """An expected time (``field`` "preferred_start" or "preferred_end") lies ahead, within
    ``PAST_GRACE``."""
    if value is None or value >= (now or timezone.now()) - PAST_GRACE:
        return
    if field == "preferred_start":
        raise ValidationError(_("期望开始时间已过，请选择以后的时间。"), code="in_the_past")
    raise ValidationError(_("期望结束时间已过，请选择以后的时间。"), code="in_the_past")


def check_expected_window(
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    *,
    now: datetime.datetime | None = None,
) -> None:
    """The expected time of service lies ahead and ends after it starts. All the errors at
    once, each on its field."""
    errors: dict[str, list[ValidationError]] = {}
    for field, value in (("preferred_start", start), ("preferred_end", end)):
        try:
            refuse_past(value, field=field, now=now)
        except ValidationError as exc:
            errors[field] = [exc]
    if start is not None and end is not None and end <= start and "preferred_end" not in errors:
        errors["preferred_end"] = [
            ValidationError(_("期望结束时间应晚于开始时间。"), code="window_invalid")
        ]
    if errors:
        raise ValidationError(errors)


def check_in_opens_at(order_start: datetime.datetime | None) -> datetime.datetime | None:
    """When check-in opens for an order booked at ``order_start`` (its expected start):
    ``CHECK_IN_OPENS_MINUTES_BEFORE`` minutes before it. None when nothing was booked, and
    the volunteer checks in whenever they arrive.

    The one rule of "too early to be there": the proof of service (a later issue) asks
    this function too, so that its window and check-in's never disagree."""
    if order_start is None:
        return None
    return order_start - datetime.timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)


def check_in_too_early(
    order_start: datetime.datetime | None, *, now: datetime.datetime | None = None
) -> str | None:
    """Why checking in now is refused, or None when it is allowed."""
    opens_at = check_in_opens_at(order_start)
    if opens_at is None or (now or timezone.now()) >= opens_at:
        return None
    assert order_start is not None
    return _("还没到签到时间：预约的服务时间是 %(start)s，%(opens)s 起可以签到。") % {
        "start": timezone.localtime(order_start).strftime("%Y-%m-%d %H:%M"),
        "opens": timezone.localtime(opens_at).strftime("%Y-%m-%d %H:%M"),
    }
