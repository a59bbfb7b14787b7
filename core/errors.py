from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action; the message is for the person who asked.

    ``code`` is stable for clients; ``http_status`` says how the API reports it (400 for bad
    input, 409 for an action the current state does not allow).
    """

    http_status = 400

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
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
