"""Reads of accounts, scoped to whoever asks.

Here, not in accounts: which accounts a cadre answers for follows from cadre roles
(practice) and volunteer homes (volunteers), both above the user model."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from practice.models import CadreRole
from practice.scoping import manages_whole_tree, scope_queryset
from volunteers.models import Volunteer


class Role:
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    CADRE = "cadre"


def user_roles(user: User) -> list[str]:
    """Every account may order services; volunteer and cadre come from what it holds."""
    roles = [Role.RESIDENT]
    if Volunteer.objects.filter(user=user, status=Volunteer.Status.ACTIVE).exists():
        roles.append(Role.VOLUNTEER)
    if user.cadre_roles.exists():
        roles.append(Role.CADRE)
    return roles


def users_in_scope(actor: User, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """Users a cadre answers for: cadres and volunteers of centers in the cadre's subtree,
    and, for a cadre of the whole city, the residents no center is responsible for yet."""
    queryset = User.objects.all() if queryset is None else queryset
    if actor.is_superuser:
        return queryset
    has_role_in_scope = Exists(
        scope_queryset(CadreRole.objects.filter(user=OuterRef("pk")), actor, via="center")
    )
    volunteers_in_scope = Exists(
        scope_queryset(Volunteer.objects.filter(user=OuterRef("pk")), actor, via="home_center")
    )
    condition = has_role_in_scope | volunteers_in_scope
    if manages_whole_tree(actor):
        unattached = ~Exists(CadreRole.objects.filter(user=OuterRef("pk"))) & ~Exists(
            Volunteer.objects.filter(user=OuterRef("pk"))
        )
        condition |= unattached
    return queryset.filter(condition)


def users_editable_by(actor: User, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """Accounts ``actor`` may change (rename, switch off): those whose every role lies in the
    actor's scope. Seeing an account is not enough: a village cadre sees a county cadre who
    volunteers in the village, but acting on them would be acting on someone above.

    Every cadre role of the account must sit in the actor's subtree, and so must its volunteer
    home; an account with neither (a resident) is kept by cadres of the whole tree, as
    ``users_in_scope`` already shows it only to them.
    """
    queryset = users_in_scope(actor, queryset)
    if actor.is_superuser:
        return queryset
    roles_in_scope = scope_queryset(CadreRole.objects.all(), actor, via="center")
    role_outside = Exists(
        CadreRole.objects.filter(user=OuterRef("pk")).exclude(pk__in=roles_in_scope.values("pk"))
    )
    # The volunteer's own home against the actor's roles, a containment test per row of the
    # (already narrowed) account list rather than the city's volunteers.
    home_outside = Exists(
        Volunteer.objects.filter(user=OuterRef("pk")).exclude(
            Exists(
                CadreRole.objects.filter(
                    user=actor,
                    center__tree_id=OuterRef("home_center__tree_id"),
                    center__lft__lte=OuterRef("home_center__lft"),
                    center__rght__gte=OuterRef("home_center__rght"),
                )
            )
        )
    )
    return queryset.exclude(role_outside).exclude(home_outside)


def account_editable_by(actor: User, user: User) -> bool:
    """The one answer to "may this cadre change this account", for the admin and services."""
    return users_editable_by(actor).filter(pk=user.pk).exists()
