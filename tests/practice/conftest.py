"""Fixtures of the practice tests: ledgers nobody registered anywhere."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from practice.models import Center
from practice.scoping import AncestorColumns


def make_probe_model(*, follow_moves: bool = True) -> type[models.Model]:
    """A ledger nobody has heard of: a model class declaring ``scope_ancestors`` and
    nothing else, in an installed app, its table made for this test alone."""
    name = "MoveProbe" if follow_moves else "MoveProbeAudit"
    model = type(
        name,
        (models.Model,),
        {
            "__module__": __name__,
            "Meta": type("Meta", (), {"app_label": "points", "db_table": f"test_{name.lower()}"}),
            "place": models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+"),
            "place_township": models.ForeignKey(
                Center, on_delete=models.PROTECT, related_name="+", null=True
            ),
            "place_county": models.ForeignKey(
                Center, on_delete=models.PROTECT, related_name="+", null=True
            ),
            "scope_ancestors": AncestorColumns(
                county="place_county",
                township="place_township",
                village="place",
                follow_moves=follow_moves,
            ),
        },
    )
    with connection.schema_editor() as editor:
        editor.create_model(model)
    return model


@pytest.fixture
def probe_models(db):
    made = [make_probe_model(), make_probe_model(follow_moves=False)]
    yield made
    # The tables go with the test's transaction; the classes must leave the registry.
    for model in made:
        del apps.all_models["points"][model._meta.model_name]
    apps.clear_cache()
