"""The rotating code service (core.rotating_codes): a code is accepted in its own time step
and the next, refused after, and refused for any other subject, purpose or forgery. The
clock is injected (``at``): nothing sleeps."""

from __future__ import annotations

import datetime

import pytest

from core import rotating_codes
from core.rotating_codes import CodeState, check, issue, verify

# The start of a 60-second step.
T0 = datetime.datetime(2026, 5, 1, 8, 0, 0, tzinfo=datetime.UTC)
STEP = datetime.timedelta(seconds=60)


@pytest.fixture(autouse=True)
def _one_minute_steps(settings):
    settings.ROTATING_CODE_STEP_SECONDS = 60


def test_a_code_is_valid_when_made_and_names_its_subject():
    code = issue("star_card", 42, at=T0)

    assert verify("star_card", code, at=T0) == 42
    checked = check("star_card", code, at=T0 + datetime.timedelta(seconds=59))
    assert checked.state is CodeState.VALID
    assert checked.subject_id == 42
    # Accepted in its step and the next: until the end of the second step.
    assert checked.valid_until == T0 + 2 * STEP


def test_a_code_is_still_valid_one_step_later():
    code = issue("star_card", 42, at=T0 + datetime.timedelta(seconds=59))

    assert verify("star_card", code, at=T0 + STEP + datetime.timedelta(seconds=59)) == 42


def test_a_code_two_steps_old_is_refused_as_expired():
    code = issue("star_card", 42, at=T0)

    checked = check("star_card", code, at=T0 + 2 * STEP)

    assert checked.state is CodeState.EXPIRED
    assert checked.valid_until == T0 + 2 * STEP
    assert verify("star_card", code, at=T0 + 2 * STEP) is None
    assert verify("star_card", code, at=T0 + 60 * STEP) is None


def test_the_codes_change_every_step():
    assert issue("star_card", 42, at=T0) != issue("star_card", 42, at=T0 + STEP)
    assert issue("star_card", 42, at=T0) == issue(
        "star_card", 42, at=T0 + datetime.timedelta(seconds=30)
    )


def test_a_code_for_another_purpose_is_refused():
    code = issue("star_card", 42, at=T0)

    assert check("activity_check_in", code, at=T0).state is CodeState.INVALID


def test_a_changed_subject_is_refused():
    code = issue("star_card", 42, at=T0)
    subject, step, mac = code.split("-")

    assert check("star_card", f"43-{step}-{mac}", at=T0).state is CodeState.INVALID
    # The MAC of one subject does not fit another's, in any step.
    assert verify("star_card", f"420-{step}-{mac}", at=T0) is None


def test_a_moved_step_is_refused():
    # given a code of an earlier step whose step is rewritten to now's
    old = issue("star_card", 42, at=T0)
    _subject, _step, mac = old.split("-")
    _now_subject, now_step, _now_mac = issue("star_card", 42, at=T0 + 5 * STEP).split("-")

    # then it is a forgery, not a fresh code
    assert check("star_card", f"42-{now_step}-{mac}", at=T0 + 5 * STEP).state is (CodeState.INVALID)


def test_a_code_from_the_future_is_refused():
    code = issue("star_card", 42, at=T0 + STEP)

    assert check("star_card", code, at=T0).state is CodeState.INVALID


@pytest.mark.parametrize(
    "code",
    [
        "",
        "42",
        "42-abc",
        "42-htnra-aaaaaaaaaa",
        "-1-htnra-aaaaaaaaaa",
        "x-htnra-aaaaaaaaaa",
        "42-htnra-AAAAAAAAAA",
        "42-htnra-aaaaaaaaaaa",
        "9" * 40 + "-1-aaaaaaaaaa",
        "42-htnra-aaaaaaaa1a",
        "42 -htnra-aaaaaaaaaa",
        "４２-htnra-aaaaaaaaaa",
    ],
)
def test_forged_or_malformed_codes_are_refused_without_an_error(code):
    assert check("star_card", code, at=T0).state is CodeState.INVALID
    assert verify("star_card", code, at=T0) is None


def test_a_code_made_with_another_secret_key_is_refused(settings):
    code = issue("star_card", 42, at=T0)
    settings.SECRET_KEY = "another-deployment-" + "x" * 40

    assert verify("star_card", code, at=T0) is None


def test_the_step_comes_from_settings(settings):
    settings.ROTATING_CODE_STEP_SECONDS = 30
    code = issue("star_card", 7, at=T0)

    assert verify("star_card", code, at=T0 + datetime.timedelta(seconds=59)) == 7
    assert verify("star_card", code, at=T0 + datetime.timedelta(seconds=60)) is None
    assert rotating_codes.issued_valid_until(T0) == T0 + datetime.timedelta(seconds=60)


def test_a_purpose_and_a_subject_are_required():
    with pytest.raises(ValueError, match="purpose"):
        issue("", 1)
    with pytest.raises(ValueError, match="negative"):
        issue("star_card", -1)
