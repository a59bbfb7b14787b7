"""Roster import (花名册) and the invitations that hold a row until its person confirms."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import mask_phone, validate_mainland_mobile
from core.errors import ConflictError, DomainError, NotInScope
from core.notify import Message, PhoneUnreachable, notifications_send_many, phone_text_send
from practice.models import Center, Level
from practice.scoping import visible_centers
from volunteers.account_selectors import users_in_scope
from volunteers.errors import VolunteerErrorCode
from volunteers.identity import decrypt_id_number, phone_digest
from volunteers.models import (
    RosterInvitation,
    Skill,
    Volunteer,
)
from volunteers.selectors import can_review, volunteers_in_scope
from volunteers.services.checks import (
    REAPPLYING_STATUSES,
    checked_home,
    checked_identity,
    profile_fill,
    profile_save,
    refuse_taken_id,
    store_id_number,
)
from volunteers.status import Who, check_move, record_move

logger = logging.getLogger("portal.volunteers")

ROSTER_BATCH_SIZE = 500


@dataclass(frozen=True)
class RosterEntry:
    """One volunteer of a roster a cadre imports. ``line`` is the row's number in the file,
    for the messages; the values are as read off the row, the checks judge them."""

    line: int
    real_name: str
    phone: str
    id_number: str
    home_center: Center | None
    skills: tuple[Skill, ...] = ()
    is_party_member: bool = False
    insurer: str = ""
    insurance_number: str = ""
    insurance_valid_until: datetime.date | None = None


# line → field of RosterEntry → messages
RosterProblems = dict[int, dict[str, list[str]]]


def _roster_home_problems(actor: User, centers: Iterable[Center]) -> dict[int, str]:
    """Why each home center refuses the roster's volunteers, by center id. Queries per
    distinct center at most (a roster names few villages however long it is)."""
    by_id = {center.pk: center for center in centers}
    in_scope = set(visible_centers(actor).filter(pk__in=list(by_id)).values_list("pk", flat=True))
    problems: dict[int, str] = {}
    for pk, center in by_id.items():
        if pk not in in_scope:
            problems[pk] = _("“%(code)s”不在您的管辖范围内。") % {"code": center.code}
        elif center.level != Level.VILLAGE:
            problems[pk] = _("“%(name)s”是%(level)s阵地，请填写村（社区）级编码。") % {
                "name": center.name,
                "level": center.get_level_display(),
            }
        elif not center.is_active:
            problems[pk] = _("“%(name)s”已停用。") % {"name": center.name}
        elif not can_review(actor, center):
            # Importing makes volunteers active without review; only those who may approve
            # an application for this village may vouch for a roster of it.
            problems[pk] = _("村（社区）的在册志愿者由乡镇（街道）及以上管理员导入。")
        else:
            try:
                checked_home(center)
            except DomainError as exc:
                problems[pk] = exc.message
    return problems


def volunteer_roster_check(*, actor: User, entries: Sequence[RosterEntry]) -> RosterProblems:
    """Everything that stops ``entries`` from being imported, by line and field: the checks
    volunteer_apply makes of one person, made set-wise, so a roster of thousands costs a
    fixed handful of queries (plus a few per distinct home center)."""
    problems: RosterProblems = defaultdict(lambda: defaultdict(list))
    home_problems = _roster_home_problems(
        actor, (entry.home_center for entry in entries if entry.home_center is not None)
    )
    first_line_of_digest: dict[str, int] = {}
    first_line_of_phone: dict[str, int] = {}
    digest_of_line: dict[int, str] = {}
    for entry in entries:
        refuse = problems[entry.line]
        real_name = entry.real_name.strip()
        if not real_name:
            refuse["real_name"].append(_("请填写真实姓名。"))
        elif len(real_name) > 50:
            refuse["real_name"].append(_("姓名不能超过 50 个字。"))
        try:
            validate_mainland_mobile(entry.phone)
        except ValidationError as exc:
            refuse["phone"].append(exc.messages[0])
        else:
            first = first_line_of_phone.setdefault(entry.phone, entry.line)
            if first != entry.line:
                refuse["phone"].append(_("与第 %(line)d 行的手机号重复。") % {"line": first})
        try:
            digest = checked_identity(entry.id_number).digest
        except DomainError as exc:
            refuse["id_number"].append(exc.message)
        else:
            digest_of_line[entry.line] = digest
            first = first_line_of_digest.setdefault(digest, entry.line)
            if first != entry.line:
                refuse["id_number"].append(
                    _("与第 %(line)d 行的身份证号码重复。") % {"line": first}
                )
        if entry.home_center is None:
            refuse["home_center"].append(_("请填写所属村（社区）。"))
        elif entry.home_center.pk in home_problems:
            refuse["home_center"].append(home_problems[entry.home_center.pk])
        stopped = [skill.name for skill in entry.skills if not skill.is_active]
        if stopped:
            refuse["skills"].append(_("技能已停用：%(names)s。") % {"names": "、".join(stopped)})
        if len(entry.insurer) > 60:
            refuse["insurer"].append(_("保险公司名称不能超过 60 个字。"))
        if len(entry.insurance_number) > 60:
            refuse["insurance_number"].append(_("保单号不能超过 60 个字符。"))
    # Only what the actor's subtree holds may refuse a row: a number registered elsewhere
    # must not be learnt from the preview, so such a row is held as an invitation instead
    # (roster_outcomes) and the person settles it.
    in_scope = volunteers_in_scope(actor)
    taken = set(
        in_scope.filter(id_number_digest__in=set(digest_of_line.values())).values_list(
            "id_number_digest", flat=True
        )
    )
    profiles = dict(
        in_scope.filter(user__phone__in=list(first_line_of_phone)).values_list(
            "user__phone", "status"
        )
    )
    for entry in entries:
        if digest_of_line.get(entry.line) in taken:
            problems[entry.line]["id_number"].append(_("该身份证号码已登记为志愿者。"))
        if entry.phone in profiles:
            problems[entry.line]["phone"].append(
                _("该手机号的账号已有志愿者档案（%(status)s）。")
                % {"status": Volunteer.Status(profiles[entry.phone]).label}
            )
    return {
        line: {field: messages for field, messages in fields.items() if messages}
        for line, fields in problems.items()
        if any(fields.values())
    }


def _adoptable_accounts(actor: User, entries: Sequence[RosterEntry]) -> dict[str, User]:
    """The accounts a roster row may take over directly, by phone: those the actor answers
    for (``users_in_scope``), whose phone was verified, whose name is the row's real name
    (spaces trimmed) and which have no volunteer profile. Every other row invites."""
    wanted = {entry.phone: entry.real_name.strip() for entry in entries}
    candidates = users_in_scope(
        actor,
        User.objects.filter(phone__in=list(wanted), phone_verified_at__isnull=False).exclude(
            Exists(Volunteer.objects.filter(user=OuterRef("pk")))
        ),
    )
    return {user.phone: user for user in candidates if user.name.strip() == wanted[user.phone]}


def roster_outcomes(*, actor: User, entries: Sequence[RosterEntry]) -> dict[int, bool]:
    """Whether each row (by line) is registered at once (True) or held as an invitation
    until its person confirms (False): the preview's answer, from the actor's scope only."""
    adoptable = _adoptable_accounts(actor, entries)
    return {entry.line: entry.phone in adoptable for entry in entries}


@dataclass
class RosterImported:
    """What an import made: volunteers registered at once, rows held as invitations."""

    volunteers: list[Volunteer]
    invitations: list[RosterInvitation]
    adopted_lines: frozenset[int] = frozenset()

    def by_line(self, entries: Sequence[RosterEntry]) -> list[Volunteer | RosterInvitation]:
        """What each entry became, in the entries' order."""
        made = iter(self.volunteers)
        held = iter(self.invitations)
        return [next(made) if entry.line in self.adopted_lines else next(held) for entry in entries]


