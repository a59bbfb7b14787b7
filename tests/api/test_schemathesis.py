"""Every API operation, fuzzed from the served schema by schemathesis, as anyone, a
resident, a volunteer and a cadre: no answer is a server error, and every answer is one the
schema describes (its status code, content type and body).

The generated path ids are mostly numbers nobody has; so that operations act on real objects
too, half the cases put the id of an object of the world below in the path instead (an order
in each state, a team and its memberships, a pending application). The runs are bounded by
the hypothesis profile of tests/conftest.py ("ci" in CI) and by MAX_EXAMPLES here.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from orders.services import order_accept, order_dispatch, order_start
from tests.orders.conftest import helper, make_team, make_volunteer, menu, place  # noqa: F401
from volunteers.models import Volunteer
from volunteers.services import team_member_add

# Per operation and persona: the profile's number (tests/conftest.py), at most 25, so the
# 125 runs take a few minutes; SCHEMATHESIS_MAX_EXAMPLES asks for a longer hunt.
MAX_EXAMPLES = int(
    os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", min(settings.default.max_examples, 25))
)
PERSONAS = ["anonymous", "resident", "volunteer", "cadre"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def served_schema() -> dict:
    """The schema /api/v1/schema/ serves, as JSON; built without a request, as the view
    builds it for an anonymous reader (it has no per-user parts)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(served_schema())


def test_the_fuzzed_schema_is_the_served_one(api_client, db):
    assert api_client.get("/api/v1/schema/", {"format": "json"}).json() == served_schema()


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's test client keeps the connection (and so the test's transaction) across
    requests by leaving close_old_connections out; the WSGI application, driven here as a
    server would, must do the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(tree, people, menu, helper) -> SimpleNamespace:  # noqa: F811
    """Objects for the operations to find: orders of village A in every early state (one
    offered to and one held by the persona volunteer), a team the volunteer leads and a
    pending application in the cadre's county."""
    cadre = people.county_cadre
    placed = place(people, menu, tree.village_a, title="待派单")
    offered = place(people, menu, tree.village_a, title="已派单")
    order_dispatch(actor=cadre, order_id=offered.pk, volunteer=helper)
    held = place(people, menu, tree.village_a, title="服务中")
    order_dispatch(actor=cadre, order_id=held.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=held.pk)
    order_start(volunteer=helper, order_id=held.pk)
    member = make_volunteer(301, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "王江社区志愿服务小队")
    leader = team_member_add(actor=cadre, team=team, volunteer=helper, role="leader")
    pending = make_volunteer(
        302, tree.village_a, cadre=people.city_cadre, status=Volunteer.Status.PENDING
    )
    memberships = list(team.memberships.values_list("pk", flat=True))
    assert leader.pk in memberships
    return SimpleNamespace(
        ids={
            "orders": [placed.pk, offered.pk, held.pk],
            "teams": [team.pk],
            "volunteers": [helper.pk, member.pk, pending.pk],
            "centers": [tree.village_a.pk, tree.county_a.pk, tree.village_b.pk],
            "services": [menu.errand.pk, menu.county_b_only.pk],
        },
        membership_ids=memberships,
        users={
            "resident": people.resident,
            "volunteer": people.volunteer,
            "cadre": cadre,
        },
    )


BODY_REFERENCES = {
    "service": "services",
    "center": "centers",
    "volunteer": "volunteers",
    "team": "teams",
}


def point_at_world(case, world: SimpleNamespace, pick: int) -> None:
    """Put real objects' ids in the path (for ``pick`` below twice the number known, else
    the generated one stays) and, for an even ``pick``, in the body's references."""
    parameters = case.path_parameters or {}
    collection = case.operation.path.removeprefix("/api/v1/").split("/", 1)[0]
    known = world.ids.get(collection, [])
    if "id" in parameters and known and pick < 2 * len(known):
        parameters["id"] = str(known[pick % len(known)])
    if "membership_id" in parameters and pick % 2 == 0:
        parameters["membership_id"] = str(world.membership_ids[pick % len(world.membership_ids)])
    if isinstance(case.body, dict) and pick % 2 == 0:
        # A body naming real objects gets past "no such service" to the rules behind it.
        for name, collection in BODY_REFERENCES.items():
            if isinstance(case.body.get(name), int):
                known = world.ids[collection]
                case.body[name] = known[pick % len(known)]


@pytest.mark.parametrize("persona", PERSONAS)
@schema.parametrize()
@schema.given(pick=st.integers(min_value=0, max_value=11))
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_schema_says(
    case, pick, persona, world, wsgi_in_test_transaction
):
    headers = {}
    if persona != "anonymous":
        token, _created = Token.objects.get_or_create(user=world.users[persona])
        headers["Authorization"] = f"Token {token.key}"
    point_at_world(case, world, pick)

    case.call_and_validate(app=wsgi_in_test_transaction, headers=headers, checks=CHECKS)
