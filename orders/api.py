"""The REST API for orders: placing, the scoped list, one order with its timeline, and
every step of the flow. A thin layer over orders.services and orders.selectors.

Who may do what is answered in two steps. First, can the reader see the order at all
(``orders_for``)? If not, 404, as if it did not exist. Then, is the reader the kind of
person this step is for (the resident, the volunteer it was offered to, a cadre)? If not,
403. Whether the order's state allows the step is the state machine's call: 409, with the
state it is in.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import User
from core.errors import DomainError, NotInScope
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import fingerprint, idempotent
from core.idempotency import key_from_header as idempotency_key_from_header
from core.schema import ERROR_SCHEMA
from orders.errors import OrderErrorCode
from orders.models import Order, OrderEvent
from orders.selectors import (
    order_offered_to,
    orders_for,
    orders_offered_to,
    with_contact_visibility,
)
from orders.serializers import (
    OrderCompleteSerializer,
    OrderDetailSerializer,
    OrderDispatchSerializer,
    OrderPlaceSerializer,
    OrderRateSerializer,
    OrderSerializer,
    ReasonSerializer,
    WishFulfilSerializer,
)
from orders.services import (
    order_accept,
    order_cancel,
    order_complete,
    order_decline,
    order_dispatch,
    order_place,
    order_rate,
    order_reject,
    order_service_confirm,
    order_service_dispute,
    order_start,
    wish_claim,
    wish_claim_confirm,
    wish_fulfil,
)
from orders.workflow import ACTION_NAMES, IllegalTransition
from practice.models import Center, Level
from practice.scoping import is_cadre
from volunteers.models import Volunteer
from volunteers.selectors import volunteer_of

S = Order.Status
# What a queryset yields (rows or values), as the stubs' filter_queryset keeps it.
_Row = TypeVar("_Row")

# Anything past a bigint is not an order id; say 404 before the database is asked.
MAX_ID = 2**63 - 1
REFUSED_PREFIX = "not_allowed_in_"


class OrderPagination(CursorPagination):
    """Orders grow with the city (2 million): a cursor never counts or offsets."""

    ordering = "-id"
    page_size = 20


@extend_schema_field(OpenApiTypes.INT)
class CenterFilter(django_filters.ModelChoiceFilter):
    """A center id; the rows it narrows are already the reader's own."""


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Order.Kind.choices)
    center = CenterFilter(
        queryset=Center.objects.all(),
        method="filter_center",
        error_messages={"invalid_choice": gettext_lazy("阵地不存在。")},
        label=gettext_lazy("阵地：只列出该阵地（含下级）的订单"),
    )

    class Meta:
        model = Order
        fields = ["status", "kind", "center"]

    def filter_center(
        self, queryset: QuerySet[Order], name: str, center: Center
    ) -> QuerySet[Order]:
        # The copied county and township columns are indexed with -id: a county's newest
        # orders are one index range even at city scale.
        if center.level == Level.CITY:
            return queryset.filter(county__parent=center)
        if center.level == Level.COUNTY:
            return queryset.filter(county=center)
        if center.level == Level.TOWNSHIP:
            return queryset.filter(township=center)
        return queryset.filter(
            center__tree_id=center.tree_id,
            center__lft__gte=center.lft,
            center__rght__lte=center.rght,
        )


def _is_cadre(user: User) -> bool:
    return bool(user.is_superuser or is_cadre(user))


