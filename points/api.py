"""``GET /api/v1/points/ledger/``: a volunteer's own ledger entries, newest first, by cursor.

The two ledgers are two tables with ids of their own, so one cursor cannot walk both in
order: ``?ledger=hours`` (the default) or ``?ledger=points`` picks the ledger, and each page
is one index range of (volunteer, -id)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.serializers import BaseSerializer

from accounts.http import AuthenticatedRequest
from points.models import HoursEntry, PointsEntry
from points.selectors.ledger import ledger_owner, own_hours_entries, own_points_entries

LEDGERS = ("hours", "points")


class LedgerPagination(CursorPagination):
    """A ledger grows with every service (ten million entries): a cursor never counts."""

    ordering = "-id"
    page_size = 20


class HoursEntrySerializer(serializers.ModelSerializer):
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = HoursEntry
        fields = ["id", "ledger", "kind", "source", "source_id", "hours", "reason", "created_at"]

    def get_ledger(self, entry: HoursEntry) -> str:
        return "hours"


class PointsEntrySerializer(serializers.ModelSerializer):
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "ledger",
            "kind",
            "source",
            "source_id",
            "points",
            "rules",
            "reason",
            "created_at",
        ]

    def get_ledger(self, entry: PointsEntry) -> str:
        return "points"


@extend_schema(
    parameters=[
        OpenApiParameter(
            "ledger", str, enum=list(LEDGERS), description="hours（默认）或 points", required=False
        )
    ]
)
class LedgerApi(ListAPIView[Any]):
    """The signed-in volunteer's own hours or points entries; nobody else's."""

    permission_classes = [IsAuthenticated]
    pagination_class = LedgerPagination
    request: AuthenticatedRequest

    def _ledger(self) -> str:
        ledger = self.request.query_params.get("ledger", "hours")
        if ledger not in LEDGERS:
            raise ValidationError({"ledger": [_("应为 hours 或 points。")]})
        return ledger

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if getattr(self, "swagger_fake_view", False):
            return HoursEntrySerializer
        return PointsEntrySerializer if self._ledger() == "points" else HoursEntrySerializer

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return HoursEntry.objects.none()
        ledger = self._ledger()
        volunteer = ledger_owner(self.request.user)
        if volunteer is None:
            raise PermissionDenied(_("只有志愿者可以查看时长与积分记录。"))
        if ledger == "points":
            return own_points_entries(volunteer)
        return own_hours_entries(volunteer)
