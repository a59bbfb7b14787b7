"""The error codes of volunteers, teams, rosters and the status: the ``code`` of every
DomainError raised here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum

# Members raised by value from a computed string, not by name.
# ``id_*``: what volunteers.identity found wrong with an ID number (its validation codes).
BY_VALUE_PREFIXES = ("id_",)


class VolunteerErrorCode(StrEnum):
    ACCOUNT_NOT_EDITABLE = "account_not_editable"
    DEACTIVATE_SELF = "deactivate_self"
    ACTOR_REQUIRED = "actor_required"
    ALREADY_APPLIED = "already_applied"
    ALREADY_LEFT = "already_left"
    ALREADY_MEMBER = "already_member"
    ALREADY_VOLUNTEER = "already_volunteer"
    AVAILABILITY_INVALID = "availability_invalid"
    CENTER_NOT_IN_SCOPE = "center_not_in_scope"
    CENTER_REQUIRED = "center_required"
    HOME_NOT_VILLAGE = "home_not_village"
    HOME_ORPHAN = "home_orphan"
    ID_BIRTH_DATE = "id_birth_date"
    ID_CHARACTERS = "id_characters"
    ID_CHECK_CHARACTER = "id_check_character"
    ID_INVALID = "id_invalid"
    ID_LEGACY = "id_legacy"
    ID_LENGTH = "id_length"
    ID_REGION = "id_region"
    ID_TAKEN = "id_taken"
    INVITATION_NOT_FOUND = "invitation_not_found"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    NOT_PENDING = "not_pending"
    PHONE_NOT_VERIFIED = "phone_not_verified"
    PLATFORM_UNKNOWN = "platform_unknown"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    REVIEW_FORBIDDEN = "review_forbidden"
    ROLE_INVALID = "role_invalid"
    ROSTER_COLUMNS_MISSING = "roster_columns_missing"
    ROSTER_COLUMNS_REPEATED = "roster_columns_repeated"
    ROSTER_CONFLICT = "roster_conflict"
    ROSTER_EMPTY = "roster_empty"
    ROSTER_INVALID = "roster_invalid"
    ROSTER_TOO_LONG = "roster_too_long"
    SKILL_FORBIDDEN = "skill_forbidden"
    SKILL_INACTIVE = "skill_inactive"
    STATUS_MOVE_REFUSED = "status_move_refused"
    TEAM_NOT_MANAGED = "team_not_managed"
    VOLUNTEER_NOT_ACTIVE = "volunteer_not_active"
    VOLUNTEER_NOT_IN_SCOPE = "volunteer_not_in_scope"
    VOLUNTEER_OUTSIDE_TEAM_AREA = "volunteer_outside_team_area"
