"""Hours without proof become claims (points.models.proof.HoursClaim) that wait for the
resident's confirmation or a cadre's decision; only then do they reach the ledger, through
service_award (an order's hours and their points) or ledger_adjust (补录, with the cadre's
reason). Each claim is decided once: its row is locked and its status checked."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from points.errors import PointErrorCode
from points.models import HoursClaim, Source
from points.selectors.proof import claims_in_scope
from points.services.ledger import ledger_adjust, service_award
from volunteers.models import Volunteer

C = HoursClaim.Status
OPEN = (C.AWAITING_RESIDENT, C.AWAITING_CADRE, C.DISPUTED)
# The most hours one 补录 claims: a day's service.
OFFLINE_MAX_HOURS = Decimal(24)


@transaction.atomic
def order_claim_open(
    *,
    volunteer_id: int,
    order_id: int,
    resident_id: int | None,
    service_id: int | None,
    hours: Decimal,
    measured_hours: Decimal,
    center_id: int,
    township_id: int | None,
    county_id: int | None,
    to_cadre: bool,
    description: str = "",
) -> HoursClaim:
    """An order's hours held at check-out: for the resident to confirm, or (the code voided,
    a figure beside the measured one) for a cadre. Opened once per order."""
    claim, _created = HoursClaim.objects.get_or_create(
        order_id=order_id,
        defaults={
            "kind": HoursClaim.Kind.ORDER,
            "volunteer_id": volunteer_id,
            "resident_id": resident_id,
            "service_id": service_id,
            "hours": hours,
            "measured_hours": measured_hours,
            "served_on": timezone.localdate(),
            "description": description,
            "status": C.AWAITING_CADRE if to_cadre else C.AWAITING_RESIDENT,
            "center_id": center_id,
            "township_id": township_id,
            "county_id": county_id,
        },
    )
    return claim


def _certify(claim: HoursClaim, actor: User | None, reason: str) -> None:
    if claim.kind == HoursClaim.Kind.ORDER:
        assert claim.order_id is not None
        service_award(
            volunteer_id=claim.volunteer_id,
            source=Source.ORDER,
            source_id=claim.order_id,
            hours=claim.hours,
            service_id=claim.service_id,
        )
    else:
        assert actor is not None
        ledger_adjust(
            actor=actor,
            volunteer_id=claim.volunteer_id,
            source_id=claim.pk,
            reason=reason,
            hours=claim.hours,
        )
    claim.status = C.CERTIFIED


def _residents_claim(resident: User, order_id: int) -> HoursClaim:
    claim = (
        HoursClaim.objects.select_for_update().filter(order_id=order_id, resident=resident).first()
    )
    if claim is None:
        raise NotInScope(_("该订单没有待确认的服务时长。"), code=PointErrorCode.CLAIM_NOT_IN_SCOPE)
    return claim


@transaction.atomic
def order_claim_confirm(*, resident: User, order_id: int) -> bool:
    """The resident confirms the service took place (on the order page, or by rating it):
    hours awaiting them are certified. True if this call certified them; False when there
    was nothing waiting for the resident (certified by the code, or before a cadre)."""
    claim = (
        HoursClaim.objects.select_for_update().filter(order_id=order_id, resident=resident).first()
    )
    if claim is None or claim.status != C.AWAITING_RESIDENT:
        return False
    _certify(claim, None, "")
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_at"])
    return True


@transaction.atomic
def order_claim_dispute(*, resident: User, order_id: int, reason: str) -> HoursClaim:
    """The resident says the service did not happen: the hours are held for a cadre."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DomainError(
            _("请说明情况。"), code=PointErrorCode.CLAIM_REASON_REQUIRED, field="reason"
        )
    if len(text) > 200:
        raise DomainError(
            _("说明最多 200 个字。"), code=PointErrorCode.CLAIM_REASON_REQUIRED, field="reason"
        )
    claim = _residents_claim(resident, order_id)
    if claim.status not in (C.AWAITING_RESIDENT, C.AWAITING_CADRE):
        raise ConflictError(
            _("该服务时长已处理，如有问题请联系实践站。"), code=PointErrorCode.CLAIM_DECIDED
        )
    claim.status = C.DISPUTED
    claim.dispute_reason = text
    claim.save(update_fields=["status", "dispute_reason"])
    return claim


@transaction.atomic
def claim_decide(*, actor: User, claim_id: int, approve: bool, reason: str = "") -> HoursClaim:
    """A cadre of the subtree approves a claim (its hours reach the ledger) or rejects it
    (a reason required, and the volunteer's hours stay as they were)."""
    text = (reason or "").strip()
    if len(text) > 200:
        raise DomainError(
            _("审核意见最多 200 个字。"), code=PointErrorCode.CLAIM_REASON_REQUIRED, field="reason"
        )
    claim = claims_in_scope(actor).select_for_update(of=("self",)).filter(pk=claim_id).first()
    if claim is None:
        raise NotInScope(_("未找到该时长记录。"), code=PointErrorCode.CLAIM_NOT_IN_SCOPE)
    if claim.status not in OPEN:
        raise ConflictError(_("该时长记录已审核。"), code=PointErrorCode.CLAIM_DECIDED)
    if approve and claim.kind == HoursClaim.Kind.OFFLINE and not text:
        text = _("线下服务补录，经审核认定。")
    if not approve and not text:
        raise DomainError(
            _("请填写不予认证的理由。"), code=PointErrorCode.CLAIM_REASON_REQUIRED, field="reason"
        )
    if approve:
        _certify(claim, actor, text)
    else:
        claim.status = C.REJECTED
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.decision_reason = text
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return claim


@transaction.atomic
def offline_claim_submit(
    *, volunteer: Volunteer, served_on: datetime.date, hours: Decimal, description: str
) -> HoursClaim:
    """补录: a volunteer reports service done off the platform; it waits for a cadre of
    their home's subtree, who approves it with a reason."""
    text = description.strip() if isinstance(description, str) else ""
    errors: list[DomainError] = []
    if not text:
        errors.append(
            DomainError(
                _("请说明服务内容。"), code=PointErrorCode.CLAIM_INVALID, field="description"
            )
        )
    elif len(text) > 500:
        errors.append(
            DomainError(
                _("说明最多 500 个字。"), code=PointErrorCode.CLAIM_INVALID, field="description"
            )
        )
    if not (Decimal(0) < hours <= OFFLINE_MAX_HOURS):
        errors.append(
            DomainError(
                _("时长应大于 0 且不超过 24 小时。"),
                code=PointErrorCode.CLAIM_INVALID,
                field="hours",
            )
        )
    today = timezone.localdate()
    earliest = today - datetime.timedelta(days=settings.OFFLINE_CLAIM_DAYS)
    if not (earliest <= served_on <= today):
        errors.append(
            DomainError(
                _("服务日期应在近 %(days)d 天内，且不晚于今天。")
                % {"days": settings.OFFLINE_CLAIM_DAYS},
                code=PointErrorCode.CLAIM_INVALID,
                field="served_on",
            )
        )
    if errors:
        raise errors[0]
    return HoursClaim.objects.create(
        kind=HoursClaim.Kind.OFFLINE,
        volunteer=volunteer,
        hours=hours.quantize(Decimal("0.01")),
        served_on=served_on,
        description=text,
        status=C.AWAITING_CADRE,
        center_id=volunteer.home_center_id,
        township_id=volunteer.township_id,
        county_id=volunteer.county_id,
    )
