"""Mainland mobile numbers: what people type, what is accepted, and how it is shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.phones import mask_phone, normalize_phone, validate_mainland_mobile

NOT_DIGITS = "手机号只能包含数字。"
BAD_PREFIX = "不是有效的大陆手机号码段。"


def refusal(value: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_mainland_mobile(value)
    return caught.value.messages


@pytest.mark.parametrize(
    "number",
    ["13800138000", "19912345678", "14512345678", "16612345678", "17012345678", "18912345678"],
)
def test_valid_mainland_numbers_pass(number):
    assert validate_mainland_mobile(number) is None


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("(+86)13800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("\t13800138000\n", "13800138000"),
        ("13800138000", "13800138000"),
    ],
)
def test_separators_and_country_code_are_dropped(typed, normalized):
    assert normalize_phone(typed) == normalized
    assert validate_mainland_mobile(normalize_phone(typed)) is None


def test_full_width_digits_typed_by_a_chinese_input_method_become_ascii():
    # The same number must be one account, however the phone's keyboard wrote it.
    assert normalize_phone("１３８ ００１３ ８０００") == "13800138000"
    assert normalize_phone("＋８６ １３８００１３８０００") == "13800138000"


def test_non_ascii_digits_are_refused():
    # Arabic-Indic digits count as digits for str.isdigit() and the default \d.
    assert refusal("١٣٨٠٠١٣٨٠٠٠") == [NOT_DIGITS]


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        ("1380013800", ["手机号应为 11 位数字，当前为 10 位。"]),
        ("138001380001", ["手机号应为 11 位数字，当前为 12 位。"]),
        ("1380013800a", [NOT_DIGITS]),
        ("abcdefghijk", [NOT_DIGITS]),
        ("12345678901", [BAD_PREFIX]),
        ("10086100861", [BAD_PREFIX]),
        ("14012345678", [BAD_PREFIX]),
        ("11012345678", [BAD_PREFIX]),
        ("23800138000", [BAD_PREFIX]),
        ("", [NOT_DIGITS]),
    ],
)
def test_invalid_numbers_are_refused_in_chinese(value, messages):
    assert refusal(value) == messages


def test_normalize_keeps_what_it_cannot_fix_for_the_validator_to_name():
    assert normalize_phone("138-abc") == "138abc"
    assert normalize_phone(None) == ""
    assert normalize_phone("") == ""


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13900000001", "139****0001"),
        ("13800138000", "138****8000"),
        ("1380013", "*******"),
        ("", ""),
    ],
)
def test_masking_shows_only_the_first_three_and_last_four(phone, masked):
    assert mask_phone(phone) == masked
