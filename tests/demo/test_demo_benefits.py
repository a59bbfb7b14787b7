"""The demo shows the benefits and the star card (issue #11 item 11): benefits at the city
and at 珠晖区, and the demo's first volunteer holding a star level, so their card draws its
QR code and a scan of it verifies. Loads the real division file: a few seconds."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from demo.benefits import DEMO_BENEFITS
from demo.stars import DEMO_STARS
from demo.village import demo_volunteer_phone
from points.models import Benefit, Recalculation, StarCertification
from points.selectors.stars import current_star_level
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_benefits_and_a_star_card_that_verifies():
    # given
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())

    # then the catalogue is there once, at the city and at 珠晖区
    assert Benefit.objects.count() == len(DEMO_BENEFITS)
    assert set(Benefit.objects.values_list("center__code", flat=True)) == {"430400", "430405"}
    assert Benefit.objects.filter(extends_to_children=True).exists()
    assert "/volunteer/star-card/" in out.getvalue()

    # and the demo volunteer holds a star level
    volunteer = Volunteer.objects.get(user__phone="13700000001")
    assert current_star_level(volunteer) == DEMO_STARS

    # and their card draws a QR code, and its link verifies for anyone
    client = Client()
    client.force_login(volunteer.user)
    card = client.get("/volunteer/star-card/")
    assert card.status_code == 200
    assert "<svg" in card.content.decode()
    benefits = client.get("/volunteer/benefits/").context["catalogue"]
    assert [b.min_stars for b in benefits.opened] == [1, 1, 2, 2]
    assert [b.min_stars for b in benefits.upcoming] == [3, 3]
    link = json.loads(client.get("/volunteer/star-card/code/").content)["url"]
    scanned = Client().get(link)
    assert scanned.status_code == 200
    assert "李**" in scanned.content.decode()


def test_the_demo_shows_a_star_in_its_notice_one_waiting_and_one_close():
    # given
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    in_notice, waiting, close = (
        Volunteer.objects.get(user__phone=demo_volunteer_phone(index)) for index in range(3)
    )
    S = StarCertification.Status

    # then one volunteer is on the public notice, not yet in force
    assert list(in_notice.star_certifications.values_list("level", "status")) == [(1, S.CONFIRMED)]
    assert current_star_level(in_notice) == 0
    notice = Client().get("/stars/notice/").content.decode()
    assert in_notice.real_name[0] + "**" in notice
    assert in_notice.real_name not in notice

    # and one waits for a county cadre, and one is 3.5 hours short of the first star
    assert list(waiting.star_certifications.values_list("level", "status")) == [(1, S.ELIGIBLE)]
    assert not close.star_certifications.exists()
    client = Client()
    client.force_login(close.user)
    assert "还差 3.50 小时" in client.get("/volunteer/star-card/").content.decode()


def test_the_demo_has_a_finished_recalculation_that_found_no_drift():
    call_command("seed_demo", stdout=io.StringIO())
    assert list(Recalculation.objects.values_list("status", "drifted")) == [
        (Recalculation.Status.DONE, 0)
    ]
