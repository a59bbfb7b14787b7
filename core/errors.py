from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db.models import Model


class CoreErrorCode(StrEnum):
    """The codes core raises itself; each app has its own (``<app>/errors.py``)."""

    FORM_TOKEN_INVALID = "form_token_invalid"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID = "invalid"


class DomainError(Exception):
    """A rule of the domain refused an action; the message is for the person who asked.

    ``code`` is stable for clients: a member of the raising app's error-code enum
    (orders.errors.OrderErrorCode and the like; tests/test_error_codes.py holds every raise
    to it). ``http_status`` says how the API reports it (400 for bad input, 409 for an
    action the current state does not allow).
    """

    http_status = 400

    def __init__(
        self, message: str, *, code: str = CoreErrorCode.INVALID, field: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class ConflictError(DomainError):
    http_status = 409


class NotInScope(DomainError):
    """The object lies outside the actor's subtree. Reported as absent, never as forbidden,
    so that nobody learns what exists elsewhere."""

    http_status = 404


def clean_or_refuse(instance: Model, *, exclude: Iterable[str] | None = None) -> None:
    """Run the model's own validation (fields, uniqueness, constraints) and report the first
    failure as a DomainError on its field, the way services refuse everything else."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise DomainError(exc.messages[0], code=CoreErrorCode.INVALID) from exc
        field, errors = next(iter(exc.error_dict.items()))
        raise DomainError(
            errors[0].messages[0],
            code=CoreErrorCode.INVALID,
            field=None if field == "__all__" else field,
        ) from exc