@transaction.atomic
def volunteer_roster_import(*, actor: User, entries: Sequence[RosterEntry]) -> RosterImported:
    """Register a roster a cadre vouches for; all of it or, if any entry fails the checks,
    none.

    A row whose phone is a verified account the actor answers for, under the same real
    name and without a volunteer profile, becomes an active volunteer at once, reviewed by
    ``actor``. Every other row is held as a ``RosterInvitation`` that the phone's owner
    accepts after signing in with the phone verified: no account is made or taken over for
    someone who has not proved the number is theirs. Rows go in by bulk inserts.
    """
    problems = volunteer_roster_check(actor=actor, entries=entries)
    if problems:
        raise DomainError(
            _("花名册中有 %(count)d 行有误，未导入任何志愿者。") % {"count": len(problems)},
            code=VolunteerErrorCode.ROSTER_INVALID,
        )
    roster_invitations_purge()
    today, now = timezone.localdate(), timezone.now()
    adoptable = _adoptable_accounts(actor, entries)
    homes: dict[int, tuple[Center, Center]] = {}
    volunteers: list[Volunteer] = []
    adopted_entries: list[RosterEntry] = []
    invitations: list[RosterInvitation] = []
    invited_entries: list[RosterEntry] = []
    expires_at = now + INVITATION_LIFETIME
    for entry in entries:
        identity = checked_identity(entry.id_number)
        center = entry.home_center
        if center is None:
            raise AssertionError("volunteer_roster_check lets no entry without a home through")
        if entry.phone not in adoptable:
            invitation = RosterInvitation(
                home_center=center,
                real_name=entry.real_name.strip(),
                phone_digest=phone_digest(entry.phone),
                phone_masked=mask_phone(entry.phone),
                is_party_member=entry.is_party_member,
                insurer=entry.insurer.strip(),
                insurance_number=entry.insurance_number.strip(),
                insurance_valid_until=entry.insurance_valid_until,
                invited_by=actor,
                expires_at=expires_at,
            )
            store_id_number(invitation, identity)
            invitations.append(invitation)
            invited_entries.append(entry)
            continue
        if center.pk not in homes:
            homes[center.pk] = checked_home(center)
        township, county = homes[center.pk]
        volunteer = Volunteer(
            user=adoptable[entry.phone],
            is_party_member=entry.is_party_member,
            status=Volunteer.Status.ACTIVE,
            joined_on=today,
            reviewed_by=actor,
            reviewed_at=now,
            insurer=entry.insurer.strip(),
            insurance_number=entry.insurance_number.strip(),
            insurance_valid_until=entry.insurance_valid_until,
        )
        profile_fill(
            volunteer,
            real_name=entry.real_name.strip(),
            identity=identity,
            home_center=center,
            township=township,
            county=county,
        )
        volunteers.append(volunteer)
        adopted_entries.append(entry)
    try:
        with transaction.atomic():
            Volunteer.objects.bulk_create(volunteers, batch_size=ROSTER_BATCH_SIZE)
    except IntegrityError as exc:
        # Someone registered one of these numbers since the checks: the unique indexes
        # decide, and nothing of the roster stays.
        raise ConflictError(
            _("导入期间有人登记了花名册中的手机号或身份证号码，请重新上传核对。"),
            code=VolunteerErrorCode.ROSTER_CONFLICT,
        ) from exc
    Link = Volunteer.skills.through
    Link.objects.bulk_create(
        [
            Link(volunteer_id=volunteer.pk, skill_id=skill.pk)
            for volunteer, entry in zip(volunteers, adopted_entries, strict=True)
            for skill in dict.fromkeys(entry.skills)
        ],
        batch_size=ROSTER_BATCH_SIZE * 4,
    )
    _roster_invitations_write(invitations, invited_entries)
    return RosterImported(
        volunteers=volunteers,
        invitations=invitations,
        adopted_lines=frozenset(entry.line for entry in adopted_entries),
    )


