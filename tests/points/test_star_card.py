"""The verifiable star card (issue #11 item 6): the volunteer's card with a rotating QR code,
and the public page a scenic spot, a hospital or a bus company opens by scanning it, which
shows the masked name, the star level and until when the code is good, and nothing else."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from core import rotating_codes
from core.qr import qr_svg
from points.selectors.stars import STAR_CARD_PURPOSE, current_star_level
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.factories.points import credit, with_stars
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

CARD_URL = reverse("points:star_card")
CODE_URL = reverse("points:star_card_code")


def verify_url(code: str) -> str:
    return reverse("points:star_verify", args=[code])


@pytest.fixture
def starred(people) -> Volunteer:
    """The personas' volunteer (李志愿 of 王江社区) with three stars."""
    return with_stars(Volunteer.objects.get(user=people.volunteer), 3)


def test_the_card_shows_the_masked_name_the_level_and_a_qr_code(client, people, starred):
    # given
    client.force_login(people.volunteer)

    # when: session, account, volunteer, the level in force, the policy's next threshold,
    # the top bar's badges
    response = exact_get(client, CARD_URL, 6)

    # then
    page = response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert "李**" in page
    assert "3 星志愿者" in page
    # and how far the next level is: 600 certified hours for three, 1,000 for four
    assert "满 1000 小时可申请认定 4 星，还差 400 小时。" in page
    assert '<svg width="' in page
    assert 'class="qr"' in page
    assert "star_card.js" in page
    # Nothing that would tell the holder to the scanner's camera beyond the masked name.
    assert "李志愿" not in page.split("</header>", 1)[1]
    assert VOLUNTEER_ID_NUMBER not in page
    assert "13700000001" not in page


def test_the_qr_code_is_of_the_verification_link(client, people, starred):
    client.force_login(people.volunteer)

    response = client.get(CODE_URL)

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["url"].startswith("http://testserver/stars/verify/")
    assert data["svg"] == str(qr_svg(data["url"], title="星级志愿者验证二维码"))
    assert datetime.datetime.fromisoformat(data["valid_until"]) > timezone.now()
    code = data["url"].rsplit("/", 2)[1]
    assert rotating_codes.verify(STAR_CARD_PURPOSE, code) == starred.pk


def test_the_code_endpoint_costs_four_queries(client, people, starred):
    client.force_login(people.volunteer)

    # session, account, volunteer, the level in force (points.selectors.stars)
    exact_get(client, CODE_URL, 4)


def test_a_volunteer_without_a_star_learns_how_far_the_first_is(client, people):
    # given 37.5 certified hours and no star
    volunteer = Volunteer.objects.get(user=people.volunteer)
    credit(volunteer, 1, "37.50")
    client.force_login(people.volunteer)

    # when: the level in force and the policy's next threshold besides the page's own
    response = exact_get(client, CARD_URL, 6)

    # then
    page = response.content.decode()
    assert "暂无星级" in page
    assert "累计认证服务时长满 100 小时可获评一星级志愿者，您还差 62.50 小时。" in page
    assert "<svg" not in page
    assert "star_card.js" not in page
    assert client.get(CODE_URL).status_code == 404


@pytest.mark.parametrize("persona", ["resident", "county_cadre"])
def test_someone_who_is_not_a_volunteer_is_sent_to_their_page(client, people, persona):
    client.force_login(getattr(people, persona))

    response = client.get(CARD_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("volunteers:home")
    assert client.get(CODE_URL).status_code == 404


def test_a_suspended_volunteer_has_no_card(client, people, starred):
    Volunteer.objects.filter(pk=starred.pk).update(status=Volunteer.Status.SUSPENDED)
    client.force_login(people.volunteer)

    assert client.get(CARD_URL)["Location"] == reverse("volunteers:home")
    assert client.get(CODE_URL).status_code == 404


def test_anonymous_is_asked_to_sign_in_for_the_card(client, starred):
    for url in (CARD_URL, CODE_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_card_refuses_other_methods(client, people, starred):
    client.force_login(people.volunteer)

    assert client.post(CARD_URL).status_code == 405
    assert client.post(CODE_URL).status_code == 405


# --- the verification page ------------------------------------------------------------------


def test_anyone_scanning_sees_the_masked_name_level_and_validity_only(client, starred):
    # given a code made now, opened by someone not signed in
    now = timezone.now()
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk, at=now)

    # when: the holder and their level in force, nothing else
    response = exact_get(client, verify_url(code), 2)

    # then
    page = response.content.decode()
    assert "有效的星级志愿者卡" in page
    assert '<dd class="holder">李**</dd>' in page
    assert "3 星" in page
    until = timezone.localtime(rotating_codes.issued_valid_until(now))
    assert until.strftime("%H:%M:%S") in page
    assert "noindex" in page
    for private in (
        "李志愿",
        VOLUNTEER_ID_NUMBER,
        VOLUNTEER_ID_NUMBER[-4:],
        "13700000001",
        "0001",
        "王江",
        "衡州路",
    ):
        assert private not in page, private
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_verification_page_shows_the_level_now(client, starred):
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk)
    with_stars(starred, 4)

    page = client.get(verify_url(code)).content.decode()

    assert current_star_level(Volunteer.objects.get(pk=starred.pk)) == 4
    assert "4 星" in page


