"""Every write to volunteers, teams and memberships, one module per sub-domain: profiles,
teams, skills, rosters (with checks, what profiles and rosters both ask of a person).
Callers import from here."""

from volunteers.services.checks import REAPPLYING_STATUSES
from volunteers.services.profiles import (
    volunteer_apply,
    volunteer_approve,
    volunteer_create,
    volunteer_leave,
    volunteer_reinstate,
    volunteer_reject,
    volunteer_reveal_id_number,
    volunteer_suspend,
    volunteer_update_insurance,
    volunteer_update_national_number,
    volunteer_update_preferences,
)
from volunteers.services.rosters import (
    INVITATION_LIFETIME,
    ROSTER_BATCH_SIZE,
    RosterEntry,
    RosterImported,
    RosterProblems,
    roster_invitation_accept,
    roster_invitation_decline,
    roster_invitations_purge,
    roster_outcomes,
    volunteer_roster_check,
    volunteer_roster_import,
)
from volunteers.services.skills import (
    skill_save,
    skill_validate,
)
from volunteers.services.teams import (
    team_member_add,
    team_member_remove,
    team_member_set_role,
    team_member_validate,
    team_save,
    team_validate,
)

__all__ = [
    "INVITATION_LIFETIME",
    "REAPPLYING_STATUSES",
    "ROSTER_BATCH_SIZE",
    "RosterEntry",
    "RosterImported",
    "RosterProblems",
    "roster_invitation_accept",
    "roster_invitation_decline",
    "roster_invitations_purge",
    "roster_outcomes",
    "skill_save",
    "skill_validate",
    "team_member_add",
    "team_member_remove",
    "team_member_set_role",
    "team_member_validate",
    "team_save",
    "team_validate",
    "volunteer_apply",
    "volunteer_approve",
    "volunteer_create",
    "volunteer_leave",
    "volunteer_reinstate",
    "volunteer_reject",
    "volunteer_reveal_id_number",
    "volunteer_roster_check",
    "volunteer_roster_import",
    "volunteer_suspend",
    "volunteer_update_insurance",
    "volunteer_update_national_number",
    "volunteer_update_preferences",
]
