"""Reads of accounts, scoped to whoever asks."""

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
