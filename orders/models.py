from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from accounts.phones import validate_contact_number
from core.models import StatusEvent, TimeStampedModel
from practice.models import Center, Service
from practice.scoping import AncestorColumns
from volunteers.models import Team, Volunteer

# The statuses an order leaves sooner or later: a few among millions of finished orders.
OPEN_STATUSES = ("placed", "dispatched", "accepted", "in_service")
# The statuses the lists' status filter reads a (scope, status, -id) index for: every one
# but rated, which is three orders in four, so that the scope's own (scope, -id) index finds
# a page or a capped count of it in a short walk. Rejected (4%) or cancelled (9%) are not:
# the capped count of a county's rejected orders read 375,000 rows without their index.
STATUS_INDEXED = (*OPEN_STATUSES, "completed", "cancelled", "rejected")
# The last digits of a contact number a cadre searches by (尾号).
PHONE_TAIL_LENGTH = 4


class Order(TimeStampedModel):
    """A service ordered by a resident (群众点单) or a micro-wish (微心愿), from placing to
    rating. Its status changes only through orders.workflow."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("服务点单")
        WISH = "wish", _("微心愿")

    class Status(models.TextChoices):
        PLACED = "placed", _("待派单")
        DISPATCHED = "dispatched", _("已派单")
        ACCEPTED = "accepted", _("已接单")
        IN_SERVICE = "in_service", _("服务中")
        COMPLETED = "completed", _("已完成")
        RATED = "rated", _("已评价")
        CANCELLED = "cancelled", _("已取消")
        REJECTED = "rejected", _("已驳回")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    service = models.ForeignKey(
        Service, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="orders"
    )
    # No index of their own for these four: the (column, -id) indexes in Meta lead with
    # them, and every status change would otherwise update four more indexes.
    center = models.ForeignKey(
        Center,
        verbose_name=_("村（社区）"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    township = models.ForeignKey(
        Center,
        verbose_name=_("乡镇（街道）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    county = models.ForeignKey(
        Center,
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下单群众"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("需求描述"), max_length=1000, blank=True)
    address = models.CharField(_("服务地址"), max_length=200)
    # A mobile or a landline, as orders.rules.clean_contact_number keeps it.
    contact_phone = models.CharField(
        _("联系电话"), max_length=20, validators=[validate_contact_number]
    )
    preferred_start = models.DateTimeField(_("期望开始时间"), null=True, blank=True)
    preferred_end = models.DateTimeField(_("期望结束时间"), null=True, blank=True)
    # Not indexed alone: eight values over millions of rows; the queues that look for one
    # status (placed, dispatched, open wishes) have partial indexes in Meta.
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PLACED
    )
    dispatched_volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("派给志愿者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offered_orders",
    )
    dispatched_team = models.ForeignKey(
        Team,
        verbose_name=_("派给队伍"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offered_orders",
    )
    accept_deadline = models.DateTimeField(_("接单截止"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        Volunteer,
        verbose_name=_("接单志愿者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accepted_orders",
    )
    # A micro-wish can be claimed by anyone signed in, volunteer or not (微心愿认领): the
    # donor holds it instead of a volunteer, and accepted_at is when they claimed it.
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认领人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donated_wishes",
    )
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    # A donor's claim is pending until the poster or a cadre in scope confirms it
    # (orders.services.wish_claim_confirm): until then the donor reads no name, phone or
    # address, so claiming wishes in a row harvests nothing.
    donor_confirmed_at = models.DateTimeField(
        _("认领确认时间"), null=True, blank=True, editable=False
    )
    started_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    # Wrong entries of the resident's proof code at check-out (orders.proof): at
    # PROOF_MAX_FAILURES the code is void and the hours go to a cadre.
    proof_failures = models.PositiveSmallIntegerField(
        _("核验码错误次数"), default=0, editable=False
    )
    completed_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    hours = models.DecimalField(
        _("服务时长"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    summary = models.TextField(_("服务小结"), max_length=1000, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("评分"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("评价"), max_length=500, blank=True)
    flagged_at = models.DateTimeField(_("无人可派时间"), null=True, blank=True)
    # Null from the moment an order is flagged until its township's and county's cadres have
    # been told (orders.notifications.notify_pending): the flag's own outbox, as the event
    # rows are the transitions'.
    flag_told_at = models.DateTimeField(
        _("无人可派通知时间"), null=True, blank=True, editable=False
    )
    # The moment whose weekly slot the dispatcher last found nobody in. A flagged order is
    # tried again once a later slot has begun (orders.dispatch.sweep), not every minute.
    dispatch_tried_at = models.DateTimeField(
        _("上次自动派单时间"), null=True, blank=True, editable=False
    )
    # Not a column: on the order that orders.services.order_place returns, whether it is one
    # the resident had placed already (found again, not created).
    placed_before: bool

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center"
    )

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        indexes = [
            models.Index(fields=["county", "-id"], name="order_county_newest"),
            models.Index(fields=["township", "-id"], name="order_township_newest"),
            models.Index(fields=["center", "-id"], name="order_village_newest"),
            models.Index(fields=["resident", "-id"], name="order_resident_newest"),
            # "accept_deadline not null" is implied by the sweep's "deadline < now".
            models.Index(
                fields=["accept_deadline"],
                condition=models.Q(status="dispatched", accept_deadline__isnull=False),
                name="order_dispatched_deadline",
            ),
            # Offers waiting for an answer, by whom they wait on: a volunteer's load in the
            # dispatch ranking, and a team's pool for 抢单. Over only the open offers, not
            # every order the volunteer or team was ever sent.
            # Each predicate names its own column (implied by "= v.id" / "IN (teams)") so
            # that, with three partial indexes over the open offers, the planner cannot
            # take one for another's query while statistics still say "hardly any".
            models.Index(
                fields=["dispatched_volunteer"],
                condition=models.Q(status="dispatched", dispatched_volunteer__isnull=False),
                name="order_offered_to_volunteer",
            ),
            models.Index(
                fields=["dispatched_team", "id"],
                condition=models.Q(status="dispatched", dispatched_team__isnull=False),
                name="order_offered_to_team",
            ),
            # The sweep's two queues, disjoint: placed orders not yet flagged, oldest first,
            # and flagged ones, least recently tried first. Each is one bounded index range.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="placed", flagged_at__isnull=True),
                name="order_placed_unflagged",
            ),
            models.Index(
                fields=["dispatch_tried_at"],
                condition=models.Q(status="placed", flagged_at__isnull=False),
                name="order_flagged_retry",
            ),
            # Flags the cadres have not been told of yet: none, most of the time.
            models.Index(
                fields=["id"],
                condition=models.Q(flagged_at__isnull=False, flag_told_at__isnull=True),
                name="order_flag_untold",
            ),
            # The wish wall: open wishes newest first, a few among millions of orders.
            models.Index(
                fields=["-id"],
                condition=models.Q(kind="wish", status__in=["placed", "dispatched"]),
                name="order_open_wishes",
            ),
            # The lists filtered to wishes (one order in ten), newest first, at each tier
            # and the whole city: a page or a capped count in as many rows as it shows.
            models.Index(fields=["-id"], condition=models.Q(kind="wish"), name="order_wishes"),
            models.Index(
                fields=["county", "-id"],
                condition=models.Q(kind="wish"),
                name="order_county_wishes",
            ),
            models.Index(
                fields=["township", "-id"],
                condition=models.Q(kind="wish"),
                name="order_township_wishes",
            ),
            models.Index(
                fields=["center", "-id"],
                condition=models.Q(kind="wish"),
                name="order_village_wishes",
            ),
            # The lists filtered by a status, newest first, at each tier of the scope (and
            # the whole city): the status beside the scope column, over the orders of every
            # status but rated (STATUS_INDEXED).
            models.Index(
                fields=["status", "-id"],
                condition=models.Q(status__in=STATUS_INDEXED),
                name="order_status_newest",
            ),
            models.Index(
                fields=["county", "status", "-id"],
                condition=models.Q(status__in=STATUS_INDEXED),
                name="order_county_status",
            ),
            models.Index(
                fields=["township", "status", "-id"],
                condition=models.Q(status__in=STATUS_INDEXED),
                name="order_township_status",
            ),
            models.Index(
                fields=["center", "status", "-id"],
                condition=models.Q(status__in=STATUS_INDEXED),
                name="order_village_status",
            ),
            # The admin's searches (orders.admin): a title by its beginning (LIKE 'x%'
            # reads this index; a substring cannot use any), a contact number in full,
            # and its last four digits (尾号).
            models.Index(
                fields=["title"], name="order_title_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["contact_phone"], name="order_contact_phone"),
            models.Index(
                Right("contact_phone", PHONE_TAIL_LENGTH), name="order_contact_phone_tail"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="order_rating_1_to_5",
                violation_error_message=_("评分应为 1 到 5 分。"),
            ),
            models.CheckConstraint(
                # No order is ever held without a holder: a volunteer, or a wish's donor.
                condition=~models.Q(status__in=["accepted", "in_service", "completed", "rated"])
                | models.Q(accepted_by__isnull=False)
                | models.Q(donor__isnull=False),
                name="order_held_has_holder",
            ),
            models.CheckConstraint(
                # Nor by two: a volunteer who accepted it or a donor who claimed it, not both.
                condition=models.Q(accepted_by__isnull=True) | models.Q(donor__isnull=True),
                name="order_one_holder",
            ),
            models.CheckConstraint(
                condition=models.Q(donor__isnull=True) | models.Q(kind="wish"),
                name="order_donor_only_on_wishes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    # Django's generated get_status_display, in wish words for a micro-wish: templates, the
    # API's status_name and the admin all read this one. (Django lets a model override the
    # generated method; django-stubs' plugin declares it first, hence the ignore.)
    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return status_label(
            self.status, wish=self.kind == self.Kind.WISH, donated=self.donor_id is not None
        )


# A micro-wish waits to be claimed, not dispatched, and a donor claims and fulfils it: what a
# person reads of a wish's status says so. The codes stay (the API contract fixes them);
# a wish taken by a volunteer the ordinary way keeps the order words once offered.
WISH_STATUS_LABELS = {Order.Status.PLACED: _("待认领")}
DONATION_STATUS_LABELS = {
    Order.Status.ACCEPTED: _("已认领"),
    Order.Status.COMPLETED: _("已实现"),
}


def status_label(status: str, *, wish: bool, donated: bool = False) -> str:
    """The words for ``status`` of an order, of a wish, or of a wish a donor holds."""
    if wish:
        if donated and status in DONATION_STATUS_LABELS:
            return str(DONATION_STATUS_LABELS[Order.Status(status)])
        if status in WISH_STATUS_LABELS:
            return str(WISH_STATUS_LABELS[Order.Status(status)])
    return str(Order.Status(status).label)


class OrderEvent(StatusEvent):
    """One transition of one order: who, when, from which state to which, and why."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=Order.Status.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=Order.Status.choices)
    # Null until the people the event concerns have been told (orders.notifications.
    # notify_pending). The event row is the outbox: it is written in the transaction of the
    # change it records, so a broker that is down, or a worker that dies, delays the telling
    # and loses nothing.
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True, editable=False)

    class Meta(StatusEvent.Meta):
        verbose_name = _("订单记录")
        verbose_name_plural = _("订单记录")
        indexes = [
            models.Index(fields=["order", "at"], name="order_event_timeline"),
            # The outbox's queue: the few events not told yet, in order, among millions.
            models.Index(
                fields=["id"],
                condition=models.Q(notified_at__isnull=True),
                name="order_event_untold",
            ),
        ]

    def __str__(self) -> str:
        # Shown above each row of the admin's timeline: the labels a cadre reads, not codes.
        before = self.get_from_status_display() if self.from_status else "-"
        return f"#{self.order_id}：{before} → {self.get_to_status_display()}"

    # In the order's words (a wish's in wish words). Read through order.events the order is
    # the one already loaded; elsewhere select_related("order").
    def _label(self, status: str) -> str:
        order = self.order
        return status_label(
            status, wish=order.kind == Order.Kind.WISH, donated=order.donor_id is not None
        )

    # Overrides of the generated methods, which django-stubs' plugin declares first.
    def get_from_status_display(self) -> str:  # type: ignore[no-redef]
        return self._label(self.from_status) if self.from_status else ""

    def get_to_status_display(self) -> str:  # type: ignore[no-redef]
        return self._label(self.to_status)


class OrderRefusal(models.Model):
    """A volunteer who declined an order, or let the offer lapse: re-dispatch skips them."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refusals")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    expired = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Named for the superuser's permission list, the one place a person reads it.
        verbose_name = _("谢绝记录")
        verbose_name_plural = _("谢绝记录")
        constraints = [
            models.UniqueConstraint(fields=["order", "volunteer"], name="one_refusal_per_offer")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.volunteer_id} {'expired' if self.expired else 'declined'}"
