"""A notification backend that keeps the texts it was asked to send, for tests to read the
codes from, as a person reads them off their phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

CODE = re.compile(r"验证码 (\d{6})")


class RecordingPhoneBackend:
    texts: list[tuple[str, str]] = []

    def send(self, notification) -> None:
        pass

    def send_to_phone(self, phone: str, text: str) -> None:
        RecordingPhoneBackend.texts.append((phone, text))


class Texts:
    def to(self, phone: str) -> list[str]:
        return [text for to, text in RecordingPhoneBackend.texts if to == phone]

    def code_for(self, phone: str) -> str:
        sent = self.to(phone)
        assert sent, f"no text was sent to {phone}"
        match = CODE.search(sent[-1])
        assert match, sent[-1]
        return match.group(1)

    def __len__(self) -> int:
        return len(RecordingPhoneBackend.texts)


@pytest.fixture
def texts(settings) -> Iterator[Texts]:
    settings.NOTIFICATION_BACKEND = f"{__name__}.RecordingPhoneBackend"
    RecordingPhoneBackend.texts.clear()
    yield Texts()
    RecordingPhoneBackend.texts.clear()