# How long a held roster row waits for its person; then it is deleted with its ID number.
INVITATION_LIFETIME = datetime.timedelta(days=30)


def _roster_invitations_write(
    invitations: list[RosterInvitation], entries: Sequence[RosterEntry]
) -> None:
    """Save the held rows (a newer roster's row replaces an older one for the same phone and
    village) and tell the owners who have proved their phone, once the import commits."""
    if not invitations:
        return
    new_pairs = {(invitation.phone_digest, invitation.home_center.pk) for invitation in invitations}
    earlier = RosterInvitation.objects.filter(
        phone_digest__in={digest for digest, _center in new_pairs}
    ).values_list("pk", "phone_digest", "home_center_id")
    replaced = [pk for pk, digest, center_id in earlier if (digest, center_id) in new_pairs]
    if replaced:
        RosterInvitation.objects.filter(pk__in=replaced).delete()
    RosterInvitation.objects.bulk_create(invitations, batch_size=ROSTER_BATCH_SIZE)
    Link = RosterInvitation.skills.through
    Link.objects.bulk_create(
        [
            Link(rosterinvitation_id=invitation.pk, skill_id=skill.pk)
            for invitation, entry in zip(invitations, entries, strict=True)
            for skill in dict.fromkeys(entry.skills)
        ],
        batch_size=ROSTER_BATCH_SIZE * 4,
    )
    # An unverified account may be a squatter's: it hears nothing of the roster.
    owners = dict(
        User.objects.filter(
            phone__in=[entry.phone for entry in entries], phone_verified_at__isnull=False
        ).values_list("phone", "pk")
    )
    messages = [
        Message(
            user_id=owners[entry.phone],
            key=f"roster-invitation-{invitation.pk}",
            title=_("%(center)s邀请您确认志愿者登记") % {"center": invitation.home_center.name},
            body=_("请在“志愿者邀请”页面核对信息并确认，确认后即成为在册志愿者。"),
            link=reverse("volunteers:invitations"),
        )
        for invitation, entry in zip(invitations, entries, strict=True)
        if entry.phone in owners
    ]
    if messages:
        transaction.on_commit(lambda: notifications_send_many(messages))
    # Whoever holds a number that no verified account has is told by a text to the number
    # itself (never to an unverified account, which may be a squatter's). Sent from memory
    # after commit: the invitation keeps only the phone's digest, so no task could send it.
    texts = {
        entry.phone: invitation.home_center.name
        for invitation, entry in zip(invitations, entries, strict=True)
        if entry.phone not in owners
    }
    if texts:
        transaction.on_commit(lambda: _roster_invitation_texts_send(texts))


