"""The one place that decides which part of the center tree a user may see and manage.

A cadre holds roles at one or more centers and sees each one's subtree. Every admin
queryset, API queryset, page, export and dashboard narrows its rows through
``scope_queryset``; nothing else filters by scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

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
    model: the county, the township and the village (or base) itself. A row whose own
    center is a township or a county copies it as its township or county as well.

    Declaring it is all a model does to have its copies follow every move of a center
    (practice.ancestry finds it among the installed models). ``follow_moves=False`` keeps
    the path as it was when the row was written, as an audit record will; its rows then
    stay with the area that was responsible at the time.
    """

    county: str
    township: str
    village: str
    follow_moves: bool = True
    # Rows that may hang at any tier (a city team's memberships) have no county to find
    # the city by: they copy the city too, and the city's cadres filter on it.
    city: str | None = None


class _AmongCenters(Func):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL, ``column IN (subquery)`` elsewhere.

    The city's counties are a handful of ids, and the planner sees them only in this
    shape: it runs the subquery once and estimates the filter as the near-whole table
    it is. A join to the centers (or an ``IN``, which it turns into one) was estimated at
    0.5% of the rows, so "the city's volunteers in one township" sorted all the
    township's 4,000 volunteers instead of reading the township's index in order.
    """

    output_field = BooleanField()
    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, arg_joiner=" IN ", template="%(expressions)s")


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
        if level == Level.CITY and columns.city:
            allowed |= Q(**{f"{columns.city}_id": center_id})
        elif level == Level.CITY:
            counties = Center.objects.filter(parent_id=center_id).order_by().values("id")
            allowed |= Q(_AmongCenters(F(f"{columns.county}_id"), Subquery(counties)))
        elif level == Level.COUNTY:
            allowed |= Q(**{f"{columns.county}_id": center_id})
        elif level == Level.TOWNSHIP:
            allowed |= Q(**{f"{columns.township}_id": center_id})
        elif _is_leaf(lft, rght):
            # A village with no base under it: an equality, so that the (village, -id)
            # index yields the page in order; ``IN (subtree)`` read and sorted every row.
            allowed |= Q(**{f"{columns.village}_id": center_id})
        else:
            # A village and the bases hanging under it.
            subtree = Center.objects.filter(tree_id=tree_id, lft__gte=lft, rght__lte=rght)
            allowed |= Q(**{f"{columns.village}_id__in": subtree.values("id")})
    return allowed


def _is_leaf(lft: int, rght: int) -> bool:
    # A node without children spans two consecutive numbers of the nested set (mptt).
    return rght == lft + 1


def _range_filter(via: str, roles: Iterable[RoleRow]) -> Q:
    """The scope as literal ranges of the nested set, one per role, for a model that
    copies no ancestors. Unlike the correlated containment test (``_covering_roles``),
    the planner sees the range itself: a few thousand teams are one hash join instead of
    one subquery per row, and a leaf is an equality on the center column."""
    prefix = f"{via}__" if via else ""
    allowed = Q(pk__in=[])
    for center_id, _level, tree_id, lft, rght in roles:
        if _is_leaf(lft, rght):
            allowed |= Q(**{f"{via}_id" if via else "pk": center_id})
        else:
            allowed |= Q(
                **{f"{prefix}tree_id": tree_id, f"{prefix}lft__gte": lft, f"{prefix}lft__lte": rght}
            )
    return allowed


def scope_queryset(
    queryset: QuerySet[M], user: object, *, via: str, roles: Iterable[RoleRow] | None = None
) -> QuerySet[M]:
    """Narrow ``queryset`` to the rows whose center lies in the user's subtrees.

    ``via`` is the lookup path from the queryset's model to a Center ("center",
    "home_center", "cadre_roles__center"), or "" when the queryset is of centers. A
    superuser sees everything; anyone without a role sees nothing. A model that copies its
    center's ancestors (``scope_ancestors``) is narrowed on those columns instead, from
    ``roles`` (rows of ROLE_COLUMNS) when the caller has read them already. Any other
    model given ``roles`` is narrowed on literal tree ranges of them. Either way a role at
    a center with nothing under it becomes an equality on the center column.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    if getattr(user, "is_superuser", False):
        return queryset
    ancestors: AncestorColumns | None = getattr(queryset.model, "scope_ancestors", None)
    if ancestors is not None and via == ancestors.village:
        return queryset.filter(_ancestor_filter(user, ancestors, roles))
    if roles is not None:
        return queryset.filter(_range_filter(via, roles))
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
