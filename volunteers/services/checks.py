"""The checks a volunteer profile passes however it is made (applying, a cadre's creation,
a roster row, its person accepting an invitation), and the writes of what they found, so
that profiles.py and rosters.py cannot drift apart on who may be a volunteer."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from practice.models import Center, Level
from volunteers.errors import VolunteerErrorCode
from volunteers.identity import (
    IdentityFacts,
    encrypt_id_number,
    id_number_digest,
    normalize_id_number,
    validate_id_number,
)
from volunteers.models import RosterInvitation, Volunteer

# A rejected or departed volunteer may apply again; anyone else already has a profile.
REAPPLYING_STATUSES = (Volunteer.Status.REJECTED, Volunteer.Status.LEFT)


@dataclass(frozen=True)
class CheckedIdentity:
    """An ID number that passed the checks: normalised, what it says of its holder, and the
    digest it is looked up by."""

    id_number: str
    facts: IdentityFacts
    digest: str


def checked_identity(raw_id_number: object) -> CheckedIdentity:
    id_number = normalize_id_number(raw_id_number)
    try:
        facts = validate_id_number(id_number)
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0],
            code=VolunteerErrorCode(exc.code or VolunteerErrorCode.ID_INVALID),
            field="id_number",
        ) from exc
    return CheckedIdentity(id_number=id_number, facts=facts, digest=id_number_digest(id_number))


def checked_home(home_center: Center) -> tuple[Center, Center]:
    """The home's township and county, refusing anything but an active village."""
    if home_center.level != Level.VILLAGE or not home_center.is_active:
        raise DomainError(
            _("请选择所在的村（社区）。"), code=VolunteerErrorCode.HOME_NOT_VILLAGE, field="center"
        )
    township = home_center.parent
    if township is not None and township.level == Level.VILLAGE:
        # A base under a village serves that village.
        township = township.parent
    county = township.parent if township is not None else None
    if township is None or county is None:
        raise DomainError(
            _("该村（社区）不在完整的阵地体系中。"),
            code=VolunteerErrorCode.HOME_ORPHAN,
            field="center",
        )
    return township, county


def refuse_taken_id(digest: str, *, except_volunteer: Volunteer | None = None) -> None:
    taken = Volunteer.objects.filter(id_number_digest=digest)
    if except_volunteer is not None:
        taken = taken.exclude(pk=except_volunteer.pk)
    if taken.exists():
        raise DomainError(
            _("该身份证号码已登记为志愿者，不能重复申请。如有疑问请联系所在实践站。"),
            code=VolunteerErrorCode.ID_TAKEN,
            field="id_number",
        )


def store_id_number(row: Volunteer | RosterInvitation, identity: CheckedIdentity) -> None:
    """The number as a profile or a held roster row keeps it: never in clear."""
    row.id_number_encrypted = encrypt_id_number(identity.id_number)
    row.id_number_digest = identity.digest
    row.id_number_first4 = identity.id_number[:4]
    row.id_number_last4 = identity.id_number[-4:]


def profile_fill(
    volunteer: Volunteer,
    *,
    real_name: str,
    identity: CheckedIdentity,
    home_center: Center,
    township: Center,
    county: Center,
) -> None:
    """Who the profile's person is and where they live: the number with the birth date and
    gender it carries, and the home with its ancestors (``checked_home``)."""
    volunteer.real_name = real_name
    store_id_number(volunteer, identity)
    volunteer.birth_date = identity.facts.birth_date
    volunteer.gender = identity.facts.gender
    volunteer.home_center = home_center
    volunteer.township = township
    volunteer.county = county


def profile_save(volunteer: Volunteer, *, taken_message: str) -> None:
    """Save a whole profile whose number ``refuse_taken_id`` passed: if the same number was
    registered since, at the same moment, the unique digest decides and the loser is told
    ``taken_message``."""
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError as exc:
        raise DomainError(
            taken_message, code=VolunteerErrorCode.ID_TAKEN, field="id_number"
        ) from exc
