"""The points app's models, one module per sub-domain (the ledgers, and those of later
issues beside them); Django finds them through this package."""

from points.models.ledger import HoursEntry

__all__ = ["HoursEntry"]
