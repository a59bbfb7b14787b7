"""Posting the order form (/orders/new/) as a browser does: the page refuses a POST without
the one-time token it handed out with the form (core.idempotency), so a test GETs the form
first and sends its token back with the fields."""

from __future__ import annotations

import re

TOKEN = re.compile(r'name="form_token" value="([^"]*)"')


def form_token_on(response) -> str:
    """The one-time token a rendered order form carries."""
    found = TOKEN.search(response.content.decode())
    assert found is not None, "the page has no order form with a token"
    return found.group(1)


def order_form_token(client, url: str) -> str:
    """GET the order form at ``url`` (its query string chooses the service and the area)
    and return the token it carries."""
    page = client.get(url)
    assert page.status_code == 200, (page.status_code, url)
    return form_token_on(page)


def order_form_post(client, url: str, data: dict[str, object], **options: object):
    """GET the order form at ``url``, then POST ``data`` to it with the form's token, as
    one submission from the page; ``options`` go to ``client.post`` (``follow=True``)."""
    token = order_form_token(client, url)
    return client.post(url, {**data, "form_token": token}, **options)
