"""The one way tests count queries.

``exact_queries(n)`` pins a cost: the block must run exactly ``n`` queries, and when it does
not the failure lists every query it ran, numbered, so the extra (or missing) one can be
read off the message instead of rerun under a debugger. ``exact_get`` pins one GET of a
page. ``counted_get`` is for the "N rows cost the same as M rows" tests that compare two
counts; where such a test reads a page, it pins both counts with ``exact_get`` as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _listing(captured: CaptureQueriesContext) -> str:
    return "\n".join(
        f"{number}. {query['sql']}" for number, query in enumerate(captured.captured_queries, 1)
    )


@contextmanager
def exact_queries(expected: int) -> Iterator[CaptureQueriesContext]:
    """Fail unless the block runs exactly ``expected`` queries (a +1 fails as a -1 does)."""
    with CaptureQueriesContext(connection) as captured:
        yield captured
    ran = len(captured.captured_queries)
    assert ran == expected, f"{ran} queries ran, {expected} expected:\n{_listing(captured)}"


@contextmanager
def counting() -> Iterator[CaptureQueriesContext]:
    """Capture the block's queries; ``len(captured)`` is how many ran."""
    with CaptureQueriesContext(connection) as captured:
        yield captured


def counted_get(client, url: str, *, status: int = 200, **params: object):
    """How many queries one GET costs, and its response (which must answer ``status``)."""
    with counting() as captured:
        response = client.get(url, params) if params else client.get(url)
    assert response.status_code == status, (response.status_code, url)
    return len(captured), response


def exact_get(
    client, url: str, expected: int, params: dict[str, object] | None = None, *, status: int = 200
):
    """One GET (with query ``params``) that must cost exactly ``expected`` queries, and its
    response (which must answer ``status``). The content-type cache is emptied first, so
    the count does not depend on which request or test ran before."""
    ContentType.objects.clear_cache()
    with exact_queries(expected):
        response = client.get(url, params) if params else client.get(url)
    assert response.status_code == status, (response.status_code, url)
    return response
