"""The demo shows the proof of service waiting on both sides: an order of 张群众's whose hours
wait for them to confirm on its page, and a 补录 waiting for a cadre. Loads the real
division file: a few seconds."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from points.models import HoursClaim

pytestmark = pytest.mark.django_db


def test_the_demo_has_hours_waiting_for_the_resident_and_for_a_cadre():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    waiting = HoursClaim.objects.get(resident__phone="13900000001")
    assert waiting.status == HoursClaim.Status.AWAITING_RESIDENT
    offline = HoursClaim.objects.get(kind=HoursClaim.Kind.OFFLINE)
    assert offline.status == HoursClaim.Status.AWAITING_CADRE

    client = Client()
    client.force_login(waiting.resident)
    page = client.get(reverse("orders:detail", args=[waiting.order_id])).content.decode()
    assert "确认服务已完成" in page
