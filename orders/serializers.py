"""How orders are read and written through the API.

The input serializers check shapes and types only; what the domain allows (a village, a
service offered there, a mobile number, the hours a volunteer may claim, a score of 1 to 5)
is decided by orders.services, so the web pages and the API refuse the same things with the
same words.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.phones import mask_phone
from orders.models import Order, OrderEvent
from practice.models import Center, Service
from volunteers.models import Team, Volunteer
from volunteers.serializers import StrictCharField


class OrderSerializer(serializers.ModelSerializer):
    """One row of the order list. Everything here comes from the order, its service and
    its center, so a page of 20 costs one query whatever it holds."""

    service_name = serializers.CharField(source="service.name", read_only=True)
    center_name = serializers.CharField(source="center.name", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "kind",
            "kind_name",
            "service",
            "service_name",
            "center",
            "center_name",
            "title",
            "status",
            "status_name",
            "created_at",
            "dispatched_volunteer",
            "dispatched_team",
            "accept_deadline",
            "accepted_by",
            # The user who claimed a micro-wish (null until then, and on service orders):
            # the holder when accepted_by is null. Compare with /api/v1/me/'s id.
            "donor",
            "hours",
            "rating",
        ]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    from_status = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["from_status", "to_status", "at", "by", "reason"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_from_status(self, event: OrderEvent) -> str | None:
        # Placing is the first event: it comes from no state, which JSON says as null.
        return event.from_status or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_by(self, event: OrderEvent) -> str | None:
        # None is the automatic dispatcher or the deadline sweep.
        return event.actor.name if event.actor_id else None


class OrderDetailSerializer(OrderSerializer):
    """One order with what it takes to serve it, and its timeline.

    The contact phone is in clear for the resident, the cadres in scope, the volunteer it
    was offered to by name and the one holding it (or the donor who claimed the wish); a
    member of a team it was offered to sees it masked until someone accepts (then only the
    holder keeps reading the order).
    The view says which case applies, through ``phone_in_clear``.
    """

    resident_name = serializers.CharField(source="resident.name", read_only=True)
    donor_name = serializers.CharField(source="donor.name", read_only=True, default=None)
    contact_phone = serializers.SerializerMethodField()
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "description",
            "address",
            "contact_phone",
            "resident_name",
            "donor_name",
            "preferred_start",
            "preferred_end",
            "accepted_at",
            "started_at",
            "completed_at",
            "summary",
            "rating_comment",
            "events",
        ]
        read_only_fields = fields

    def get_contact_phone(self, order: Order) -> str:
        in_clear = self.context.get("phone_in_clear", False)
        return order.contact_phone if in_clear else mask_phone(order.contact_phone)


class OrderPlaceSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        error_messages={
            "does_not_exist": _("所选的服务项目不存在。"),
            "incorrect_type": _("请选择服务项目。"),
        },
    )
    center = serializers.PrimaryKeyRelatedField(
        queryset=Center.objects.all(),
        error_messages={
            "does_not_exist": _("所选的村（社区）不存在。"),
            "incorrect_type": _("请选择服务所在的村（社区）。"),
        },
    )
    title = StrictCharField(max_length=100)
    description = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=200)
    contact_phone = StrictCharField(max_length=20)
    preferred_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    preferred_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    # Left out, the service decides: its wish item posts a wish, any other a service order.
    kind = serializers.ChoiceField(
        choices=Order.Kind.choices,
        required=False,
        default=None,
        error_messages={"invalid_choice": _("订单类型无效。")},
    )


class OrderDispatchSerializer(serializers.Serializer):
    """To one volunteer or to one team. Whether the target lies in the cadre's scope is the
    service's call; an id that exists nowhere gets the same words as one outside it."""

    volunteer = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages={
            "does_not_exist": _("志愿者不存在或不在您的管辖范围内。"),
            "incorrect_type": _("请选择志愿者。"),
        },
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages={
            "does_not_exist": _("队伍不存在或不在您的管辖范围内。"),
            "incorrect_type": _("请选择队伍。"),
        },
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("volunteer") is None) == (attrs.get("team") is None):
            raise serializers.ValidationError(_("请选择派给一名志愿者或一支队伍。"))
        return attrs


class ReasonSerializer(serializers.Serializer):
    """Declining and rejecting: the service insists on a reason."""

    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class OrderCompleteSerializer(serializers.Serializer):
    summary = StrictCharField(max_length=1000)
    # The range (0 to the time since check-in, capped) is the service's: it knows the clock.
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
    )


class WishFulfilSerializer(serializers.Serializer):
    # Optional, up to 1,000 characters (the service's rule and words): what was handed over.
    note = StrictCharField(required=False, allow_blank=True, default="")


class OrderRateSerializer(serializers.Serializer):
    # 1 to 5 is checked by the service, in its words; here only "a whole number".
    score = serializers.IntegerField()
    comment = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
