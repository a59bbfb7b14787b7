"""The points app's models, one module per sub-domain (the ledgers, and those of later
issues beside them); Django finds them through this package."""

from points.models.benefits import Benefit
from points.models.certificates import Certificate
from points.models.ledger import HoursEntry, Kind, OrderReview, PointsEntry, Source
from points.models.rules import PointsRules, ServiceCoefficient

__all__ = [
    "Benefit",
    "Certificate",
    "HoursEntry",
    "Kind",
    "OrderReview",
    "PointsEntry",
    "PointsRules",
    "ServiceCoefficient",
    "Source",
]
