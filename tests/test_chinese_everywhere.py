"""Chinese everywhere a person looks: every page of the site and every admin view, as every
persona, holds no English word a user would read.

The URLs come from the resolver (every named pattern, its arguments filled with real
objects) and the admin from its registry (each ModelAdmin's list, add, change, history and
delete page, with an object the persona's own admin queryset shows, and the custom views
its get_urls adds), so a new page is covered without touching this test. Read are the
visible text (the <title> included) and the attributes a person reads (title, placeholder,
aria-label, alt, a button's value); not code, URLs or CSS classes. A short fixed list of
words is allowed. The failure names the persona, the page and the word in its context.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from core import rotating_codes
from orders.models import Order
from orders.services import (
    order_accept,
    order_complete,
    order_dispatch,
    order_flag_undispatchable,
    order_start,
    wish_claim,
)
from points.certificates import verification_code
from points.models import Benefit
from points.selectors.stars import STAR_CARD_PURPOSE
from points.services.benefits import benefit_save
from points.services.certificates import certificate_issue
from points.services.supermarket import redemption_request
from tests.conftest import PASSWORD
from tests.factories.points import with_stars
from tests.factories.supermarket import give_points, stock_item
from tests.orders.conftest import make_team, make_volunteer, menu, place  # noqa: F401 (menu: a fixture)
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

# Words a Chinese user reads as they are. Short and fixed: a word is added here only if a
# Chinese speaker would write it in Latin letters too.
# Compared without case: file formats are named "csv", "xlsx" in the roster's format choice.
ALLOWED = {"api", "id", "excel", "csv", "qr", "xlsx", "openapi", "url", "ip", "pdf"}
# Identifiers printed as they are, data rather than words: a service certificate's number
# (2026-430405-7QK3M9XD) and the portal's volunteer number (HY000000123).
IDENTIFIERS = re.compile(r"\b\d{4}-\d{6}-[0-9A-Z]{8}\b|\bHY\d{9}\b")

READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}
SKIPPED_ELEMENTS = {"script", "style", "template"}
WORD = re.compile(r"[A-Za-z]{2,}")
BOOLEAN_ICON = re.compile(r"/admin/img/icon-(yes|no|unknown)\.svg$")
# Known gaps, for the superuser alone (no cadre reaches them): Django stores permission
# names in English in the database ("Can add ..."), listed on a group's page, and
# django-axes titles its records in English ("Access Log for ...", with the session hash,
# on its log's list too).
SUPERUSER_ONLY_GAPS = re.compile(
    r"^/admin/(auth/group/(add/|\d+/)|axes/[a-z]+/\d+/|axes/accesslog/$)"
)

# Not pages a person reads: JSON, JavaScript, redirects by design, POST-only actions (they
# answer 405 to a GET and are skipped by their status anyway).
NOT_PAGES = (
    "/api/",
    "/healthz/",
    "/admin/jsi18n/",
    "/admin/autocomplete/",
    "/admin/r/",
    "/favicon",
)


class ReadText(HTMLParser):
    """The text and read attributes of an HTML page, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
        values = dict(attrs)
        # Known gap: Django writes a boolean's icon as <img alt="True"> (admin_list.
        # _boolean_icon), untranslatable; until the portal draws its own, it is not counted.
        if tag == "img" and BOOLEAN_ICON.search(values.get("src") or ""):
            values.pop("alt", None)
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS:
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    parser = ReadText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        part = IDENTIFIERS.sub(" ", part)
        for match in WORD.finditer(part):
            if match.group().lower() not in ALLOWED:
                start = max(match.start() - 15, 0)
                found.append(f"{match.group()!r} in {part[start : match.end() + 15].strip()!r}")
    return found


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


