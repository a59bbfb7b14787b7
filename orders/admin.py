"""The cadre admin over orders: the subtree's orders, their timeline, and two actions.

Orders are placed by residents and move only through the services, so the admin adds,
edits and deletes nothing: every field is read-only, and the two actions (reject with a
reason, run the automatic dispatcher) call the services, which refuse what the state does
not allow; a refusal is a message on the list, never a server error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.phones import mask_phone
from core.admin_actions import reject_with_reason
from core.errors import DomainError
from core.paginators import CappedCountAdminMixin
from orders.dispatch import orders_auto_dispatch_now
from orders.models import Order, OrderEvent
from orders.selectors import search_orders, with_contact_visibility
from orders.serializers import mask_address
from orders.services import order_reject
from practice.admin_scoping import ReadOnlyScopedAdmin, admin_actor

S = Order.Status

ORDER_FIELDS = [
    "kind",
    "service",
    "center",
    "township",
    "county",
    "resident_name",
    "title",
    "description",
    "contact_address",
    "contact_phone_shown",
    "preferred_start",
    "preferred_end",
    "status",
    "dispatched_volunteer",
    "dispatched_team",
    "accept_deadline",
    "accepted_by",
    "donor_name",
    "accepted_at",
    "started_at",
    "completed_at",
    "hours",
    "summary",
    "rating",
    "rating_comment",
    "flagged_at",
    "created_at",
    "updated_at",
]


class FlaggedFilter(admin.SimpleListFilter):
    """Orders the dispatcher found nobody for, up to the county: the county's to-do list."""

    title = _("无人可派")
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("是")), ("no", _("否"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() == "yes":
            # Waiting orders only: a flag on an order since cancelled or rejected is no
            # to-do, and "placed" is what the open-status index beside the scope serves.
            return queryset.filter(status=S.PLACED, flagged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(flagged_at__isnull=True)
        return queryset


class OrderEventInline(admin.TabularInline):
    """The order's timeline: written by orders.workflow only, shown as it is."""

    model = OrderEvent
    fields = readonly_fields = ("at", "from_shown", "to_shown", "actor_name", "reason")
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["at", "id"]
    verbose_name = _("订单记录")
    verbose_name_plural = _("订单时间线")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        # The order for its statuses' words (a wish's are its own).
        return super().get_queryset(request).select_related("actor", "order")

    @admin.display(description=_("原状态"))
    def from_shown(self, event: OrderEvent) -> str:
        return event.get_from_status_display() or "-"

    @admin.display(description=_("新状态"))
    def to_shown(self, event: OrderEvent) -> str:
        return event.get_to_status_display()

    @admin.display(description=_("操作人"))
    def actor_name(self, event: OrderEvent) -> str:
        # A name, not a link: the actor may be a resident, a volunteer or a cadre above the
        # viewer; None is the automatic dispatcher or the sweep.
        actor = event.actor
        return actor.name if actor is not None else gettext("系统")

    # The parent admin has already narrowed the order to the cadre's subtree; the cadre
    # holds no Django model permissions, so the inline answers from the site's rule.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _label(order: Order) -> str:
    return f"#{order.pk} {order.title}"


@admin.register(Order)
class OrderAdmin(CappedCountAdminMixin, ReadOnlyScopedAdmin):
    # Read-only: residents place orders, status moves only through the services (the
    # actions below), and an order is history, never deleted; the change page only shows.
    # Order copies its village's township and county (scope_ancestors), so this scope is
    # a filter on indexed columns of the order itself.
    scope_via = "center"
    list_display = [
        "id",
        "title",
        "service",
        "center",
        "status_shown",
        "created_at",
        "accepted_by",
        "flagged",
    ]
    list_display_links = ["id", "title"]
    # Each filter is served by an index with the scope column (orders.models): the open
    # statuses by partial indexes, the finished ones (most of the table), a kind and the
    # flag by a short walk of the (scope, -id) index. No facet counts: each would be a
    # COUNT over the whole subtree.
    list_filter = ["status", "kind", FlaggedFilter]
    show_facets = admin.ShowFacets.NEVER
    list_select_related = ["service", "center", "accepted_by"]
    # Searched by orders.selectors.search_orders (get_search_results below): a title by its
    # beginning, a contact number in full or by its last four digits, each through an index.
    search_fields = ["title"]
    search_help_text = _("按标题开头、完整联系电话或电话尾号（4 位）搜索")
    ordering = ["-id"]
    # Newest first or oldest first, by the one column every scope index ends with; a sort
    # by any other column would read the whole subtree to order it.
    sortable_by = ["id"]
    actions = ["reject_orders", "auto_dispatch_orders"]
    inlines = [OrderEventInline]
    fieldsets = [
        (
            _("订单"),
            {
                "fields": [
                    "kind",
                    "service",
                    "center",
                    "township",
                    "county",
                    "resident_name",
                    "title",
                    "description",
                    "contact_address",
                    "contact_phone_shown",
                    "preferred_start",
                    "preferred_end",
                ]
            },
        ),
        (
            _("派单与服务"),
            {
                "fields": [
                    "status_shown",
                    "flagged_at",
                    "dispatched_volunteer",
                    "dispatched_team",
                    "accept_deadline",
                    "accepted_by",
                    "donor_name",
                    "accepted_at",
                    "started_at",
                    "completed_at",
                    "hours",
                    "summary",
                ]
            },
        ),
        (_("评价"), {"fields": ["rating", "rating_comment"]}),
        (_("记录"), {"fields": ["created_at", "updated_at"]}),
    ]
    readonly_fields = [*ORDER_FIELDS, "status_shown"]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Order | None = None,
    ) -> HttpResponse:
        # An order waiting for a volunteer is dispatched on the workbench, which ranks the
        # candidates: the admin page leads there instead of being a dead end.
        if obj is not None and obj.status == Order.Status.PLACED:
            context["dispatch_url"] = reverse("orders:dispatch", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        return search_orders(queryset, search_term), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        # The contact policy (orders.selectors) decides here as on the page and the API;
        # every order the admin shows is in the cadre's scope, so it says yes, but it is
        # the one rule, not a second one.
        return with_contact_visibility(super().get_queryset(request), request.user)

    @admin.display(description=_("服务地址"))
    def contact_address(self, order: Order) -> str:
        if getattr(order, "contact_visible", False):
            return order.address
        return mask_address(order.address)

    @admin.display(description=_("联系电话"))
    def contact_phone_shown(self, order: Order) -> str:
        if getattr(order, "contact_visible", False):
            return order.contact_phone
        return mask_phone(order.contact_phone)

    # The status in the order's words: a wish waiting for a donor is 待认领, not 待派单.
    # No ordering: the list sorts by id only, the one order an index serves at every tier.
    @admin.display(description=_("状态"))
    def status_shown(self, order: Order) -> str:
        return order.get_status_display()

    @admin.display(description=_("无人可派"), boolean=True)
    def flagged(self, order: Order) -> bool:
        return order.flagged_at is not None

    @admin.display(description=_("下单群众"))
    def resident_name(self, order: Order) -> str:
        return order.resident.name

    @admin.display(description=_("认领人（微心愿）"))
    def donor_name(self, order: Order) -> str:
        # A name, not a link: the donor is any signed-in person, often outside the subtree.
        donor = order.donor
        return donor.name if donor is not None else "-"

    # --- reject ------------------------------------------------------------------------

    @admin.action(description=_("驳回所选订单"))
    def reject_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """First an intermediate page asking for the reason, then the rejection."""
        orders = list(queryset.order_by("pk"))

        def reject(reason: str) -> None:
            done = 0
            for order in orders:
                try:
                    order_reject(actor=admin_actor(request), order_id=order.pk, reason=reason)
                except DomainError as exc:
                    self._refused(request, order, exc.message)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    gettext("已驳回 %(count)d 张订单。") % {"count": done},
                    messages.SUCCESS,
                )

        return reject_with_reason(
            self,
            request,
            reject=reject,
            rows=(
                (order.pk, f"{_label(order)}（{order.center}，{order.get_status_display()}）")
                for order in orders
            ),
            action_name="reject_orders",
            title=_("驳回订单"),
            intro=_("将驳回以下订单："),
            reason_help=_("驳回原因会告知下单群众，不超过 200 字。"),
        )

    # --- automatic dispatch ------------------------------------------------------------

    @admin.action(description=_("自动派单"))
    def auto_dispatch_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        """Run the automatic dispatcher now for the selected orders (a cadre need not wait
        for the sweep): orders.dispatch.orders_auto_dispatch_now does it and names the cadre;
        this reports which were offered, flagged or left."""
        try:
            run = orders_auto_dispatch_now(
                actor=admin_actor(request), order_ids=list(queryset.values_list("pk", flat=True))
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        for order, message in run.refused:
            self._refused(request, order, message)
        if run.dispatched:
            self.message_user(
                request,
                gettext("已自动派出 %(count)d 张订单。") % {"count": len(run.dispatched)},
                messages.SUCCESS,
            )
        if run.flagged:
            self.message_user(
                request,
                gettext("以下订单在本县（区）内没有合适的志愿者，已标记为无人可派：%(orders)s")
                % {"orders": "、".join(_label(order) for order in run.flagged)},
                messages.WARNING,
            )

    def _refused(self, request: HttpRequest, order: Order, message: str) -> None:
        self.message_user(
            request,
            gettext("%(order)s：%(message)s") % {"order": _label(order), "message": message},
            messages.ERROR,
        )