def _refused(order: Order, to: str) -> IllegalTransition:
    """The 409 the state machine gives, for a step refused before reaching it (a volunteer
    offered the order asking to start it before accepting)."""
    label = order.get_status_display()
    return IllegalTransition(
        _("订单当前状态为“%(status)s”，不能%(action)s。")
        % {"status": label, "action": ACTION_NAMES[to]},
        code=OrderErrorCode(f"{REFUSED_PREFIX}{order.status}"),
    )


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders (群众点单、中心派单、志愿者接单、群众评单): residents their own, volunteers
    those offered to them or held by them, cadres their subtree's."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    pagination_class = OrderPagination
    # Ids are numbers: anything else is absent (404), never a failed lookup (500).
    lookup_value_regex = r"\d+"
    # IsAuthenticated lets only accounts past the permission check, before any handler.
    request: AuthenticatedRequest

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Order.objects.none()
        return orders_for(self.request.user).select_related("service", "center")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return OrderSerializer
        return OrderDetailSerializer

    def filter_queryset(self, queryset: QuerySet[Order, _Row]) -> QuerySet[Order, _Row]:
        # The filters narrow the list only; a stray ?status= on a detail URL changes nothing.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, IllegalTransition) and isinstance(response.data, dict):
            # The contract: a 409 says which state the order is in, for clients to act on.
            response.data["status"] = exc.code.removeprefix(REFUSED_PREFIX)
        return response

    # --- reading ------------------------------------------------------------------------

    def _visible(self, pk: str, *, offered: bool = False) -> Order:
        """The order if the reader may see it, else 404. ``offered`` also finds the orders
        once offered to the reader or their team and taken by someone else since."""
        order_id = int(pk)
        visible = orders_for(self.request.user)
        if offered:
            visible = visible | orders_offered_to(self.request.user)
        order = visible.filter(pk=order_id).first() if order_id <= MAX_ID else None
        if order is None:
            raise NotFound(_("订单不存在或不在您的管辖范围内。"))
        return order

    def _detail(self, queryset: QuerySet[Order], order_id: int) -> dict[str, Any]:
        # The contact policy rides along as a column (orders.selectors): the same answer
        # the order page and the task list give, at no extra query.
        order = (
            with_contact_visibility(queryset, self.request.user)
            .select_related("service", "center", "resident", "donor")
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=OrderEvent.objects.select_related("actor").order_by("at", "id"),
                )
            )
            .get(pk=order_id)
        )
        return OrderDetailSerializer(order, context=self.get_serializer_context()).data

    def _after(self, order: Order) -> Response:
        # The service has just let this reader act on the order; show it as it is now,
        # even where the step moved it out of what the reader lists (a declined offer).
        return Response(self._detail(Order.objects.all(), order.pk))

    @extend_schema(responses=OrderDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order_id = int(kwargs["pk"])
        try:
            # One read through the reader's scope: absent and out of sight look the same.
            if order_id > MAX_ID:
                raise Order.DoesNotExist
            return Response(self._detail(orders_for(self.request.user), order_id))
        except Order.DoesNotExist:
            raise NotFound(_("订单不存在或不在您的管辖范围内。")) from None

    # --- placing ------------------------------------------------------------------------

    @extend_schema(
        request=OrderPlaceSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=gettext_lazy(
                    "幂等键（可选，最长 255 个可见 ASCII 字符，建议用 UUID）：同一用户以同一键"
                    "重发同样的请求，得到第一次的 201 和同样的内容，不会重复下单；同一键配不同"
                    "的请求内容答 422；同一键的两个请求同时到达时，后一个等前一个完成后得到"
                    "同样的答复。键保留 24 小时。"
                ),
            )
        ],
        responses={
            201: OrderDetailSerializer,
            200: OpenApiResponse(
                OrderDetailSerializer,
                description=gettext_lazy(
                    "未带幂等键时，同一居民在短时间内（默认 120 秒）在同一村（社区）再次点"
                    "同一服务项目：不新建订单，答复刚才已下的那一单。"
                ),
            ),
            422: OpenApiResponse(
                ERROR_SCHEMA, description=gettext_lazy("该幂等键已用于另一个不同的请求")
            ),
        },
        summary=gettext_lazy("群众点单"),
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        key = idempotency_key_from_header(request.headers.get(IDEMPOTENCY_HEADER))
        if key is None:
            status_code, body = self._place(request)
            return Response(body, status=status_code)
        answer = idempotent(
            user=request.user,
            key=key,
            request_hash=fingerprint("orders.create", request.data),
            produce=lambda: self._place(request),
        )
        return Response(answer.body, status=answer.status)

    def _place(self, request: AuthenticatedRequest) -> tuple[int, dict[str, Any]]:
        incoming = OrderPlaceSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        order = order_place(
            resident=request.user,
            service=data["service"],
            center=data["center"],
            title=data["title"],
            description=data["description"],
            address=data["address"],
            contact_phone=data["contact_phone"],
            preferred_start=data["preferred_start"],
            preferred_end=data["preferred_end"],
            kind=data["kind"],
        )
        # An order found by the dedupe window was not created now: 200, with the order.
        status_code = status.HTTP_200_OK if order.placed_before else status.HTTP_201_CREATED
        # Through JSON and back, so a stored answer is replayed exactly as first given.
        body = json.loads(JSONRenderer().render(self._detail(Order.objects.all(), order.pk)))
        return status_code, body

    # --- the cadres' steps --------------------------------------------------------------

    def _require_cadre(self, message: str) -> None:
        if not _is_cadre(self.request.user):
            raise PermissionDenied(message)

    @extend_schema(
        request=OrderDispatchSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("中心派单：派给一名志愿者或一支队伍"),
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_order(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        self._require_cadre(_("只有管辖该订单的实践中心（所、站）管理人员可以派单。"))
        incoming = OrderDispatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        target = incoming.validated_data
        try:
            order = order_dispatch(
                actor=request.user,
                order_id=order.pk,
                volunteer=target["volunteer"],
                team=target["team"],
            )
        except NotInScope as exc:
            # The order is in scope (checked above); what is not is the chosen volunteer or
            # team, which is a matter of what was sent: 400 on that field, same words as an
            # id that exists nowhere.
            if exc.code == "volunteer_not_in_scope":
                raise serializers.ValidationError({"volunteer": [exc.message]}) from exc
            if exc.code == "team_not_in_scope":
                raise serializers.ValidationError({"team": [exc.message]}) from exc
            raise
        return self._after(order)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("驳回订单（须说明原因）"),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        self._require_cadre(_("只有管辖该订单的实践中心（所、站）管理人员可以驳回订单。"))
        incoming = ReasonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = order_reject(
            actor=request.user, order_id=order.pk, reason=incoming.validated_data["reason"]
        )
        return self._after(order)

    # --- the volunteers' steps ----------------------------------------------------------

    def _offered_or_held(self, order: Order) -> tuple[Volunteer, bool, bool]:
        """The reader's volunteer profile, whether the order is offered to them (by name or
        through a team they are in) and whether they hold it; 403 if they are none of it."""
        volunteer = volunteer_of(self.request.user)
        if volunteer is None:
            raise PermissionDenied(_("只有志愿者可以进行此操作。"))
        offered = order_offered_to(volunteer, order)
        held = order.accepted_by_id == volunteer.pk
        if not (offered or held):
            raise PermissionDenied(_("该订单没有派给您。"))
        return volunteer, offered, held

    @extend_schema(
        request=None, responses={200: OrderDetailSerializer}, summary=gettext_lazy("志愿者接单")
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk, offered=True)
        volunteer, _offered, _held = self._offered_or_held(order)
        # First accept wins (a conditional UPDATE in the state machine); the others get 409
        # naming the state, "已接单".
        return self._after(order_accept(volunteer=volunteer, order_id=order.pk))

    @extend_schema(
        request=ReasonSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("志愿者谢绝派单（须说明原因），订单退回重新派单"),
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        volunteer, _offered, held = self._offered_or_held(order)
        if order.dispatched_volunteer_id != volunteer.pk and not held:
            # A team's pool is not declined: the members who want it accept, the rest leave it.
            raise PermissionDenied(_("派给队伍的订单无需谢绝，由队员自愿接单。"))
        incoming = ReasonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = order_decline(
            volunteer=volunteer, order_id=order.pk, reason=incoming.validated_data["reason"]
        )
        return self._after(order)

    def _holder(self, order: Order, to: str) -> Volunteer:
        volunteer, _offered, held = self._offered_or_held(order)
        if not held:
            # Offered but not yet accepted: the step is right, the moment is not.
            raise _refused(order, to)
        return volunteer

    @extend_schema(
        request=None, responses={200: OrderDetailSerializer}, summary=gettext_lazy("签到：开始服务")
    )
    @action(detail=True, methods=["post"])
    def start(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        volunteer = self._holder(order, S.IN_SERVICE)
        return self._after(order_start(volunteer=volunteer, order_id=order.pk))

    @extend_schema(
        request=OrderCompleteSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("签退：完成服务，填写服务小结"),
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        volunteer = self._holder(order, S.COMPLETED)
        incoming = OrderCompleteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = order_complete(
            volunteer=volunteer,
            order_id=order.pk,
            summary=incoming.validated_data["summary"],
            hours=incoming.validated_data["hours"],
            proof_code=incoming.validated_data["proof_code"],
        )
        return self._after(order)

    # --- the resident's steps -----------------------------------------------------------

    def _require_resident(self, order: Order, message: str) -> None:
        if order.resident_id != self.request.user.pk:
            raise PermissionDenied(message)

    @extend_schema(
        request=OrderRateSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("群众评单：1 到 5 分，可附评价"),
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        self._require_resident(order, _("只有下单的群众可以评价。"))
        incoming = OrderRateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = order_rate(
            resident=request.user,
            order_id=order.pk,
            score=incoming.validated_data["score"],
            comment=incoming.validated_data["comment"],
        )
        return self._after(order)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("群众取消订单（服务开始前）"),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        self._require_resident(order, _("只有下单的群众可以取消订单。"))
        incoming = ReasonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = order_cancel(
            resident=request.user, order_id=order.pk, reason=incoming.validated_data["reason"]
        )
        return self._after(order)

    @extend_schema(
        request=None,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("群众确认服务已完成（志愿者时长待群众确认时计入）"),
    )
    @action(detail=True, methods=["post"], url_path="confirm-service", url_name="confirm-service")
    def confirm_service(self, request: AuthenticatedRequest, pk: str) -> Response:
        # As on the order page: a confirmation with nothing waiting for it changes nothing
        # and answers the order as it is, so the app may send it again safely.
        order = self._visible(pk)
        self._require_resident(order, _("只有下单的群众可以确认服务。"))
        order_service_confirm(resident=request.user, order_id=order.pk)
        return self._after(order)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("群众反映服务未发生：时长暂不计入，由干部核实"),
    )
    @action(detail=True, methods=["post"], url_path="dispute-service", url_name="dispute-service")
    def dispute_service(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        self._require_resident(order, _("只有下单的群众可以反映服务情况。"))
        incoming = ReasonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order_service_dispute(
            resident=request.user, order_id=order.pk, reason=incoming.validated_data["reason"]
        )
        return self._after(order)

    # --- micro-wishes (微心愿): any signed-in user but the resident may claim -----------

    @extend_schema(
        request=None,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("认领微心愿（任何登录用户，发布者本人除外）"),
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: AuthenticatedRequest, pk: str) -> Response:
        # Not through _visible: an open wish is on the wall for everyone, outside any scope.
        # The service answers 404 for what is no wish of theirs to see, 409 with the state
        # for a wish someone claimed first.
        if int(pk) > MAX_ID:
            raise NotFound(_("订单不存在或不在您的管辖范围内。"))
        try:
            order = wish_claim(donor=request.user, order_id=int(pk))
        except DomainError as exc:
            if exc.code == "own_wish":
                raise PermissionDenied(exc.message) from exc
            raise
        return self._after(order)

    @extend_schema(
        request=None,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("确认微心愿认领（发布者本人或管辖该心愿的管理人员）"),
    )
    @action(detail=True, methods=["post"], url_path="confirm-claim", url_name="confirm-claim")
    def confirm_claim(self, request: AuthenticatedRequest, pk: str) -> Response:
        # The service answers 404 for anyone who is neither the poster nor a cadre in
        # scope, 409 with the state for a wish with no claim waiting.
        if int(pk) > MAX_ID:
            raise NotFound(_("订单不存在或不在您的管辖范围内。"))
        order = wish_claim_confirm(actor=request.user, order_id=int(pk))
        return self._after(order)

    @extend_schema(
        request=WishFulfilSerializer,
        responses={200: OrderDetailSerializer},
        summary=gettext_lazy("认领人标记微心愿已实现（可附说明）"),
    )
    @action(detail=True, methods=["post"])
    def fulfil(self, request: AuthenticatedRequest, pk: str) -> Response:
        order = self._visible(pk)
        if order.donor_id != request.user.pk:
            raise PermissionDenied(_("只有认领该微心愿的人可以标记为已实现。"))
        incoming = WishFulfilSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = wish_fulfil(
            donor=request.user, order_id=order.pk, note=incoming.validated_data["note"]
        )
        return self._after(order)
