"""The error codes of accounts: the ``code`` of every DomainError raised here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum

# Members raised by value from a computed string, not by name.
# ``code_*``: a verification code's outcome (accounts.verification.code_check).
BY_VALUE_PREFIXES = ("code_",)


class AccountErrorCode(StrEnum):
    CODE_NONE = "code_none"
    CODE_NOT_SENT = "code_not_sent"
    CODE_VOIDED = "code_voided"
    CODE_WRONG = "code_wrong"
    INVALID_CODE = "invalid_code"
    INVALID_PHONE = "invalid_phone"
    INVALID_PURPOSE = "invalid_purpose"
    NAME_REQUIRED = "name_required"
    PASSWORD_REQUIRED = "password_required"
    PHONE_REQUIRED = "phone_required"
    PHONE_TAKEN = "phone_taken"
    TOO_MANY_CODES_FOR_ADDRESS = "too_many_codes_for_address"
    TOO_MANY_CODES_FOR_PHONE = "too_many_codes_for_phone"
    WEAK_PASSWORD = "weak_password"
    WRONG_PASSWORD = "wrong_password"
