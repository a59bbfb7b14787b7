"""Removed after the split of volunteers/services.py, which still imports
``users_in_scope`` from here; the accounts' scoped reads are in volunteers/account_selectors.py."""

from volunteers.account_selectors import users_in_scope

__all__ = ["users_in_scope"]
