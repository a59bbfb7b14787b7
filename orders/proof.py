"""The proof of service (docs/points.md, "Proof of service"): a short code the resident reads
from their order page and the volunteer enters at check-out, so that hours count only when
both sides agree.

The code is derived from the order's id with a keyed hash (nothing to store, nothing to
leak from the table): six digits, one in a million to guess, and PROOF_MAX_FAILURES wrong
entries void it."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from orders.models import Order

# While the volunteer holds the order and serves, its resident reads the code.
SHOWN_WHILE = (Order.Status.ACCEPTED, Order.Status.IN_SERVICE)

PROOF_SALT = b"orders.proof"


def _key() -> bytes:
    return hashlib.sha256(PROOF_SALT + settings.SECRET_KEY.encode()).digest()


def proof_code(order_id: int) -> str:
    """The order's six-digit code, the same at every read."""
    digest = hmac.new(_key(), str(order_id).encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def proof_matches(order_id: int, entered: str) -> bool:
    """Whether ``entered`` (spaces and full-width digits allowed) is the order's code."""
    digits = "".join(ch for ch in entered if not ch.isspace())
    digits = digits.translate({ord("０") + n: str(n) for n in range(10)})
    # Bytes: compare_digest refuses a str with characters beyond ASCII (anything typed).
    return hmac.compare_digest(digits.encode(), proof_code(order_id).encode())


def proof_code_for(user: object, order: Order) -> str | None:
    """The code ``user`` may read on ``order``: its resident's, while the volunteer holds and
    serves it, never anyone else's (the volunteer least of all). The one answer for the
    order page and the API's order detail."""
    if (
        order.kind != Order.Kind.SERVICE
        or order.status not in SHOWN_WHILE
        or order.resident_id != getattr(user, "pk", None)
    ):
        return None
    return proof_code(order.pk)
