"""Helpers shared by the API tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.support.queries import counting


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client that signs in as ``user`` with a token, as the mobile app does."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def queries_for(client: APIClient, url: str, **params: object) -> tuple[int, object]:
    """How many queries one GET costs, and its response."""
    with counting() as captured:
        response = client.get(url, params)
    return len(captured), response
