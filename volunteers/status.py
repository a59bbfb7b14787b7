"""The volunteer's status: the one table of moves, who may make each, and the event row.

    (new) / rejected / left ──apply──▶ pending          the applicant
    (new) / rejected / left ──accept──▶ active          the phone's owner, confirming a
                                                      row a cadre imported (the cadre's
                                                      import is the review)
    pending ──approve──▶ active, pending ──reject──▶ rejected   a reviewing cadre in scope
    active ──suspend──▶ suspended                     a cadre in scope, with a reason
    suspended ──reinstate──▶ active                   a cadre in scope
    active / suspended ──leave──▶ left                the volunteer themself, or a cadre
                                                      in scope with a reason

Every service that changes a status (volunteers.services.profiles) locks the volunteer's row,
asks ``status_move`` here, and so writes the VolunteerStatusEvent in the same transaction;
a move the table does not hold is refused (409) and changes nothing. Only ``active``
volunteers are offered orders (orders.selectors ranks ``status = 'active'``), so a suspended
or departed volunteer gets no offers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.errors import ConflictError
from volunteers.errors import VolunteerErrorCode
from volunteers.models import Volunteer, VolunteerStatusEvent

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

S = Volunteer.Status


class Who(StrEnum):
    """Who asks for a move, as the service has established it."""

    APPLICANT = "applicant"  # the signed-in person applying for themself
    CADRE = "cadre"  # a cadre whose scope covers the volunteer
    SELF = "self"  # the volunteer themself
    INVITEE = "invitee"  # the owner of the phone a cadre's roster row names, confirming it


# "" is a volunteer not written yet: the first application.
TRANSITIONS: dict[tuple[str, str], frozenset[Who]] = {
    ("", S.PENDING): frozenset({Who.APPLICANT}),
    (S.REJECTED, S.PENDING): frozenset({Who.APPLICANT}),
    (S.LEFT, S.PENDING): frozenset({Who.APPLICANT}),
    ("", S.ACTIVE): frozenset({Who.INVITEE}),
    (S.REJECTED, S.ACTIVE): frozenset({Who.INVITEE}),
    (S.LEFT, S.ACTIVE): frozenset({Who.INVITEE}),
    (S.PENDING, S.ACTIVE): frozenset({Who.CADRE}),
    (S.PENDING, S.REJECTED): frozenset({Who.CADRE}),
    (S.ACTIVE, S.SUSPENDED): frozenset({Who.CADRE}),
    (S.SUSPENDED, S.ACTIVE): frozenset({Who.CADRE}),
    (S.ACTIVE, S.LEFT): frozenset({Who.SELF, Who.CADRE}),
    (S.SUSPENDED, S.LEFT): frozenset({Who.SELF, Who.CADRE}),
}

# Moves a cadre makes only with a reason (it is told to the volunteer and kept on the event).
REASON_REQUIRED: frozenset[tuple[str, str, Who]] = frozenset(
    {
        (S.PENDING, S.REJECTED, Who.CADRE),
        (S.ACTIVE, S.SUSPENDED, Who.CADRE),
        (S.ACTIVE, S.LEFT, Who.CADRE),
        (S.SUSPENDED, S.LEFT, Who.CADRE),
    }
)

ACTION_NAMES: dict[str, StrPromise] = {
    S.PENDING: gettext_lazy("申请"),
    S.ACTIVE: gettext_lazy("审核通过或恢复"),
    S.REJECTED: gettext_lazy("审核不通过"),
    S.SUSPENDED: gettext_lazy("暂停"),
    S.LEFT: gettext_lazy("退出"),
}


class StatusMoveRefused(ConflictError):
    """409: the volunteer's status, or who is asking, does not allow this move."""


def allowed(from_status: str, to_status: str, who: Who) -> bool:
    return who in TRANSITIONS.get((from_status, to_status), frozenset())


def check_move(from_status: str, to_status: str, who: Who) -> None:
    """Raise StatusMoveRefused unless ``who`` may move a volunteer from ``from_status``."""
    if allowed(from_status, to_status, who):
        return
    label = S(from_status).label if from_status else _("未申请")
    raise StatusMoveRefused(
        _("志愿者当前状态为“%(status)s”，不能%(action)s。")
        % {"status": label, "action": ACTION_NAMES[to_status]},
        code=VolunteerErrorCode.STATUS_MOVE_REFUSED,
    )


def status_move(
    volunteer: Volunteer,
    *,
    to: str,
    actor: User | None,
    who: Who,
    reason: str = "",
    fields: tuple[str, ...] = (),
) -> VolunteerStatusEvent:
    """Move ``volunteer`` (locked by the caller, inside its transaction) to ``to``, saving
    the status with ``fields`` the caller set alongside, and write the event."""
    before = volunteer.status
    check_move(before, to, who)
    volunteer.status = to
    volunteer.save(update_fields=["status", "updated_at", *fields])
    return record_move(volunteer, from_status=before, actor=actor, reason=reason)


def record_move(
    volunteer: Volunteer, *, from_status: str, actor: User | None, reason: str = ""
) -> VolunteerStatusEvent:
    """The event of a move already checked (check_move) and saved: for an application,
    which writes the whole row (a new one, or one applying again)."""
    return VolunteerStatusEvent.objects.create(
        volunteer=volunteer,
        from_status=from_status,
        to_status=volunteer.status,
        actor=actor,
        reason=reason[:200],
        home_center_id=volunteer.home_center_id,
        township_id=volunteer.township_id,
        county_id=volunteer.county_id,
    )
