"""Every write to the hours and points ledgers.

An entry is written once per (volunteer, source, source id, kind): a second write of the same
key (a retry, a redelivered task, a double click) writes nothing and answers False. The
volunteer's cached balance moves in SQL in the same transaction as the entry, never
read-modify-write in Python, so the cache and the ledger always agree.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from points.errors import PointErrorCode
from points.models.ledger import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    HoursEntry,
    Kind,
    OrderReview,
    PointsEntry,
    Source,
)
from points.selectors.ledger import reviews_in_scope
from points.services.rules import coefficient_of, points_for_hours, rules_current
from points.services.stars import mark_for_recheck
from practice.scoping import scope_queryset
from volunteers.models import Volunteer

# What an order earned, and what its reversal takes back.
EARNING_KINDS = (Kind.EARNED, Kind.RATING_BONUS, Kind.ADJUSTED)


def _check_sign(kind: str, amount: Decimal | int) -> None:
    if (kind in CREDIT_KINDS and amount < 0) or (kind in DEBIT_KINDS and amount > 0):
        raise DomainError(_("记录的数额与类型不符。"), code=PointErrorCode.AMOUNT_SIGN)


def _is_repeat(ledger: type[HoursEntry | PointsEntry], **key: object) -> bool:
    """Whether the entry of ``key`` (volunteer, source, source id, kind) exists, asked once
    its INSERT failed and its savepoint rolled back. Only that means "written before"; any
    other integrity failure (a missing volunteer) is a bug to surface, not a repeat to
    swallow. Asked of the table rather than of the error, which names the constraint on
    PostgreSQL but not on SQLite (the demo), where a repeat would otherwise raise."""
    return ledger.objects.filter(**key).exists()


def _entry_insert(
    ledger: type[HoursEntry | PointsEntry], *, volunteer_id: int, **values: object
) -> None:
    """Write one entry of ``ledger`` with its volunteer's home, township and county copied
    from the volunteer's row by the statement itself, ``INSERT … SELECT … FROM the
    volunteer``: no read of the volunteer first. ``values`` are the entry's other columns by
    attribute name. Raises Volunteer.DoesNotExist when no such volunteer exists.

    Written out because the ORM's ``create`` copies the three columns through three
    subqueries, whose building and compiling cost more than the statement itself: an
    hours entry took 1.6–2.3 ms longer at city scale (docs/benchmarks.md, "One entry")."""
    fields = {field.attname: field for field in ledger._meta.concrete_fields}
    values["created_at"] = timezone.now()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in values)
    placeholders = ", ".join(["%s"] * len(values))
    params = [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ledger._meta.db_table)}"
            f" (volunteer_id, home_center_id, township_id, county_id, {columns})"
            f" SELECT id, home_center_id, township_id, county_id, {placeholders}"
            f" FROM {quote(Volunteer._meta.db_table)} WHERE id = %s",
            [*params, volunteer_id],
        )
        if cursor.rowcount != 1:
            raise Volunteer.DoesNotExist(f"no volunteer {volunteer_id} for a ledger entry")


# The savepoint inside is the transaction (a caller's, or its own when called alone), so
# the function needs no second one around it.
def hours_credit(
    *,
    volunteer_id: int,
    source: str,
    source_id: int,
    hours: Decimal,
    kind: str = Kind.EARNED,
    actor: User | None = None,
    reason: str = "",
) -> bool:
    """Write ``hours`` once for (volunteer, ``source``, ``source_id``, ``kind``): True if this
    call wrote them, False if that entry was written before (a retry, a redelivered task).
    ``hours`` is signed: negative for a reversal, either way for an adjustment."""
    _check_sign(kind, hours)
    try:
        with transaction.atomic():
            _entry_insert(
                HoursEntry,
                volunteer_id=volunteer_id,
                kind=kind,
                source=source,
                source_id=source_id,
                hours=hours,
                actor_id=actor.pk if actor else None,
                reason=reason,
            )
            Volunteer.objects.filter(pk=volunteer_id).update(hours=F("hours") + hours)
            # Eligibility and the leaderboards' rows follow every hours entry through the
            # outbox (points.tasks), not in this transaction: each of the rows' upserts
            # would write the four board indexes on every check-out.
            mark_for_recheck([volunteer_id])
    except IntegrityError:
        if _is_repeat(
            HoursEntry, volunteer_id=volunteer_id, source=source, source_id=source_id, kind=kind
        ):
            return False
        raise
    return True


# As hours_credit: the savepoint inside is its transaction.
def points_credit(
    *,
    volunteer_id: int,
    source: str,
    source_id: int,
    points: int,
    kind: str,
    rules_id: int | None = None,
    actor: User | None = None,
    reason: str = "",
) -> bool:
    """Write ``points`` (signed: negative for redeemed, reversed, expired) once for
    (volunteer, ``source``, ``source_id``, ``kind``): True if written, False on a repeat.

    A debit never takes the balance below zero: the balance moves by a conditional UPDATE
    (``points >= spent``), so two debits at once cannot spend the same points; a debit the
    balance cannot cover raises DomainError(POINTS_INSUFFICIENT) and writes nothing."""
    _check_sign(kind, points)
    volunteer = Volunteer.objects.filter(pk=volunteer_id)
    try:
        # One savepoint for the entry and the balance: a refused debit leaves neither,
        # even for a caller that catches the refusal inside its own transaction.
        with transaction.atomic():
            _entry_insert(
                PointsEntry,
                volunteer_id=volunteer_id,
                kind=kind,
                source=source,
                source_id=source_id,
                points=points,
                rules_id=rules_id,
                actor_id=actor.pk if actor else None,
                reason=reason,
            )
            covered = volunteer if points >= 0 else volunteer.filter(points__gte=-points)
            if not covered.update(points=F("points") + points):
                raise DomainError(
                    _("积分余额不足。"), code=PointErrorCode.POINTS_INSUFFICIENT, field="points"
                )
    except IntegrityError:
        if _is_repeat(
            PointsEntry, volunteer_id=volunteer_id, source=source, source_id=source_id, kind=kind
        ):
            return False
        raise
    return True


def _earned_points(volunteer_id: int, source: str, source_id: int) -> int:
    total = PointsEntry.objects.filter(
        volunteer_id=volunteer_id, source=source, source_id=source_id, kind__in=EARNING_KINDS
    ).aggregate(total=Sum("points"))["total"]
    return int(total or 0)


# No savepoint of its own: the two credits keep theirs for a repeat, and any other failure
# must undo the caller's whole transaction (hours without their points) anyway.
@transaction.atomic(savepoint=False)
def service_award(
    *,
    volunteer_id: int,
    source: str,
    source_id: int,
    hours: Decimal,
    service_id: int | None = None,
) -> bool:
    """Certified hours for one service done (an order, an activity's attendance): the hours
    entry and the points they earn, priced by the rules in force now (points per hour times
    the service's coefficient, rounded half up, capped per source). True if this call
    credited the hours, False on a repeat, which writes nothing."""
    if not hours_credit(volunteer_id=volunteer_id, source=source, source_id=source_id, hours=hours):
        return False
    rules = rules_current(coefficient_for=service_id)
    points = points_for_hours(hours, rules, coefficient_of(rules))
    if rules.order_cap is not None:
        points = min(points, rules.order_cap)
    points_credit(
        volunteer_id=volunteer_id,
        source=source,
        source_id=source_id,
        points=points,
        kind=Kind.EARNED,
        rules_id=rules.pk,
    )
    return True


@transaction.atomic
def rating_award(
    *,
    volunteer_id: int,
    order_id: int,
    score: int,
    center_id: int,
    township_id: int | None,
    county_id: int | None,
    comment: str = "",
) -> bool:
    """What a resident's rating of a served order does to its volunteer's ledgers.

    5 stars: a bonus entry beside the award, within the order's cap. 1 star: no bonus, and
    the order goes to a review by the cadres of its center (``center_id`` and the path
    above it, as the order copies them); its hours stand until the review reverses them.
    Any other score changes nothing. True if this call wrote the bonus or opened the
    review, False otherwise (a repeat included)."""
    if score == 5:
        rules = rules_current()
        bonus = rules.rating_bonus
        if rules.order_cap is not None:
            earned = _earned_points(volunteer_id, Source.ORDER, order_id)
            bonus = max(0, min(bonus, rules.order_cap - earned))
        if bonus == 0:
            return False
        return points_credit(
            volunteer_id=volunteer_id,
            source=Source.ORDER,
            source_id=order_id,
            points=bonus,
            kind=Kind.RATING_BONUS,
            rules_id=rules.pk,
        )
    if score == 1:
        _, created = OrderReview.objects.get_or_create(
            order_id=order_id,
            defaults={
                "volunteer_id": volunteer_id,
                "center_id": center_id,
                "township_id": township_id,
                "county_id": county_id,
                "rating": score,
                "comment": comment,
            },
        )
        return created
    return False


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写原因。"), code=PointErrorCode.REASON_REQUIRED, field="reason")
    if len(reason) > 200:
        raise DomainError(
            _("原因不能超过 200 个字。"), code=PointErrorCode.REASON_REQUIRED, field="reason"
        )
    return reason


@transaction.atomic
def source_reverse(
    *, actor: User | None, volunteer_id: int, source: str, source_id: int, reason: str
) -> bool:
    """Take back what one source earned the volunteer, by reversing entries in both ledgers:
    its hours in full, its points (award, bonus and adjustments) as far as the balance still
    holds them (points already spent stay spent; the balance never goes below zero).
    Idempotent: a source is reversed once. True if this call wrote a reversal."""
    reason = _reason(reason)
    # The volunteer's row, locked: the points reversal reads the balance it may not exceed,
    # and a redemption at the same moment waits for this one.
    balance = (
        Volunteer.objects.select_for_update().values_list("points", flat=True).get(pk=volunteer_id)
    )
    own = {"volunteer_id": volunteer_id, "source": source, "source_id": source_id}
    hours = HoursEntry.objects.filter(**own, kind__in=EARNING_KINDS).aggregate(total=Sum("hours"))[
        "total"
    ] or Decimal(0)
    wrote = False
    if hours > 0:
        wrote |= hours_credit(
            volunteer_id=volunteer_id,
            source=source,
            source_id=source_id,
            hours=-hours,
            kind=Kind.REVERSED,
            actor=actor,
            reason=reason,
        )
    points = min(_earned_points(volunteer_id, source, source_id), balance)
    if points > 0:
        wrote |= points_credit(
            volunteer_id=volunteer_id,
            source=source,
            source_id=source_id,
            points=-points,
            kind=Kind.REVERSED,
            actor=actor,
            reason=reason,
        )
    return wrote


@transaction.atomic
def ledger_adjust(
    *,
    actor: User,
    volunteer_id: int,
    source_id: int,
    reason: str,
    hours: Decimal | None = None,
    points: int | None = None,
) -> bool:
    """A cadre's entry with a reason (source "cadre", ``source_id`` naming the cadre's
    record, e.g. a 补录 request): hours and/or points, either sign, for a volunteer in the
    cadre's scope. A points debit the balance cannot cover is refused. True if written."""
    reason = _reason(reason)
    volunteers = Volunteer.objects.filter(pk=volunteer_id)
    if not scope_queryset(volunteers, actor, via="home_center").exists():
        raise NotInScope(_("志愿者不存在。"), code=PointErrorCode.VOLUNTEER_NOT_IN_SCOPE)
    wrote = False
    if hours:
        wrote |= hours_credit(
            volunteer_id=volunteer_id,
            source=Source.CADRE,
            source_id=source_id,
            hours=hours,
            kind=Kind.ADJUSTED,
            actor=actor,
            reason=reason,
        )
    if points:
        wrote |= points_credit(
            volunteer_id=volunteer_id,
            source=Source.CADRE,
            source_id=source_id,
            points=points,
            kind=Kind.ADJUSTED,
            actor=actor,
            reason=reason,
        )
    return wrote


@transaction.atomic
def review_decide(*, actor: User, review_id: int, reverse: bool, reason: str = "") -> OrderReview:
    """A cadre in scope decides a 1-star review: the hours stand (``reverse`` False), or the
    order's hours and points are reversed (``reverse`` True, a reason required). A review is
    decided once."""
    if reverse:
        reason = _reason(reason)
    else:
        reason = (reason or "").strip()[:200]
    review = reviews_in_scope(actor).select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotInScope(_("复核记录不存在。"), code=PointErrorCode.REVIEW_NOT_IN_SCOPE)
    if review.status != OrderReview.Status.OPEN:
        raise ConflictError(_("该差评已复核。"), code=PointErrorCode.REVIEW_DECIDED)
    if reverse:
        source_reverse(
            actor=actor,
            volunteer_id=review.volunteer_id,
            source=Source.ORDER,
            source_id=review.order_id,
            reason=reason,
        )
    review.status = OrderReview.Status.REVERSED if reverse else OrderReview.Status.UPHELD
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.reason = reason
    review.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return review


EXPIRE_SQL = """
WITH due AS (
    SELECT entry.volunteer_id,
           SUM(CASE WHEN entry.points > 0 AND entry.kind <> %(refunded)s
                     AND entry.created_at < %(year_end)s THEN entry.points ELSE 0 END)
           + SUM(CASE WHEN entry.points < 0 THEN entry.points ELSE 0 END)
           + SUM(CASE WHEN entry.kind = %(refunded)s THEN entry.points ELSE 0 END) AS amount
      FROM points_pointsentry AS entry
     GROUP BY entry.volunteer_id
    HAVING MIN(entry.created_at) < %(year_end)s
),
written AS (
    INSERT INTO points_pointsentry (volunteer_id, home_center_id, township_id, county_id,
                                    kind, source, source_id, points, reason, created_at)
    SELECT due.volunteer_id, volunteer.home_center_id, volunteer.township_id,
           volunteer.county_id, %(expired)s, %(expiry)s, %(year)s, -due.amount, '', now()
      FROM due
      JOIN volunteers_volunteer AS volunteer ON volunteer.id = due.volunteer_id
     WHERE due.amount > 0
    ON CONFLICT (volunteer_id, source, source_id, kind) DO NOTHING
    RETURNING volunteer_id, points
)
UPDATE volunteers_volunteer AS volunteer
   SET points = volunteer.points + written.points
  FROM written
 WHERE volunteer.id = written.volunteer_id
"""


def expiring_year(today: datetime.date) -> int:
    """Points earned in year Y expire at the end of year Y+1: on ``today`` the year whose
    points are due is two years back."""
    return today.year - 2


@transaction.atomic
def points_expire(*, today: datetime.date | None = None) -> int:
    """Expire, for every volunteer at once, the points earned in the due year (and any
    earlier one a missed run left) that are still unspent, when the rules in force have
    expiry on. One set-based statement: the expired entries and the balances move together.

    Spending takes the oldest points first, so what is due is the points earned up to the
    end of that year less everything taken since the first entry (spent, reversed, already
    expired; refunds give back): never more than the balance. Idempotent by the ledger's
    key (source "expiry", the year): a second run of the same year writes nothing. Returns
    the number of volunteers whose points expired."""
    if not rules_current().expiry_enabled:
        return 0
    year = expiring_year(today or timezone.localdate())
    year_end = datetime.datetime(year + 1, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with connection.cursor() as cursor:
        cursor.execute(
            EXPIRE_SQL,
            {
                "refunded": Kind.REFUNDED,
                "expired": Kind.EXPIRED,
                "expiry": Source.EXPIRY,
                "year": year,
                "year_end": year_end,
            },
        )
        return cursor.rowcount
