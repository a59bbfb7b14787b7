"""Reads of volunteers and teams, scoped to whoever asks."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.http import account_of
from accounts.models import User
from practice.models import CadreRole, Center, Level
from practice.scoping import ROLE_COLUMNS, scope_queryset
from volunteers.identity import phone_digest
from volunteers.models import RosterInvitation, Team, TeamMembership, Volunteer

# Approving a volunteer is the township's call or higher: the village station proposes.
REVIEWING_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)
LEADING_ROLES = (TeamMembership.Role.LEADER, TeamMembership.Role.DEPUTY)


def volunteer_of(user: object) -> Volunteer | None:
    """The user's volunteer profile, whatever its status, or None: the one lookup of it for
    every surface (pages, API, /me/, the order flow)."""
    account = account_of(user)
    if account is None:
        return None
    return Volunteer.objects.filter(user=account).first()


def active_volunteer_of(user: object) -> Volunteer | None:
    """The user's volunteer profile if it is active (the one who may take tasks), or None."""
    volunteer = volunteer_of(user)
    return volunteer if volunteer is not None and volunteer.is_active_volunteer else None


def volunteers_in_scope(actor: User) -> QuerySet[Volunteer]:
    return scope_queryset(Volunteer.objects.all(), actor, via="home_center")


def can_see_personal_data(actor: User, volunteer: Volunteer) -> bool:
    """The owner and the cadres in scope see the phone number unmasked."""
    if actor.pk == volunteer.user_id:
        return True
    return volunteers_in_scope(actor).filter(pk=volunteer.pk).exists()


def can_review(actor: User, home_center: Center) -> bool:
    """Whether ``actor`` holds a township-level (or higher) role above ``home_center``."""
    if actor.is_superuser:
        return True
    return CadreRole.objects.filter(
        user=actor,
        center__level__in=REVIEWING_LEVELS,
        center__tree_id=home_center.tree_id,
        center__lft__lte=home_center.lft,
        center__rght__gte=home_center.rght,
    ).exists()


def teams_in_scope(actor: User) -> QuerySet[Team]:
    return scope_queryset(Team.objects.all(), actor, via="center")


def open_member_count() -> Coalesce:
    """A team's current members, as a correlated count through the partial index of open
    memberships (membership_team_open): for one team, or a list without an offset. Under an
    OFFSET PostgreSQL counts the skipped rows too; a paged list asks ``open_member_counts``
    for its page's teams instead."""
    counted = (
        TeamMembership.objects.filter(team=OuterRef("pk"), left_on__isnull=True)
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def open_member_counts(team_ids: list[int]) -> dict[int, int]:
    """The current members of each of ``team_ids`` (the rows of one page), from the index
    of open memberships alone; a team without members is absent."""
    if not team_ids:
        return {}
    rows = (
        TeamMembership.objects.filter(team__in=team_ids, left_on__isnull=True)
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values_list("team", "n")
    )
    return dict(rows)


def teams_of_volunteer(volunteer: Volunteer) -> QuerySet[Team]:
    return Team.objects.filter(
        memberships__volunteer=volunteer, memberships__left_on__isnull=True
    ).distinct()


def teams_visible_to(actor: User) -> QuerySet[Team]:
    """Cadres see the teams of their subtree; volunteers the teams they belong to.

    Two small reads first: the cadre's roles, so that the scope is literal tree ranges the
    planner can see (a correlated tree test per team cost the city 16 ms on its own), and
    the reader's own teams outside that scope, nearly always none. Only a reader who has
    some gets the OR, whose plan reads every team."""
    account = account_of(actor)
    if account is None:
        return Team.objects.none()
    roles = list(CadreRole.objects.filter(user=account).values_list(*ROLE_COLUMNS))
    in_scope = scope_queryset(Team.objects.all(), actor, via="center", roles=roles)
    own = Team.objects.filter(
        memberships__volunteer__user=account, memberships__left_on__isnull=True
    )
    if roles or actor.is_superuser:
        own = own.exclude(pk__in=in_scope.values("pk"))
    outside = list(own.values_list("pk", flat=True))
    if not outside:
        return in_scope
    if not roles and not actor.is_superuser:
        return Team.objects.filter(pk__in=outside)
    return in_scope | Team.objects.filter(pk__in=outside)


def can_manage_members(actor: User, team: Team) -> bool:
    """Cadres in scope, and the team's own leader and deputies."""
    if teams_in_scope(actor).filter(pk=team.pk).exists():
        return True
    return TeamMembership.objects.filter(
        team=team,
        volunteer__user=actor,
        volunteer__status=Volunteer.Status.ACTIVE,
        role__in=LEADING_ROLES,
        left_on__isnull=True,
    ).exists()


def current_members(team: Team) -> QuerySet[TeamMembership]:
    return (
        TeamMembership.objects.filter(team=team, left_on__isnull=True)
        .select_related("volunteer__user")
        .order_by("role", "joined_on", "id")
    )


def roster_invitations_for(user: User) -> QuerySet[RosterInvitation]:
    """The roster rows waiting for this account's owner: only once the phone is verified,
    since until then the account is only a claim to the number."""
    if not getattr(user, "is_authenticated", False) or user.phone_verified_at is None:
        return RosterInvitation.objects.none()
    return (
        RosterInvitation.objects.filter(
            phone_digest=phone_digest(user.phone), expires_at__gt=timezone.now()
        )
        .select_related("home_center__parent")
        .prefetch_related("skills")
        .order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------- the hand pick on the
# dispatch page: a cadre looks a volunteer up by name or phone, within their scope.

VOLUNTEER_SEARCH_LIMIT = 10
VOLUNTEER_SEARCH_MAX_LENGTH = 20


def volunteer_search(
    actor: User, query: str, *, limit: int = VOLUNTEER_SEARCH_LIMIT
) -> QuerySet[Volunteer]:
    """Active volunteers in ``actor``'s subtree whose name starts with ``query``, or whose
    phone is ``query`` (all 11 digits: the unique index on the login phone) or ends with it
    (the last four digits, 尾号: read within the scope's index range). Anything else, or an
    empty query, finds nobody. Never a volunteer outside the subtree (volunteers_in_scope)."""
    query = (query or "").strip()
    found = volunteers_in_scope(actor).filter(status=Volunteer.Status.ACTIVE)
    if not query or len(query) > VOLUNTEER_SEARCH_MAX_LENGTH:
        return Volunteer.objects.none()
    if query.isascii() and query.isdigit():
        if len(query) == 11:
            found = found.filter(user__phone=query)
        elif len(query) == 4:
            found = found.filter(user__phone__endswith=query)
        else:
            return Volunteer.objects.none()
    else:
        found = found.filter(real_name__startswith=query)
    return found.select_related("user", "home_center").order_by("real_name", "id")[:limit]
