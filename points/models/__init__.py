"""The points app's models, one module per sub-domain (the ledgers, and those of later
issues beside them); Django finds them through this package."""

from points.models.benefits import Benefit
from points.models.certificates import Certificate
from points.models.honours import Honour
from points.models.leaderboards import ALL_TIME, HoursSummary, TeamHoursSummary
from points.models.ledger import HoursEntry, Kind, OrderReview, PointsEntry, Source
from points.models.recalculation import Recalculation, RecalculationDrift
from points.models.rules import PointsRules, ServiceCoefficient
from points.models.stars import (
    CertifyingTier,
    StarCertification,
    StarObjection,
    StarPolicy,
    StarRecheck,
)

__all__ = [
    "ALL_TIME",
    "Benefit",
    "Certificate",
    "CertifyingTier",
    "Honour",
    "HoursEntry",
    "HoursSummary",
    "Kind",
    "OrderReview",
    "PointsEntry",
    "PointsRules",
    "Recalculation",
    "RecalculationDrift",
    "ServiceCoefficient",
    "Source",
    "StarCertification",
    "StarObjection",
    "StarPolicy",
    "StarRecheck",
    "TeamHoursSummary",
]