def test_a_code_a_step_old_still_verifies(client, starred, settings):
    step = datetime.timedelta(seconds=settings.ROTATING_CODE_STEP_SECONDS)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk, at=timezone.now() - step)

    assert client.get(verify_url(code)).status_code == 200


def test_an_expired_code_gets_a_clear_page_and_410(client, starred, settings):
    # given a screenshot of the card taken three steps ago
    step = datetime.timedelta(seconds=settings.ROTATING_CODE_STEP_SECONDS)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk, at=timezone.now() - 3 * step)

    # when: nothing is read for an expired code
    response = exact_get(client, verify_url(code), 0, status=410)

    # then
    page = response.content.decode()
    assert "二维码已过期" in page
    assert "李**" not in page
    assert "3 星" not in page


@pytest.mark.parametrize(
    "forge",
    [
        lambda code: code[:-1] + ("a" if code[-1] != "a" else "b"),
        lambda code: "9" + code,
        lambda code: code.split("-", 1)[0],
        lambda code: "not-a-code",
        lambda code: "1-1-" + "a" * 10,
        lambda code: rotating_codes.issue("activities.check_in", int(code.split("-")[0])),
        lambda code: code.upper(),
        lambda code: "x" * 300,
    ],
    ids=["mac", "subject", "bare-id", "words", "guess", "purpose", "case", "long"],
)
def test_a_forged_code_gets_a_clear_page_and_404(client, starred, forge):
    code = forge(rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk))

    response = client.get(verify_url(code))

    assert response.status_code == 404
    page = response.content.decode()
    assert "二维码无效" in page
    assert "李**" not in page


def test_the_code_of_someone_else_names_them_not_the_holder(client, tree, starred):
    other = with_stars(make_volunteer(5, tree.village_b, name="王大伟"), 1)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, other.pk)

    page = client.get(verify_url(code)).content.decode()

    assert "王**" in page
    assert "1 星" in page


@pytest.mark.parametrize("status", [Volunteer.Status.LEFT, Volunteer.Status.SUSPENDED])
def test_a_card_of_someone_no_longer_active_is_refused(client, starred, status):
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk)
    Volunteer.objects.filter(pk=starred.pk).update(status=status)

    response = client.get(verify_url(code))

    assert response.status_code == 404
    assert "二维码无效" in response.content.decode()


def test_a_signed_in_cadre_sees_the_same_as_anyone(client, people, starred):
    client.force_login(people.outsider_cadre)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk)

    page = client.get(verify_url(code)).content.decode()

    assert '<dd class="holder">李**</dd>' in page
    assert VOLUNTEER_ID_NUMBER not in page


def test_a_volunteer_at_zero_stars_verifies_as_without_a_star(client, people):
    volunteer = Volunteer.objects.get(user=people.volunteer)
    code = rotating_codes.issue(STAR_CARD_PURPOSE, volunteer.pk)

    page = client.get(verify_url(code)).content.decode()

    assert "暂无星级" in page


def test_the_verification_page_refuses_a_post(client, starred):
    code = rotating_codes.issue(STAR_CARD_PURPOSE, starred.pk)

    assert client.post(verify_url(code)).status_code == 405


def test_a_volunteer_past_the_next_threshold_is_told_it_waits_for_certification(
    client, people, starred
):
    # given three stars in force and 1,000 certified hours: the fourth eligible, unconfirmed
    credit(starred, 2, "400.00")
    client.force_login(people.volunteer)

    # when
    page = client.get(CARD_URL).content.decode()

    # then
    assert "3 星志愿者" in page
    assert "已达到 4 星认定条件，等待认定。" in page


def test_a_five_star_volunteer_is_told_there_is_no_level_above(client, people):
    # given
    with_stars(Volunteer.objects.get(user=people.volunteer), 5)
    client.force_login(people.volunteer)

    # when
    page = client.get(CARD_URL).content.decode()

    # then
    assert "5 星志愿者" in page
    assert "您已是最高星级志愿者。" in page
