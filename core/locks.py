"""Transaction-level advisory locks: a name two writers agree on, held until the
transaction ends, for work no row lock can serialise (a row not yet inserted, a DELETE and
an INSERT kept apart from a third writer)."""

from __future__ import annotations

from django.db import connection


def transaction_lock(name: str, *, shared: bool = False) -> None:
    """Hold the lock ``name`` until the current transaction ends: alone, or ``shared`` with
    other shared holders (an exclusive holder waits for them, and they for it). Taking it
    again in the same transaction is harmless. Nothing on SQLite (the demo), which lets one
    writer in at a time anyway."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtext(%s))", [name])
