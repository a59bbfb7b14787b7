"""The points app's models, one module per sub-domain (the ledgers, and those of later
issues beside them); Django finds them through this package."""

from points.models.benefits import Benefit
from points.models.ledger import HoursEntry, Kind, OrderReview, PointsEntry, Source
from points.models.rules import PointsRules, ServiceCoefficient
from points.models.stars import (
    CertifyingTier,
    StarCertification,
    StarObjection,
    StarPolicy,
    StarRecheck,
)
from points.models.supermarket import Redemption, SupermarketItem

__all__ = [
    "Benefit",
    "CertifyingTier",
    "HoursEntry",
    "Kind",
    "OrderReview",
    "PointsEntry",
    "PointsRules",
    "Redemption",
    "ServiceCoefficient",
    "Source",
    "StarCertification",
    "StarObjection",
    "StarPolicy",
    "StarRecheck",
    "SupermarketItem",
]
