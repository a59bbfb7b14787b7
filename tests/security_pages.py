"""Every page type of the portal, each with the persona who may open it: what the security
header test (tests/core/test_security_headers.py) and the browser's CSP test
(tests/e2e/test_csp.py) both walk."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import User
from core import rotating_codes
from orders.models import Order
from points.certificates import verification_code
from points.selectors.stars import STAR_CARD_PURPOSE
from points.services.certificates import certificate_issue
from practice.catalogue import service_menu_install
from practice.models import Service
from tests.conftest import PASSWORD
from tests.factories.points import with_stars
from tests.orders.conftest import place
from volunteers.models import Volunteer

ADMIN_PHONE = "13800000099"


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    user: User | None
    # A CSS selector the page draws when it works (in the browser, after its scripts ran).
    drawn: str


def page_types(tree, people) -> list[PageType]:
    service_menu_install(city=tree.city)
    errand = Service.objects.get(center=tree.city, name="买菜送药")
    order = _order(people, errand, tree)
    wish = _order(people, errand, tree, kind=Order.Kind.WISH, title="想要一个新书包")
    admin = User.objects.create_superuser(ADMIN_PHONE, PASSWORD, name="系统管理员")
    # With a star, the card draws its QR code and loads its script.
    volunteer = with_stars(Volunteer.objects.get(user=people.volunteer), 2)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, volunteer.pk)
    certificate = certificate_issue(
        actor=people.county_cadre,
        volunteer_id=volunteer.pk,
        start=timezone.localdate().replace(day=1),
        end=timezone.localdate(),
        issuing_center_id=tree.township_a.pk,
    )
    verify = f"/certificates/verify/{certificate.number}/{verification_code(certificate)}/"
    return [
        PageType("home (service menu)", "/", None, "main.content"),
        PageType("sign-in", "/accounts/login/", None, "form"),
        PageType("order form", f"/orders/new/?service={errand.pk}", people.resident, "form"),
        PageType("order list", "/orders/", people.resident, "main.content"),
        PageType("order detail", f"/orders/{order.pk}/", people.resident, "main.content"),
        PageType("wish wall", "/orders/wishes/", people.volunteer, "main.content"),
        PageType("wish detail", f"/orders/{wish.pk}/", people.resident, "main.content"),
        PageType("volunteer home", "/volunteer/", people.volunteer, "main.content"),
        PageType("volunteer tasks", "/volunteer/tasks/", people.volunteer, "main.content"),
        PageType("star card", "/volunteer/star-card/", people.volunteer, "#star-card-qr svg"),
        PageType("benefits", "/volunteer/benefits/", people.volunteer, ".benefits-open"),
        PageType("ledger", "/volunteer/ledger/", people.volunteer, "main.content"),
        PageType("offline hours", "/volunteer/hours/offline/", people.volunteer, "form"),
        PageType("star card verification", f"/stars/verify/{code}/", None, ".star-verify"),
        PageType("certificates", "/volunteer/certificates/", people.volunteer, "form"),
        PageType("certificate verification", verify, None, ".certificate-verify"),
        PageType("dispatch", f"/orders/dispatch/{order.pk}/", people.county_cadre, "main.content"),
        PageType("admin index", "/admin/", admin, "#content"),
        PageType("admin changelist", "/admin/orders/order/", admin, "#result_list"),
        PageType(
            "admin change form",
            f"/admin/volunteers/volunteer/{volunteer.pk}/change/",
            admin,
            "#volunteer_form",
        ),
        PageType("admin tree changelist", "/admin/practice/center/", admin, "#result_list"),
        PageType(
            "admin tree change form",
            f"/admin/practice/center/{tree.village_a.pk}/change/",
            admin,
            "#center_form",
        ),
        PageType("admin roster import", "/admin/volunteers/volunteerroster/import/", admin, "form"),
        PageType("admin roster export", "/admin/volunteers/volunteerroster/export/", admin, "form"),
        PageType("admin certificate issue", "/admin/points/certificate/issue/", admin, "form"),
        PageType("API docs", "/api/v1/docs/", None, "#swagger-ui .information-container"),
    ]


def _order(people, errand, tree, **overrides) -> Order:
    return place(people, SimpleNamespace(errand=errand), tree.village_a, **overrides)
