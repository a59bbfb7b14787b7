"""The one place that decides which part of the center tree a user may see and manage.

A cadre holds roles at one or more centers and sees each one's subtree. Every admin
queryset, API queryset, page, export and dashboard narrows its rows through
``scope_queryset``; nothing else filters by scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from accounts.http import account_of
from practice.models import CadreRole, Center, Level

M = TypeVar("M", bound=Model)


def is_cadre(user: object) -> bool:
    account = account_of(user)
    if account is None:
        return False
    return CadreRole.objects.filter(user=account).exists()


def _covering_roles(user: object, via: str) -> Exists:
    """Whether one of the user's roles sits at or above the center reached through ``via``.

    A nested-set containment test (same tree, lft/rght inside the role's range) evaluated by
    the database for every row, so the scope costs no extra query and no Python loop.
    """
    prefix = f"{via}__" if via else ""
    return Exists(
        CadreRole.objects.filter(
            user=account_of(user),
            center__tree_id=OuterRef(f"{prefix}tree_id"),
            center__lft__lte=OuterRef(f"{prefix}lft"),
            center__rght__gte=OuterRef(f"{prefix}rght"),
        )
    )


@dataclass(frozen=True)
class AncestorColumns:
    """A model's copies of its center's ancestors, declared as ``scope_ancestors`` on the
    model: the county, the township and the village (or base) itself.

    Declaring it is all a model does to have its copies follow every move of a center
    (practice.ancestry finds it among the installed models). ``follow_moves=False`` keeps
    the path as it was when the row was written, as an audit record will; its rows then
    stay with the area that was responsible at the time.
    """

    county: str
    township: str
    village: str
    follow_moves: bool = True


# What the scope needs of each of a cadre's roles: the center, its tier and its place in
# the tree. A caller that reads the roles anyway (orders_for) passes them in.
ROLE_COLUMNS = ("center_id", "center__level", "center__tree_id", "center__lft", "center__rght")
RoleRow = tuple[int, str, int, int, int]


def _ancestor_filter(
    user: object, columns: AncestorColumns, roles: Iterable[RoleRow] | None = None
) -> Q:
    """The scope as literal filters on the copied columns, one per role.

    At city scale the containment test cannot use an index on the big table: the database
    walks rows newest first and tests each against the tree (a village cadre's first page
    read 235,000 volunteers). A filter on an indexed column of the row itself reads only
    the rows in scope. The price is one small query for the roles.
    """
    allowed = Q(pk__in=[])
    if roles is None:
        roles = CadreRole.objects.filter(user=account_of(user)).values_list(*ROLE_COLUMNS)
    for center_id, level, tree_id, lft, rght in roles:
        if level == Level.CITY:
            allowed |= Q(**{f"{columns.county}__parent_id": center_id})
        elif level == Level.COUNTY:
            allowed |= Q(**{f"{columns.county}_id": center_id})
        elif level == Level.TOWNSHIP:
            allowed |= Q(**{f"{columns.township}_id": center_id})
        else:
            # A village and any bases hanging under it.
            subtree = Center.objects.filter(tree_id=tree_id, lft__gte=lft, rght__lte=rght)
            allowed |= Q(**{f"{columns.village}_id__in": subtree.values("id")})
    return allowed


def scope_queryset(
    queryset: QuerySet[M], user: object, *, via: str, roles: Iterable[RoleRow] | None = None
) -> QuerySet[M]:
    """Narrow ``queryset`` to the rows whose center lies in the user's subtrees.

    ``via`` is the lookup path from the queryset's model to a Center ("center",
    "home_center", "cadre_roles__center"), or "" when the queryset is of centers. A
    superuser sees everything; anyone without a role sees nothing. A model that copies its
    center's ancestors (``scope_ancestors``) is narrowed on those columns instead, from
    ``roles`` (rows of ROLE_COLUMNS) when the caller has read them already.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    if getattr(user, "is_superuser", False):
        return queryset
    ancestors: AncestorColumns | None = getattr(queryset.model, "scope_ancestors", None)
    if ancestors is not None and via == ancestors.village:
        return queryset.filter(_ancestor_filter(user, ancestors, roles))
    return queryset.filter(_covering_roles(user, via))


def visible_centers(user: object) -> QuerySet[Center]:
    return scope_queryset(Center.objects.all(), user, via="")


def center_in_scope(user: object, center: Center) -> bool:
    return visible_centers(user).filter(pk=center.pk).exists()


def manages_whole_tree(user: object) -> bool:
    """Whether the user manages a root of the tree (the city), or is a superuser.

    Such a cadre also answers for what hangs under no center at all, such as residents who
    have only signed up.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return CadreRole.objects.filter(user=account_of(user), center__parent__isnull=True).exists()
