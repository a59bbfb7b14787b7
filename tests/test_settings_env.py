from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list


def test_booleans_are_read_strictly(monkeypatch):
    monkeypatch.setenv("PORTAL_FLAG", "yes")
    assert env_bool("PORTAL_FLAG", False) is True
    monkeypatch.setenv("PORTAL_FLAG", "0")
    assert env_bool("PORTAL_FLAG", True) is False
    monkeypatch.setenv("PORTAL_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_FLAG"):
        env_bool("PORTAL_FLAG", False)


def test_integers_and_lists(monkeypatch):
    monkeypatch.delenv("PORTAL_NUMBER", raising=False)
    assert env_int("PORTAL_NUMBER", 7) == 7
    monkeypatch.setenv("PORTAL_NUMBER", "12")
    assert env_int("PORTAL_NUMBER", 7) == 12
    monkeypatch.setenv("PORTAL_NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_NUMBER"):
        env_int("PORTAL_NUMBER", 7)
    monkeypatch.setenv("PORTAL_HOSTS", " a.example, ,b.example ")
    assert env_list("PORTAL_HOSTS", []) == ["a.example", "b.example"]