def _roster_invitation_texts_send(center_by_phone: dict[str, str]) -> None:
    for phone, center_name in center_by_phone.items():
        text = _(
            "%(center)s将您登记为志愿者。请用本手机号注册或登录门户，在“志愿者邀请”页面确认。"
        ) % {"center": center_name}
        try:
            phone_text_send(phone=phone, text=text)
        except PhoneUnreachable:
            # No gateway texts numbers here: the person sees the invitation once they sign
            # up with this number and verify it.
            return
        except Exception:
            # A gateway failure must not undo a committed import; the invitation waits.
            logger.exception("roster invitation text not sent to %s", mask_phone(phone))


def roster_invitations_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the invitations nobody accepted in time, and the ID numbers they held."""
    _deleted, by_model = RosterInvitation.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return by_model.get(RosterInvitation._meta.label, 0)


def _own_invitation(user: User, invitation_id: int) -> RosterInvitation:
    if user.phone_verified_at is None:
        raise DomainError(
            _("请先验证您的手机号，再确认志愿者邀请。"), code=VolunteerErrorCode.PHONE_NOT_VERIFIED
        )
    invitation = (
        RosterInvitation.objects.select_for_update()
        .select_related("home_center")
        .filter(
            pk=invitation_id, phone_digest=phone_digest(user.phone), expires_at__gt=timezone.now()
        )
        .first()
    )
    if invitation is None:
        raise NotInScope(_("邀请不存在或已过期。"), code=VolunteerErrorCode.INVITATION_NOT_FOUND)
    return invitation


@transaction.atomic
def roster_invitation_accept(*, user: User, invitation_id: int) -> Volunteer:
    """The phone's owner confirms a roster row: they become the active volunteer the cadre
    registered, reviewed by the cadre who imported it. Their other invitations go."""
    invitation = _own_invitation(user, invitation_id)
    identity = checked_identity(decrypt_id_number(invitation.id_number_encrypted))
    township, county = checked_home(invitation.home_center)
    volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
    if volunteer is not None and volunteer.status not in REAPPLYING_STATUSES:
        raise ConflictError(
            _("您已有志愿者档案，无需再确认。如需转到其他村（社区），请联系所在实践站。"),
            code=VolunteerErrorCode.ALREADY_VOLUNTEER,
        )
    before = volunteer.status if volunteer is not None else ""
    check_move(before, Volunteer.Status.ACTIVE, Who.INVITEE)
    refuse_taken_id(identity.digest, except_volunteer=volunteer)
    volunteer = volunteer or Volunteer(user=user)
    profile_fill(
        volunteer,
        real_name=invitation.real_name,
        identity=identity,
        home_center=invitation.home_center,
        township=township,
        county=county,
    )
    volunteer.is_party_member = invitation.is_party_member
    volunteer.insurer = invitation.insurer
    volunteer.insurance_number = invitation.insurance_number
    volunteer.insurance_valid_until = invitation.insurance_valid_until
    volunteer.status = Volunteer.Status.ACTIVE
    volunteer.joined_on = timezone.localdate()
    volunteer.reviewed_by = invitation.invited_by
    volunteer.reviewed_at = timezone.now()
    volunteer.review_reason = ""
    profile_save(volunteer, taken_message=_("该身份证号码已登记为志愿者，不能重复登记。"))
    volunteer.skills.set(invitation.skills.all())
    # The move's event names the person who confirmed; the importing cadre is the reviewer.
    record_move(volunteer, from_status=before, actor=user, reason=_("花名册导入，本人确认。"))
    RosterInvitation.objects.filter(phone_digest=invitation.phone_digest).delete()
    return volunteer


@transaction.atomic
def roster_invitation_decline(*, user: User, invitation_id: int) -> None:
    """The phone's owner says the row is not theirs or not wanted: it goes, ID number and all."""
    _own_invitation(user, invitation_id).delete()
