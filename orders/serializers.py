"""How orders are read and written through the API.

The input serializers check shapes and types only; what the domain allows (a village, a
service offered there, the hours a volunteer may claim, a score of 1 to 5) is decided by
orders.services, so the web pages and the API refuse the same things with the same words.
The contact number and the expected time are checked here too, by the rules the service
calls (orders.rules), so that they are answered with every other field's error.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.phones import mask_phone
from core.masking import mask_name
from orders import rules
from orders.models import Order, OrderEvent
from orders.proof import proof_code_for
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


def mask_address(address: str) -> str:
    return "***" if address else ""


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
        # None is the automatic dispatcher or the deadline sweep. The resident's own steps
        # name them only to whom the contact policy shows them (``hidden_actor_id``).
        if not event.actor_id or event.actor is None:
            return None
        if event.actor_id == self.context.get("hidden_actor_id"):
            return mask_name(event.actor.name)
        return event.actor.name


class OrderDetailSerializer(OrderSerializer):
    """One order with what it takes to serve it, and its timeline.

    The resident's name, phone and address are in clear only where the contact policy
    (``orders.selectors.with_contact_visibility``, the order's ``contact_visible``) says
    so: the resident, the cadres in scope, the volunteer holding it (and a few days after
    completion), the donor of a wish once the claim is confirmed. Anyone else reading the
    order (a volunteer or team it is offered to, a donor whose claim is pending) reads
    them masked.
    """

    resident_name = serializers.SerializerMethodField()
    donor_name = serializers.CharField(
        source="donor.name", read_only=True, default=None, allow_null=True
    )
    address = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    contact_visible = serializers.SerializerMethodField()
    donor_confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    events = serializers.SerializerMethodField()
    # The resident's proof code while the order is served (orders.proof): null for anyone
    # else, and once it is checked out.
    proof_code = serializers.SerializerMethodField()

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
            "contact_visible",
            "donor_confirmed_at",
            "events",
            "proof_code",
        ]
        read_only_fields = fields

    @staticmethod
    def _visible(order: Order) -> bool:
        # Set by with_contact_visibility on every read the API makes; absent means no.
        return bool(getattr(order, "contact_visible", False))

    def get_proof_code(self, order: Order) -> str | None:
        request = self.context.get("request")
        return proof_code_for(getattr(request, "user", None), order)

    def get_contact_visible(self, order: Order) -> bool:
        return self._visible(order)

    def get_contact_phone(self, order: Order) -> str:
        return order.contact_phone if self._visible(order) else mask_phone(order.contact_phone)

    def get_address(self, order: Order) -> str:
        return order.address if self._visible(order) else mask_address(order.address)

    def get_resident_name(self, order: Order) -> str:
        name = order.resident.name
        return name if self._visible(order) else mask_name(name)

    @extend_schema_field(OrderEventSerializer(many=True))
    def get_events(self, order: Order) -> list[dict[str, Any]]:
        context = {**self.context}
        if not self._visible(order):
            context["hidden_actor_id"] = order.resident_id
        events = order.events.all()
        return OrderEventSerializer(events, many=True, context=context).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


class OrderPlaceSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        error_messages={
            "does_not_exist": _("所选的服务项目不存在。"),
            "incorrect_type": _("请选择服务项目。"),
        },
    )
    center: serializers.PrimaryKeyRelatedField[Center] = serializers.PrimaryKeyRelatedField(
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

    # Checked here as well as by the service, so that a bad number or a past time is
    # answered along with every other field's error, not on the next try.
    def validate_contact_phone(self, value: str) -> str:
        return rules.clean_contact_number(value)

    def validate_preferred_start(self, value: datetime.datetime | None) -> Any:
        rules.refuse_past(value, field="preferred_start")
        return value

    def validate_preferred_end(self, value: datetime.datetime | None) -> Any:
        rules.refuse_past(value, field="preferred_end")
        return value


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
    # The resident's proof code (orders.proof): with it the hours are certified at once.
    proof_code = StrictCharField(required=False, allow_blank=True, default="", max_length=12)


class WishFulfilSerializer(serializers.Serializer):
    # Optional, up to 1,000 characters (the service's rule and words): what was handed over.
    note = StrictCharField(required=False, allow_blank=True, default="")


class OrderRateSerializer(serializers.Serializer):
    # 1 to 5 is checked by the service, in its words; here only "a whole number".
    score = serializers.IntegerField()
    comment = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
