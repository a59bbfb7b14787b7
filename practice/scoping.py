"""The one place that decides which part of the center tree a user may see and manage.

A cadre holds roles at one or more centers and sees each one's subtree. Every admin
queryset, API queryset, page, export and dashboard narrows its rows through
``scope_queryset``; nothing else filters by scope.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Exists, Model, OuterRef, QuerySet

from practice.models import CadreRole, Center

M = TypeVar("M", bound=Model)


def is_cadre(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return CadreRole.objects.filter(user=user).exists()


def _covering_roles(user: object, via: str) -> Exists:
    """Whether one of the user's roles sits at or above the center reached through ``via``.

    A nested-set containment test (same tree, lft/rght inside the role's range) evaluated by
    the database for every row, so the scope costs no extra query and no Python loop.
    """
    prefix = f"{via}__" if via else ""
    return Exists(
        CadreRole.objects.filter(
            user=user,
            center__tree_id=OuterRef(f"{prefix}tree_id"),
            center__lft__lte=OuterRef(f"{prefix}lft"),
            center__rght__gte=OuterRef(f"{prefix}rght"),
        )
    )


def scope_queryset(queryset: QuerySet[M], user: object, *, via: str) -> QuerySet[M]:
    """Narrow ``queryset`` to the rows whose center lies in the user's subtrees.

    ``via`` is the lookup path from the queryset's model to a Center ("center",
    "home_center", "cadre_roles__center"), or "" when the queryset is of centers. A
    superuser sees everything; anyone without a role sees nothing.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    if getattr(user, "is_superuser", False):
        return queryset
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
    return CadreRole.objects.filter(user=user, center__parent__isnull=True).exists()
