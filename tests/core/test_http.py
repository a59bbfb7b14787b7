"""core.http.client_address: the client behind the proxies the deployment declares."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from core.http import client_address

PEER = "10.0.0.2"


def request_from(remote_addr: str | None = PEER, forwarded: str | None = None):
    extra = {}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().post("/", **extra)
    if remote_addr is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote_addr
    return request


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        # No proxy declared: the header is the client's word and is never believed.
        (0, None, PEER),
        (0, "6.6.6.6", PEER),
        (0, "6.6.6.6, 203.0.113.7", PEER),
        # One proxy: it appended the address it saw, the right-most entry.
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6,203.0.113.7", "203.0.113.7"),
        (1, " 6.6.6.6 ,  203.0.113.7 ", "203.0.113.7"),
        # Two proxies: the second from the right; the inner proxy's own entry is skipped.
        (2, "6.6.6.6, 203.0.113.7, 172.16.0.5", "203.0.113.7"),
        # IPv6, normalised.
        (1, "6.6.6.6, 2001:DB8:0:0::1", "2001:db8::1"),
        # Fewer entries than proxies: the request did not come through them all.
        (1, None, PEER),
        (1, "", PEER),
        (2, "203.0.113.7", PEER),
        # Garbage where our proxy's entry should be.
        (1, "6.6.6.6, unknown", PEER),
        (1, "6.6.6.6, 203.0.113.7:4711", PEER),
        (1, "6.6.6.6, 203.0.113.300", PEER),
        (1, "<script>", PEER),
        # Garbage only to the left, where the client writes, does not matter.
        (1, "not an ip, 203.0.113.7", "203.0.113.7"),
    ],
)
def test_client_address(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted

    assert client_address(request_from(forwarded=forwarded)) == expected


@pytest.mark.parametrize("remote_addr", [None, "", "garbage"])
def test_no_usable_peer_address_is_none(settings, remote_addr):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request_from(remote_addr=remote_addr)) is None


def test_a_negative_count_is_read_as_no_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = -1

    assert client_address(request_from(forwarded="6.6.6.6")) == PEER


@pytest.mark.parametrize(("value", "expected"), [(None, "0"), ("1", "1"), ("2", "2")])
def test_the_setting_comes_from_the_environment(value, expected):
    # A fresh interpreter: the settings module is read once per process.
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}
    if value is not None:
        env["TRUSTED_PROXY_COUNT"] = value
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.TRUSTED_PROXY_COUNT)"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == expected


def test_a_count_that_is_not_a_number_stops_the_start():
    env = {**os.environ, "TRUSTED_PROXY_COUNT": "one"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be an integer" in result.stderr
