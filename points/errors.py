"""The error codes of hours, points and their rules: the ``code`` of every DomainError raised
here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum


class PointErrorCode(StrEnum):
    AMOUNT_SIGN = "amount_sign"
    CLAIM_DECIDED = "claim_decided"
    CLAIM_INVALID = "claim_invalid"
    CLAIM_NOT_IN_SCOPE = "claim_not_in_scope"
    CLAIM_REASON_REQUIRED = "claim_reason_required"
    BENEFIT_CENTER_NOT_IN_SCOPE = "benefit_center_not_in_scope"
    # Service certificates (points.services.certificates).
    CERTIFICATE_ISSUER_NOT_ALLOWED = "certificate_issuer_not_allowed"
    CERTIFICATE_NO_ISSUER = "certificate_no_issuer"
    CERTIFICATE_NOT_A_VOLUNTEER = "certificate_not_a_volunteer"
    CERTIFICATE_PERIOD_IN_FUTURE = "certificate_period_in_future"
    CERTIFICATE_PERIOD_REVERSED = "certificate_period_reversed"
    CERTIFICATE_PERIOD_TOO_EARLY = "certificate_period_too_early"
    CERTIFICATE_PERIOD_TOO_LONG = "certificate_period_too_long"
    CERTIFICATE_VOLUNTEER_NOT_APPROVED = "certificate_volunteer_not_approved"
    CERTIFICATE_VOLUNTEER_NOT_IN_SCOPE = "certificate_volunteer_not_in_scope"
    HONOUR_CITY_ONLY = "honour_city_only"
    HONOUR_DECIDED = "honour_decided"
    HONOUR_NO_HOURS = "honour_no_hours"
    HONOUR_TIER_REFUSED = "honour_tier_refused"
    HONOUR_TWICE = "honour_twice"
    HONOUR_VOLUNTEER_NOT_IN_SCOPE = "honour_volunteer_not_in_scope"
    POINTS_INSUFFICIENT = "points_insufficient"
    REDEMPTION_CLOSED = "redemption_closed"
    REDEMPTION_ITEM_INACTIVE = "redemption_item_inactive"
    REDEMPTION_ITEM_UNKNOWN = "redemption_item_unknown"
    REDEMPTION_NOT_IN_SCOPE = "redemption_not_in_scope"
    REDEMPTION_NOT_VOLUNTEER = "redemption_not_volunteer"
    REDEMPTION_OUT_OF_STOCK = "redemption_out_of_stock"
    REDEMPTION_PRICE_CHANGED = "redemption_price_changed"
    REDEMPTION_QUANTITY = "redemption_quantity"
    REASON_REQUIRED = "reason_required"
    RECALCULATION_CITY_ONLY = "recalculation_city_only"
    RECALCULATION_RUNNING = "recalculation_running"
    REVIEW_DECIDED = "review_decided"
    REVIEW_NOT_IN_SCOPE = "review_not_in_scope"
    RULES_CITY_ONLY = "rules_city_only"
    RULES_INVALID = "rules_invalid"
    SERVICE_UNKNOWN = "service_unknown"
    STAR_DECISION_INVALID = "star_decision_invalid"
    STAR_NOT_ELIGIBLE = "star_not_eligible"
    STAR_NOT_IN_NOTICE = "star_not_in_notice"
    STAR_NOT_IN_SCOPE = "star_not_in_scope"
    STAR_NOT_RECOMMENDED = "star_not_recommended"
    STAR_NOT_REVIEWED = "star_not_reviewed"
    STAR_OBJECTION_DECIDED = "star_objection_decided"
    STAR_OBJECTION_OWN = "star_objection_own"
    STAR_OBJECTION_REASON = "star_objection_reason"
    STAR_OBJECTION_TWICE = "star_objection_twice"
    STAR_REASON_REQUIRED = "star_reason_required"
    STAR_TIER_REFUSED = "star_tier_refused"
    STAR_UNDER_REVIEW = "star_under_review"
    SUPERMARKET_CENTER_LEVEL = "supermarket_center_level"
    SUPERMARKET_CENTER_NOT_IN_SCOPE = "supermarket_center_not_in_scope"
    SUPERMARKET_STOCK_NEGATIVE = "supermarket_stock_negative"
    VOLUNTEER_NOT_IN_SCOPE = "volunteer_not_in_scope"
