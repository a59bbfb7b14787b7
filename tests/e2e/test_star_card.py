"""The star card in a real browser, on a phone: the QR code is an inline SVG drawn under the
Content-Security-Policy, the portal's own script replaces it with a fresh one each step,
and a scanner who is not signed in opens the code's link and sees the masked name and the
level. Without JavaScript the card still shows its code."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tests.factories.points import with_stars
from volunteers.models import Volunteer

from .conftest import PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

CARD = "/volunteer/star-card/"
QR = "#star-card-qr svg"


def sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def starred(people) -> Volunteer:
    return with_stars(Volunteer.objects.get(user=people.volunteer), 3)


@pytest.fixture
def _static_and_short_steps(settings) -> None:
    # The live server serves static files from the finders (no collectstatic in tests), and
    # the card's script refreshes every step: two seconds here, not a minute.
    settings.WHITENOISE_USE_FINDERS = True
    settings.ROTATING_CODE_STEP_SECONDS = 2


@pytest.mark.usefixtures("_static_and_short_steps")
def test_the_card_draws_an_svg_qr_that_rotates_and_scans(
    new_context, live_server, people, starred, settings
):
    # given the volunteer's phone on their card
    phone = new_context(viewport=PHONE_VIEWPORT).new_page()
    violations: list[str] = []
    phone.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(phone, live_server, people.volunteer)
    phone.goto(CARD)

    # then the QR code is an SVG, drawn, inside the phone's width
    qr = phone.locator(QR)
    expect(qr).to_be_visible()
    expect(phone.locator("#star-card .holder")).to_have_text("李**")
    expect(phone.locator("#star-card .level")).to_have_text("3 星志愿者")
    assert phone.evaluate(f"document.querySelector('{QR}') instanceof SVGSVGElement")
    assert qr.locator("path").count() >= 1
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 150
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE_VIEWPORT["width"]

    # when a step passes, the script puts a fresh code in place, drawn as SVG again
    first = qr.inner_html()
    phone.wait_for_function(
        "(first) => { const svg = document.querySelector('#star-card-qr svg');"
        " return svg && svg.innerHTML !== first; }",
        arg=first,
    )
    assert phone.evaluate(f"document.querySelector('{QR}') instanceof SVGSVGElement")
    expect(phone.locator(QR)).to_be_visible()
    assert violations == []

    # and a scanner, not signed in, opens the link of the code shown
    settings.ROTATING_CODE_STEP_SECONDS = 60
    link = phone.request.get("/volunteer/star-card/code/").json()["url"]
    scanner = new_context(viewport=PHONE_VIEWPORT).new_page()
    response = scanner.goto(link)
    assert response is not None
    assert response.status == 200
    expect(scanner.locator(".verdict")).to_have_text("有效的星级志愿者卡")
    expect(scanner.locator(".holder")).to_have_text("李**")
    expect(scanner.locator(".star-verify .level")).to_contain_text("3 星")
    expect(scanner.locator("body")).not_to_contain_text("李志愿")


@pytest.mark.usefixtures("_static_and_short_steps")
def test_without_javascript_the_card_still_shows_its_code(
    new_context, live_server, people, starred
):
    phone = new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False).new_page()
    sign_in(phone, live_server, people.volunteer)

    phone.goto(CARD)

    expect(phone.locator(QR)).to_be_visible()
    assert phone.locator("noscript").count() == 1


def test_a_forged_code_shows_a_chinese_page(new_context, live_server, starred):
    scanner = new_context(viewport=PHONE_VIEWPORT).new_page()

    response = scanner.goto(f"/stars/verify/{starred.pk}-1-aaaaaaaaaa/")

    assert response is not None
    assert response.status == 404
    expect(scanner.locator(".verdict")).to_have_text("二维码无效")
