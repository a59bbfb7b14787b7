"""Reads of accounts, scoped to whoever asks.

Here, not in accounts: which accounts a cadre answers for follows from cadre roles
(practice) and volunteer homes (volunteers), both above the user model."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from practice.models import CadreRole, Center, Level
from practice.scoping import ROLE_COLUMNS, scope_queryset
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
    and, for a cadre of the whole city, the residents no center is responsible for yet.

    At city scale the shape of the query decides its cost, and the right shape depends on
    how much of the city the cadre holds:

    - a cadre of every tree (the city) answers for every account: no filter at all, so the
      list is the join-date index read backwards;
    - a county holds a tenth of the city: the newest accounts are probed, in join-date
      order, against the set of the county's volunteers' accounts, which PostgreSQL hashes
      once from the (county, user) index alone; one account in fourteen is a hit;
    - a township or a village holds a few thousand accounts at most: ``id IN (their
      volunteers' accounts UNION ALL their cadres' accounts)`` is a semi-join driven from
      those few, looked up by primary key and sorted, where probing would walk a thousand
      accounts of the city for each one of theirs.
    """
    queryset = User.objects.all() if queryset is None else queryset
    if actor.is_superuser:
        return queryset
    roles = list(CadreRole.objects.filter(user=actor).values_list(*ROLE_COLUMNS))
    # A tree's root is the node whose range starts at 1 (django-mptt).
    whole_trees = {tree_id for _center, _level, tree_id, lft, _rght in roles if lft == 1}
    if whole_trees and not (
        Center.objects.filter(parent__isnull=True).exclude(tree_id__in=whole_trees).exists()
    ):
        return queryset
    broad = any(level in (Level.CITY, Level.COUNTY) for _center, level, *_rest in roles)
    if broad:
        condition = Exists(
            scope_queryset(
                Volunteer.objects.filter(user=OuterRef("pk")), actor, via="home_center", roles=roles
            )
        ) | Exists(
            scope_queryset(CadreRole.objects.filter(user=OuterRef("pk")), actor, via="center")
        )
    else:
        volunteers = scope_queryset(
            Volunteer.objects.all(), actor, via="home_center", roles=roles
        ).values("user_id")
        cadres = scope_queryset(CadreRole.objects.all(), actor, via="center").values("user_id")
        condition = Q(pk__in=volunteers.union(cadres, all=True))
    if whole_trees:
        # One tree of several: the accounts under no center are this cadre's too.
        condition |= ~Exists(CadreRole.objects.filter(user=OuterRef("pk"))) & ~Exists(
            Volunteer.objects.filter(user=OuterRef("pk"))
        )
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
