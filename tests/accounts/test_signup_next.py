"""Signing up from an order link comes back to that order form: the visitor sent to sign in
from /orders/new/?service=N follows "注册", and after both steps of sign-up lands on the form
with the chosen service. An off-site ``next`` is dropped, never followed."""

from __future__ import annotations

import pytest

from tests.accounts.sms import texts  # noqa: F401 - the fixture
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def sign_up(client, texts, next_page: str):  # noqa: F811 - the fixture
    first = client.post("/accounts/signup/", {"phone": PHONE, "send_code": "1", "next": next_page})
    assert first.status_code == 200
    assert first.context["step"] == 2
    return first, client.post(
        "/accounts/signup/",
        {
            "phone": PHONE,
            "name": "王小明",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "code": texts.code_for(PHONE),
            "next": next_page,
        },
    )


def test_signing_up_from_an_order_link_returns_to_the_order_form(client, texts):  # noqa: F811
    order_form = "/orders/new/?service=7"
    # the order form sends a visitor to sign in; the sign-in page links sign-up with next
    bounced = client.get(order_form)
    assert bounced.status_code == 302
    login_page = client.get(bounced["Location"]).content.decode()
    assert 'href="/accounts/signup/?next=/orders/new/%3Fservice%3D7"' in login_page
    # the sign-up page carries it through both steps
    start = client.get("/accounts/signup/", {"next": order_form}).content.decode()
    assert 'name="next" value="/orders/new/?service=7"' in start
    second_step, done = sign_up(client, texts, order_form)
    assert 'name="next" value="/orders/new/?service=7"' in second_step.content.decode()
    assert done.status_code == 302
    assert done["Location"] == order_form


@pytest.mark.parametrize(
    "off_site",
    ["https://evil.example/orders/new/", "//evil.example/", "javascript:alert(1)", "http:///x"],
)
def test_an_off_site_next_is_dropped(client, texts, off_site):  # noqa: F811
    start = client.get("/accounts/signup/", {"next": off_site}).content.decode()
    assert "evil.example" not in start
    assert 'name="next"' not in start
    _second, done = sign_up(client, texts, off_site)
    assert done.status_code == 302
    assert done["Location"] == "/"