@pytest.fixture
def world(tree, people, menu) -> SimpleNamespace:  # noqa: F811 (the fixture)
    """An order in each stage a page shows differently, a claimed wish, a flagged order, a
    team the persona volunteer is in, and a volunteer waiting for review."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    helper = make_volunteer(301, tree.village_a, cadre=people.city_cadre)
    placed = place(people, menu, tree.village_a, title="帮忙买药")
    flagged = place(people, menu, tree.village_a, title="修水管")
    order_flag_undispatchable(order_id=flagged.pk)
    offered = place(people, menu, tree.village_a, title="陪同就医")
    order_dispatch(actor=people.village_cadre, order_id=offered.pk, volunteer=volunteer)
    done = place(people, menu, tree.village_a, title="打扫卫生")
    order_dispatch(actor=people.village_cadre, order_id=done.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=done.pk)
    order_start(volunteer=helper, order_id=done.pk)
    order_complete(volunteer=helper, order_id=done.pk, summary="已打扫")
    wish = place(people, menu, tree.village_a, kind=Order.Kind.WISH, title="想要一个书包")
    wish_claim(donor=people.volunteer, order_id=wish.pk)
    team = make_team(tree.village_a, people.city_cadre, [volunteer, helper], "王江社区小队")
    make_volunteer(302, tree.village_a, cadre=people.city_cadre, status=Volunteer.Status.PENDING)
    root = User.objects.create_superuser(phone="13800000099", password=PASSWORD, name="超级管理员")
    # A star card with its QR code, a benefit open and one of the next level, and the
    # verification page of a valid, an expired and a forged code.
    with_stars(volunteer, 2)
    for stars, title in ((1, "景区免门票"), (3, "免费体检")):
        benefit_save(
            actor=None,
            benefit=Benefit(
                center=tree.city, title=title, category="scenic", provider="南岳", min_stars=stars
            ),
        )
    # The love supermarket: an item of 王江社区's and a redemption waiting to be collected.
    give_points(volunteer, 50)
    soap = stock_item(tree.village_a, "香皂", price=10, stock=3)
    redemption_request(volunteer=volunteer, item_id=soap.pk, quantity=1)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    codes = [
        rotating_codes.issue(STAR_CARD_PURPOSE, volunteer.pk),
        rotating_codes.issue(STAR_CARD_PURPOSE, volunteer.pk, at=long_ago),
        "1-1-aaaaaaaaaa",
    ]
    # A service certificate: the volunteer's list, the admin's pages, and the verification
    # page of a genuine and of an altered number.
    today = timezone.localdate()
    certificate = certificate_issue(
        actor=people.county_cadre,
        volunteer_id=volunteer.pk,
        start=today.replace(day=1),
        end=today,
        issuing_center_id=tree.township_a.pk,
    )
    code = verification_code(certificate)
    verify = [
        reverse("points:certificate_verify", args=[certificate.number, code]),
        reverse("points:certificate_verify", args=[certificate.number[:-1] + "2", code]),
    ]
    return SimpleNamespace(
        orders=[placed, flagged, offered, done, wish],
        team=team,
        superuser=root,
        codes=codes,
        extra_urls=verify,
    )


def _site_urls(world: SimpleNamespace) -> list[str]:
    """Every named page outside the admin, its arguments filled from ``world``."""
    values = {
        "order_id": [order.pk for order in world.orders],
        "team_id": [world.team.pk],
        "membership_id": list(world.team.memberships.values_list("pk", flat=True)[:1])
        if hasattr(world.team, "memberships")
        else [],
        "code": world.codes,
    }
    urls = []
    for name, pattern in _patterns(get_resolver()):
        if name.startswith("admin:"):
            continue
        arguments = list(pattern.pattern.regex.groupindex)
        if not arguments:
            try:
                urls.append(reverse(name))
            except Exception:  # noqa: BLE001 - an unnamed-group pattern is not a page
                continue
            continue
        if len(arguments) == 1 and arguments[0] in values:
            urls.extend(
                reverse(name, kwargs={arguments[0]: value}) for value in values[arguments[0]]
            )
    urls += world.extra_urls
    return [url for url in urls if not url.startswith(NOT_PAGES)]


def _admin_urls(user: User) -> list[str]:
    """Each ModelAdmin's views with an object ``user``'s own admin queryset shows, and the
    custom views of its get_urls."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            continue
        standard = {"changelist", "add", "history", "delete", "change"}
        urls += [
            reverse(f"{info}_{view}", args=[obj.pk]) for view in ("change", "history", "delete")
        ]
        for pattern in model_admin.get_urls():
            suffix = (pattern.name or "").removeprefix(
                f"{model._meta.app_label}_{model._meta.model_name}_"
            )
            if not pattern.name or suffix in standard:
                continue
            arguments = list(pattern.pattern.regex.groupindex)
            kwargs = {"object_id": obj.pk} if arguments == ["object_id"] else {}
            if arguments and not kwargs:
                continue
            urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    app_labels = {model._meta.app_label for model in admin.site._registry}
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(app_labels)]
    urls += [reverse("admin:password_change")]
    return urls


def _english_on_pages(user: User | None, urls: list[str]) -> list[str]:
    client = Client()
    if user is not None:
        client.force_login(user)
    found = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        found += [f"{url}: {word}" for word in english_words(response.content.decode())]
    return found


def test_the_reader_finds_english_in_text_and_read_attributes_only():
    html = (
        '<html><head><title>Log in</title><style>body{}</style></head><body class="site">'
        '<a href="/orders/" title="Skip">订单</a><script>var x = "Nothing";</script>'
        '<input type="submit" value="Save"><input type="text" value="张三" name="name">'
        '<img alt="Logo" src="a.png"><span aria-label="Close">×</span>'
        "<p>导入 Excel 或 CSV 文件，API 文档</p></body></html>"
    )
    assert [word.split("'")[1] for word in english_words(html)] == [
        "Log",
        "in",
        "Skip",
        "Save",
        "Logo",
        "Close",
    ]


PERSONAS = [
    "anonymous",
    "resident",
    "volunteer",
    "village_cadre",
    "township_cadre",
    "county_cadre",
    "city_cadre",
    "superuser",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_an_english_word(persona, people, world):
    user = {"anonymous": None, "superuser": world.superuser}.get(persona, None)
    if persona not in ("anonymous", "superuser"):
        user = getattr(people, persona)
    urls = _site_urls(world)
    urls += [reverse("admin:login")] if user is None else _admin_urls(user)
    if persona == "superuser":
        urls = [url for url in urls if not SUPERUSER_ONLY_GAPS.match(url)]
    assert len(urls) > 30
    assert _english_on_pages(user, urls) == []
