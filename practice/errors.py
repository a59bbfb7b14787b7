"""The error codes of the center tree, the catalogue and cadre roles: the ``code`` of every
DomainError raised here.

Clients see them (the API's error bodies, docs/api): the values never change; a new refusal
gets a new member. tests/test_error_codes.py checks that every raise names a member and that
every member is raised somewhere."""

from __future__ import annotations

from enum import StrEnum


class PracticeErrorCode(StrEnum):
    CENTER_NOT_IN_SCOPE = "center_not_in_scope"
    DELETE_OWN_CENTER = "delete_own_center"
    HAS_CHILDREN = "has_children"
    IN_USE = "in_use"
    MOVE_LEVEL = "move_level"
    MOVE_ROOT = "move_root"
    REVOKE_OWN_ROLE = "revoke_own_role"
    ROOT_FORBIDDEN = "root_forbidden"
    TOO_DEEP = "too_deep"
