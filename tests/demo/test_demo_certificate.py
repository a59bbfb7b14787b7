"""The demo shows a service certificate (issue #11 item 8): one for a demo volunteer with
service history, issued in the name of their township institute, listed on their page with
its PDF, and verifiable by anyone through the link the seed prints. Loads the real division
file: a few seconds."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.village import demo_volunteer_phone
from points.models import Certificate

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_one_certificate_that_prints_and_verifies():
    # given the seed, run twice
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())

    # then one certificate, of the first demo volunteer's two past orders
    certificate = Certificate.objects.get()
    assert certificate.volunteer.user.phone == demo_volunteer_phone(0)
    assert (certificate.hours, certificate.services) == (Decimal("3.50"), 2)
    assert certificate.issuing_center.code == "430405007"
    assert certificate.issued_by.phone == "13800000003"

    # and the volunteer's page lists it with its PDF
    client = Client()
    client.force_login(certificate.volunteer.user)
    page = client.get(reverse("points:my_certificates")).content.decode()
    assert certificate.number in page
    pdf = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))
    assert pdf["Content-Type"] == "application/pdf"

    # and the printed verification path opens for anyone
    path = re.search(r"核验页 (\S+)", out.getvalue()).group(1)
    verified = Client().get(path)
    assert verified.status_code == 200
    assert "王**" in verified.content.decode()
