"""Shared fixtures: a small real tree and the personas every scoping test uses.

The tree is two counties of the real Hengyang codes, loaded through the same loader as the
full division file:

    衡阳市 430400
    ├── 珠晖区 430405 (county_a)
    │   ├── 衡州路街道 430405007 (township_a)
    │   │   ├── 王江社区 430405007006 (village_a)
    │   │   └── 新园社区 430405007007 (village_a2)
    │   └── 广东路街道 430405009 (township_a2)
    │       └── 湖北路社区 430405009007 (village_a3)
    └── 雁峰区 430406 (county_b)
        └── 天马山街道 430406001 (township_b)
            └── 天马山社区 430406001001 (village_b)
"""

from __future__ import annotations

import datetime
import io
import os
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import resident_register
from core import redis_breaker
from practice.divisions import load_divisions, parse_divisions
from practice.models import Center
from tests.factories.accounts import PASSWORD
from tests.factories.accounts import make_cadre as factory_cadre
from volunteers.catalogue import default_skills_install
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import volunteer_create

# Property tests and the schemathesis fuzzing: "dev" as hypothesis ships it, "ci" (chosen
# when CI=true, or by HYPOTHESIS_PROFILE) bounded and reproducible, so the suite stays well
# inside CI's time on two cores and a failure seen in CI is seen again locally with the same
# profile. A test's own @settings still wins.
hypothesis_settings.register_profile(
    "ci",
    max_examples=20,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)

# Synthetic, well-formed resident ID number (珠晖区, born 1990-03-07, a man).
VOLUNTEER_ID_NUMBER = compose_id_number("430405", datetime.date(1990, 3, 7), 123)

SMALL_TREE_CSV = """code,name,level,parent_code
430400,衡阳市,city,
430405,珠晖区,county,430400
430405007,衡州路街道,township,430405
430405007006,王江社区居委会,village,430405007
430405007007,新园社区居委会,village,430405007
430405009,广东路街道,township,430405
430405009007,湖北路社区居委会,village,430405009
430406,雁峰区,county,430400
430406001,天马山街道,township,430406
430406001001,天马山社区居委会,village,430406001
"""


@pytest.fixture(autouse=True)
def _redis_breakers_closed():
    # A test that stopped a Redis leaves its breaker open for this process: the next test
    # starts with every server answering (before _clear_cache, so the clear reaches Redis).
    redis_breaker.reset_all()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; one test's sign-ups must not throttle the next.
    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The skill list migrations install. A transactional test (browser, races, broker)
    flushes every table when it ends, migration data included, so tests after it would
    otherwise find no skills; put them back for every test that uses the database."""
    uses_database = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_database and request.node.get_closest_marker("django_db") is None:
        return
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    default_skills_install()


@pytest.fixture(autouse=True)
def _no_order_dedupe_window(settings):
    """Many tests place the same order twice on purpose; the window of order_place
    (docs/orders.md, "Placing once") is off unless a test turns it on."""
    settings.ORDER_DEDUPE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs about a second a hash on these machines and the personas alone are seven
    accounts; no test here is about the hasher. ``settings`` swaps the process-wide settings,
    so a live server thread hashes and checks with the same one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db) -> SimpleNamespace:
    load_divisions(parse_divisions(io.StringIO(SMALL_TREE_CSV)))
    by_code = {center.code: center for center in Center.objects.all()}
    return SimpleNamespace(
        city=by_code["430400"],
        county_a=by_code["430405"],
        township_a=by_code["430405007"],
        village_a=by_code["430405007006"],
        village_a2=by_code["430405007007"],
        township_a2=by_code["430405009"],
        village_a3=by_code["430405009007"],
        county_b=by_code["430406"],
        township_b=by_code["430406001"],
        village_b=by_code["430406001001"],
    )


def make_cadre(phone: str, name: str, center: Center) -> User:
    return factory_cadre(phone, name, center)


@pytest.fixture
def people(tree) -> SimpleNamespace:
    """The personas: a cadre at each tier of county A, an outsider cadre of county B, a
    resident and an active volunteer of village A."""
    volunteer_user = resident_register(phone="13700000001", name="李志愿", password=PASSWORD)
    volunteer_create(
        user=volunteer_user,
        real_name="李志愿",
        id_number=VOLUNTEER_ID_NUMBER,
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    return SimpleNamespace(
        city_cadre=make_cadre("13800000001", "市管理员", tree.city),
        county_cadre=make_cadre("13800000002", "珠晖区管理员", tree.county_a),
        township_cadre=make_cadre("13800000003", "衡州路管理员", tree.township_a),
        village_cadre=make_cadre("13800000004", "王江社区管理员", tree.village_a),
        outsider_cadre=make_cadre("13800000009", "雁峰区管理员", tree.county_b),
        resident=resident_register(phone="13900000001", name="张群众", password=PASSWORD),
        volunteer=volunteer_user,
    )


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
