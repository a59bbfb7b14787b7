"""Publishing the points rules, and pricing an entry by them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from points.errors import PointErrorCode
from points.models.rules import PointsRules, ServiceCoefficient
from practice.models import Service
from practice.scoping import manages_whole_tree

# Bounds that keep a typing slip (a coefficient of 100, a million points an hour) out of
# the rules; the fields' own widths hold the rest.
MAX_POINTS_PER_HOUR = Decimal(1000)
MAX_COEFFICIENT = Decimal(10)


def rules_current(*, coefficient_for: int | None = None) -> PointsRules:
    """The version that prices new entries: the newest. A database without any (a new
    installation, a flushed test database) gets the defaults as its first version.

    With ``coefficient_for`` (a service id) the version comes with that service's
    coefficient read in the same query, as ``priced_coefficient`` (None where the version
    names none; see coefficient_of)."""
    newest = PointsRules.objects.order_by("-id")
    if coefficient_for is not None:
        named = ServiceCoefficient.objects.filter(rules=OuterRef("pk"), service_id=coefficient_for)
        newest = newest.annotate(priced_coefficient=Subquery(named.values("coefficient")[:1]))
    found = newest.first()
    if found is None:
        found = PointsRules.objects.create()
    return found


def coefficient_of(rules: PointsRules) -> Decimal:
    """The coefficient rules_current(coefficient_for=...) read beside the version: 1 for a
    service the version does not name, or when none was asked for."""
    found = getattr(rules, "priced_coefficient", None)
    return Decimal(1) if found is None else Decimal(found)


def points_for_hours(hours: Decimal, rules: PointsRules, coefficient: Decimal) -> int:
    """Points per hour times the service's coefficient, rounded half up to whole points."""
    exact = Decimal(hours) * rules.points_per_hour * coefficient
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal(value: object, *, field: str, label: str, maximum: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            _("%(label)s应为数字。") % {"label": label},
            code=PointErrorCode.RULES_INVALID,
            field=field,
        ) from exc
    if not number.is_finite() or not Decimal(0) <= number <= maximum:
        raise DomainError(
            _("%(label)s应在 0 到 %(max)s 之间。") % {"label": label, "max": maximum},
            code=PointErrorCode.RULES_INVALID,
            field=field,
        )
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _whole(value: object, *, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise DomainError(
            _("%(label)s应为 0 到 100000 之间的整数。") % {"label": label},
            code=PointErrorCode.RULES_INVALID,
            field=field,
        )
    return value


@transaction.atomic
def rules_publish(
    *,
    actor: User,
    points_per_hour: Decimal,
    rating_bonus: int,
    order_cap: int | None,
    expiry_enabled: bool,
    coefficients: Mapping[int, Decimal],
    note: str = "",
) -> PointsRules:
    """A new version of the rules, in force for entries written from now on; entries written
    before keep the version that priced them. Only a cadre of the city keeps the rules.

    ``coefficients`` maps a service id to its coefficient; services it leaves out earn at 1.
    """
    if not manages_whole_tree(actor):
        raise DomainError(_("积分规则只能由市级干部修改。"), code=PointErrorCode.RULES_CITY_ONLY)
    rate = _decimal(
        points_per_hour, field="points_per_hour", label=_("每小时积分"), maximum=MAX_POINTS_PER_HOUR
    )
    bonus = _whole(rating_bonus, field="rating_bonus", label=_("五星好评奖励积分"))
    cap = (
        None if order_cap is None else _whole(order_cap, field="order_cap", label=_("每单积分上限"))
    )
    note = (note or "").strip()
    if len(note) > 200:
        raise DomainError(
            _("修订说明不能超过 200 个字。"), code=PointErrorCode.RULES_INVALID, field="note"
        )
    priced = {
        int(service_id): _decimal(
            value, field="coefficients", label=_("服务积分系数"), maximum=MAX_COEFFICIENT
        )
        for service_id, value in coefficients.items()
    }
    known = set(Service.objects.filter(pk__in=priced).values_list("pk", flat=True))
    if known != set(priced):
        raise DomainError(
            _("服务项目不存在。"), code=PointErrorCode.SERVICE_UNKNOWN, field="coefficients"
        )
    rules = PointsRules.objects.create(
        points_per_hour=rate,
        rating_bonus=bonus,
        order_cap=cap,
        expiry_enabled=bool(expiry_enabled),
        note=note,
        created_by=actor,
    )
    ServiceCoefficient.objects.bulk_create(
        ServiceCoefficient(rules=rules, service_id=service_id, coefficient=value)
        for service_id, value in sorted(priced.items())
    )
    return rules
