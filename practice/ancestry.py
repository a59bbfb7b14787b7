"""Keeping every copy of a center's ancestors in step with the tree.

Models that scope on copied columns (``scope_ancestors``, see practice.scoping) hold each
row's township and county beside its village. When a center moves, those copies would go
on naming the old area: its cadres would still list and handle the rows, the new area's
would not see them. ``refresh_copied_ancestors`` rewrites them for every such model
installed, found by what it declares rather than by a list someone must remember to extend.
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.db.models import Model, OuterRef, Subquery

from practice.models import Center, Level
from practice.scoping import AncestorColumns


def models_following_moves() -> list[type[Model]]:
    """Every installed concrete model declaring ``scope_ancestors`` that follows moves.

    A proxy shares its concrete model's table, and a child of multi-table inheritance
    whose columns live on its parent is covered by the parent: both are left out, so that
    no table is written twice.
    """
    found = []
    for model in apps.get_models():
        columns = getattr(model, "scope_ancestors", None)
        if not isinstance(columns, AncestorColumns) or not columns.follow_moves:
            continue
        if model._meta.proxy or model._meta.get_field(columns.village).model is not model:
            continue
        found.append(model)
    return found


Path = tuple[int | None, int | None, int | None]  # (township, county, city)


# The tiers a row copies, nearest first, and the names path_subqueries gives them.
PATH_LEVELS = {
    "path_township": Level.TOWNSHIP,
    "path_county": Level.COUNTY,
    "path_city": Level.CITY,
}


def path_subqueries(center: str = "") -> dict[str, Subquery]:
    """The township, county and city a row at a center copies, as subqueries to annotate a
    queryset with (``path_township``, ``path_county``, ``path_city``): the center of each
    tier at or above the one that ``center`` names from the queryset's model ("" for a
    queryset of centers). A writer that reads the row anyway gets its path in the same
    statement, on the tree as the database holds it now."""
    prefix = f"{center}__" if center else ""

    def nearest(level: str) -> Subquery:
        return Subquery(
            Center.objects.filter(
                tree_id=OuterRef(f"{prefix}tree_id"),
                lft__lte=OuterRef(f"{prefix}lft"),
                rght__gte=OuterRef(f"{prefix}rght"),
                level=level,
            ).values("id")[:1]
        )

    return {name: nearest(level) for name, level in PATH_LEVELS.items()}


def path_of(center: Center) -> Path:
    """The township, county and city a row at ``center`` copies: the nearest center of
    each tier at or above it (a township's own row names the township). One query, on the
    tree as the database holds it now: the caller's instance may carry tree fields from
    before another center was added or moved."""
    path = (
        Center.objects.filter(pk=center.pk)
        .annotate(**path_subqueries())
        .values_list(*PATH_LEVELS)
        .first()
    )
    return path if path is not None else (None, None, None)


def _paths_of_centers(center: Center) -> dict[Path, list[int]]:
    """The centers of ``center``'s subtree, grouped by the township, county and city the
    tree now puts them in (each the nearest of its tier at or above the center).

    Two queries whatever the size of the subtree: the chain above it and the subtree.
    """
    # The caller's instance may hold the tree fields from before the move.
    center = Center.objects.get(pk=center.pk)
    rows = list(center.get_ancestors().values_list("id", "parent_id", "level"))
    below = list(center.get_descendants(include_self=True).values_list("id", "parent_id", "level"))
    rows += below
    parent_of = {pk: parent_id for pk, parent_id, _level in rows}
    level_of = {pk: level for pk, _parent_id, level in rows}

    def nearest(pk: int, level: str) -> int | None:
        current: int | None = pk
        while current is not None and level_of[current] != level:
            current = parent_of.get(current)
        return current

    groups: dict[Path, list[int]] = defaultdict(list)
    for pk, _parent_id, _level in below:
        path = (nearest(pk, Level.TOWNSHIP), nearest(pk, Level.COUNTY), nearest(pk, Level.CITY))
        groups[path].append(pk)
    return groups


def refresh_copied_ancestors(center: Center) -> int:
    """Rewrite the copied township, county (and city) of every row under ``center`` after
    it moved.

    One UPDATE per model and per path the moved centers now share: a village moving is
    one statement per model, a township moving too (it and its villages share the new
    path), a county moving one per township and one for the county itself. No row is
    read. Returns the number of rows rewritten. Call it inside the transaction that moved
    the center.
    """
    groups = _paths_of_centers(center)
    updated = 0
    for model in models_following_moves():
        columns: AncestorColumns = model.scope_ancestors  # type: ignore[attr-defined]
        for (township_id, county_id, city_id), center_ids in groups.items():
            values = {f"{columns.township}_id": township_id, f"{columns.county}_id": county_id}
            if columns.city:
                values[f"{columns.city}_id"] = city_id
            updated += model._base_manager.filter(
                **{f"{columns.village}_id__in": center_ids}
            ).update(**values)
    return updated
