"""Short codes that rotate with the clock, for proofs that must not outlive a screenshot: the
star card's QR code (points), and later an activity's check-in code.

A code names its subject (a volunteer's id, an activity's id), the time step it was made
in, and a MAC over both, keyed by SECRET_KEY and the purpose: ``<subject>-<step>-<mac>``.
Nothing is stored. Whoever scans it learns whom the code is about from the code itself
and asks the server, which recomputes the MAC; a code is accepted in its own step and the
next (``settings.ROTATING_CODE_STEP_SECONDS``, 60 s by default), so one shown at the end of
a minute still scans a few seconds later, and none works more than two steps after it was
made. A code made for one purpose is refused for every other, and a changed subject or
step breaks the MAC.
"""

from __future__ import annotations

import base64
import datetime
import enum
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

# 50 bits of MAC: a forger must guess that many bits within two minutes, online.
MAC_LENGTH = 10
# Steps accepted after the one a code was made in.
TOLERANCE_STEPS = 1
_CODE = re.compile(rf"^(\d{{1,18}})-([0-9a-z]{{1,12}})-([a-z2-7]{{{MAC_LENGTH}}})$")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class CodeState(enum.Enum):
    VALID = "valid"
    # Well made, but its steps are over: the holder should show a fresh one.
    EXPIRED = "expired"
    # Not made by us for this purpose and subject (or not a code at all).
    INVALID = "invalid"


@dataclass(frozen=True)
class CodeCheck:
    state: CodeState
    subject_id: int | None = None
    # When the code stops being accepted (for a valid one) or stopped (an expired one).
    valid_until: datetime.datetime | None = None

    @property
    def is_valid(self) -> bool:
        return self.state is CodeState.VALID


def step_seconds() -> int:
    return max(1, int(settings.ROTATING_CODE_STEP_SECONDS))


def _step_at(at: datetime.datetime | None) -> int:
    moment = at if at is not None else timezone.now()
    return int(moment.timestamp()) // step_seconds()


def _step_start(step: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(step * step_seconds(), tz=datetime.UTC)


def _to_base36(number: int) -> str:
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
        if number == 0:
            return digits


def _mac(purpose: str, subject_id: int, step: int) -> str:
    digest = salted_hmac(
        f"core.rotating_codes:{purpose}",
        f"{subject_id}:{step}",
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:MAC_LENGTH]


def _require_purpose(purpose: str) -> None:
    if not purpose:
        raise ValueError("a rotating code needs a purpose")


def issue(purpose: str, subject_id: int, at: datetime.datetime | None = None) -> str:
    """The code for ``subject_id`` and ``purpose`` in the step of ``at`` (now by default)."""
    _require_purpose(purpose)
    if subject_id < 0:
        raise ValueError("subject ids are not negative")
    step = _step_at(at)
    return f"{subject_id}-{_to_base36(step)}-{_mac(purpose, subject_id, step)}"


def valid_until(code_step: int) -> datetime.datetime:
    """The end of the last step in which a code of ``code_step`` is accepted."""
    return _step_start(code_step + TOLERANCE_STEPS + 1)


def issued_valid_until(at: datetime.datetime | None = None) -> datetime.datetime:
    """When a code issued at ``at`` (now by default) stops being accepted."""
    return valid_until(_step_at(at))


def check(purpose: str, code: str, at: datetime.datetime | None = None) -> CodeCheck:
    """Judge ``code`` for ``purpose`` at ``at`` (now by default): valid (with its subject and
    the end of its validity), expired (made by us, too long ago) or invalid (anything else,
    a code from the future included). Never raises for bad input."""
    _require_purpose(purpose)
    matched = _CODE.match(code or "")
    if matched is None:
        return CodeCheck(CodeState.INVALID)
    subject_id, step = int(matched[1]), int(matched[2], 36)
    if not constant_time_compare(_mac(purpose, subject_id, step), matched[3]):
        return CodeCheck(CodeState.INVALID)
    now = _step_at(at)
    if step > now:
        return CodeCheck(CodeState.INVALID)
    if now - step > TOLERANCE_STEPS:
        return CodeCheck(CodeState.EXPIRED, subject_id, valid_until(step))
    return CodeCheck(CodeState.VALID, subject_id, valid_until(step))


def verify(purpose: str, code: str, at: datetime.datetime | None = None) -> int | None:
    """The subject of a valid ``code`` for ``purpose``, or None if it is expired or invalid."""
    checked = check(purpose, code, at)
    return checked.subject_id if checked.is_valid else None
