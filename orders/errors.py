"""The error codes of orders and micro-wishes: the ``code`` of every DomainError raised here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum

# Members raised by value from a computed string, not by name.
# ``not_allowed_in_*``: the state machine's 409, named after the status the order is in.
BY_VALUE_PREFIXES = ("not_allowed_in_",)


class OrderErrorCode(StrEnum):
    CHECK_IN_TOO_EARLY = "check_in_too_early"
    HOURS_OUT_OF_RANGE = "hours_out_of_range"
    KIND_INVALID = "kind_invalid"
    PROOF_VOID = "proof_void"
    PROOF_WRONG = "proof_wrong"
    NOT_ALLOWED_IN_ACCEPTED = "not_allowed_in_accepted"
    NOT_ALLOWED_IN_CANCELLED = "not_allowed_in_cancelled"
    NOT_ALLOWED_IN_COMPLETED = "not_allowed_in_completed"
    NOT_ALLOWED_IN_DISPATCHED = "not_allowed_in_dispatched"
    NOT_ALLOWED_IN_IN_SERVICE = "not_allowed_in_in_service"
    NOT_ALLOWED_IN_PLACED = "not_allowed_in_placed"
    NOT_ALLOWED_IN_RATED = "not_allowed_in_rated"
    NOT_ALLOWED_IN_REJECTED = "not_allowed_in_rejected"
    NOT_A_WISH = "not_a_wish"
    NOT_VILLAGE = "not_village"
    ORDER_MISSING = "order_missing"
    ORDER_NOT_HELD = "order_not_held"
    ORDER_NOT_IN_SCOPE = "order_not_in_scope"
    ORDER_NOT_MINE = "order_not_mine"
    ORDER_NOT_OFFERED = "order_not_offered"
    OWN_WISH = "own_wish"
    PHONE_INVALID = "phone_invalid"
    REQUIRED = "required"
    SCORE_INVALID = "score_invalid"
    SERVICE_UNAVAILABLE = "service_unavailable"
    TARGET_REQUIRED = "target_required"
    TEAM_INACTIVE = "team_inactive"
    TEAM_NOT_IN_SCOPE = "team_not_in_scope"
    TOO_LONG = "too_long"
    TOO_MANY_OPEN_CLAIMS = "too_many_open_claims"
    VOLUNTEER_NOT_ACTIVE = "volunteer_not_active"
    VOLUNTEER_NOT_IN_SCOPE = "volunteer_not_in_scope"
    VOLUNTEER_REFUSED = "volunteer_refused"
    WINDOW_INVALID = "window_invalid"
    WISH_CLAIMS_THROTTLED = "wish_claims_throttled"
    WISH_MISSING = "wish_missing"
    WISH_NOT_CLAIMED_BY_YOU = "wish_not_claimed_by_you"
