"""The error codes of hours, points and their rules: the ``code`` of every DomainError raised
here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum


class PointErrorCode(StrEnum):
    AMOUNT_SIGN = "amount_sign"
    BENEFIT_CENTER_NOT_IN_SCOPE = "benefit_center_not_in_scope"
    POINTS_INSUFFICIENT = "points_insufficient"
    REASON_REQUIRED = "reason_required"
    REVIEW_DECIDED = "review_decided"
    REVIEW_NOT_IN_SCOPE = "review_not_in_scope"
    RULES_CITY_ONLY = "rules_city_only"
    RULES_INVALID = "rules_invalid"
    SERVICE_UNKNOWN = "service_unknown"
    VOLUNTEER_NOT_IN_SCOPE = "volunteer_not_in_scope"
