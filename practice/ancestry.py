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
from django.db.models import Model

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


def _paths_of_villages(center: Center) -> dict[tuple[int | None, int | None], list[int]]:
    """The village-level centers (villages and the bases under them or under a township)
    of ``center``'s subtree, grouped by the township and county the tree now puts them in.

    Two queries whatever the size of the subtree: the chain above it and the subtree.
    """
    # The caller's instance may hold the tree fields from before the move.
    center = Center.objects.get(pk=center.pk)
    rows = list(center.get_ancestors().values_list("id", "parent_id", "level"))
    rows += center.get_descendants(include_self=True).values_list("id", "parent_id", "level")
    parent_of = {pk: parent_id for pk, parent_id, _level in rows}
    level_of = {pk: level for pk, _parent_id, level in rows}

    def nearest(pk: int, level: str) -> int | None:
        current = parent_of.get(pk)
        while current is not None and level_of[current] != level:
            current = parent_of.get(current)
        return current

    groups: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for pk, _parent_id, level in rows:
        if level == Level.VILLAGE:
            groups[(nearest(pk, Level.TOWNSHIP), nearest(pk, Level.COUNTY))].append(pk)
    return groups


def refresh_copied_ancestors(center: Center) -> int:
    """Rewrite the copied township and county of every row under ``center`` after it moved.

    One UPDATE per model and per (township, county) the moved villages now share: a
    village moving is one statement per model, a township moving too (its villages share
    the new path), a county moving one per township. No row is read. Returns the number
    of rows rewritten. Call it inside the transaction that moved the center.
    """
    groups = _paths_of_villages(center)
    updated = 0
    for model in models_following_moves():
        columns: AncestorColumns = model.scope_ancestors  # type: ignore[attr-defined]
        for (township_id, county_id), village_ids in groups.items():
            updated += model._base_manager.filter(
                **{f"{columns.village}_id__in": village_ids}
            ).update(**{f"{columns.township}_id": township_id, f"{columns.county}_id": county_id})
    return updated
