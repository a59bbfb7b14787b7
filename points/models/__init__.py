"""The points app's models, one module per sub-domain (the ledgers, and those of later
issues beside them); Django finds them through this package."""

from points.models.benefits import Benefit
from points.models.certificates import Certificate
from points.models.honours import Honour
from points.models.leaderboards import ALL_TIME, HoursSummary, TeamHoursSummary
from points.models.ledger import HoursEntry, Kind, OrderReview, PointsEntry, Source
from points.models.proof import HoursClaim
from points.models.recalculation import Recalculation, RecalculationDrift
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
    "ALL_TIME",
    "Benefit",
    "Certificate",
    "CertifyingTier",
    "Honour",
    "HoursClaim",
    "HoursEntry",
    "HoursSummary",
    "Kind",
    "OrderReview",
    "PointsEntry",
    "PointsRules",
    "Recalculation",
    "RecalculationDrift",
    "Redemption",
    "ServiceCoefficient",
    "Source",
    "StarCertification",
    "StarObjection",
    "StarPolicy",
    "StarRecheck",
    "SupermarketItem",
    "TeamHoursSummary",
]
