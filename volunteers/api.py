"""The REST API for volunteers and teams: a thin layer over the services and selectors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import django_filters
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts.http import AuthenticatedRequest
from accounts.search import PersonSearch
from core.errors import DomainError
from core.http import client_address
from practice.models import Center, Level
from practice.scoping import is_cadre, visible_centers
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.selectors import (
    can_manage_members,
    current_members,
    open_member_count,
    open_member_counts,
    teams_visible_to,
    volunteers_in_scope,
)
from volunteers.serializers import (
    RevealedIdNumberSerializer,
    TeamDetailSerializer,
    TeamMemberAddSerializer,
    TeamMemberSerializer,
    TeamSerializer,
    VolunteerApplySerializer,
    VolunteerRejectSerializer,
    VolunteerSerializer,
)
from volunteers.services import (
    team_member_add,
    team_member_remove,
    volunteer_apply,
    volunteer_approve,
    volunteer_reject,
    volunteer_reveal_id_number,
)

# What a queryset yields (rows or values), as the stubs' filter_queryset keeps it.
_Row = TypeVar("_Row")


class IsCadre(BasePermission):
    """Signed in and holding a role at some center (or a superuser). Which rows such a user
    reaches is still decided by the scoping selectors; this only turns plain residents and
    volunteers away with a 403 instead of an empty answer."""

    message = _("只有实践中心（所、站）的管理人员可以进行此操作。")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_superuser or is_cadre(user))


class VolunteerPagination(CursorPagination):
    """Volunteers grow with the city (1.44 million): a cursor never counts or offsets."""

    ordering = "-id"
    page_size = 20


class TeamPagination(PageNumberPagination):
    """Pages of teams by number, without a count: the contract gives ``count`` to the
    reference lists (centers, services) only, and counting the city's 5,000 teams through
    the scope cost more than its page. A page reads one row past its end to know whether
    another follows; the deepest page offsets a few thousand rows at most."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(
        self, queryset: QuerySet[Any, _Row], request: Request, view: Any = None
    ) -> list[_Row] | None:
        self.request = request
        self.page_request = request
        size = self.get_page_size(request) or self.page_size
        try:
            self.number = int(request.query_params.get(self.page_query_param, 1))
        except ValueError:
            raise NotFound(self.invalid_page_message) from None
        if self.number < 1:
            raise NotFound(self.invalid_page_message)
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        if not rows and self.number > 1:
            raise NotFound(self.invalid_page_message)
        self.has_next = len(rows) > size
        return rows[:size]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.page_request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number == 1:
            return None
        url = self.page_request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        shape = super().get_paginated_response_schema(schema)
        shape["properties"].pop("count", None)
        shape["required"] = [name for name in shape.get("required", []) if name != "count"]
        return shape


@extend_schema_field(OpenApiTypes.INT)
class CenterInScopeFilter(django_filters.ModelChoiceFilter):
    """A center id, taken only from the reader's scope (anything else is a 400)."""


def _centers_in_scope(request: HttpRequest | None) -> QuerySet[Center]:
    # The schema generator builds filter forms without a request.
    if request is None:
        return Center.objects.none()
    return visible_centers(request.user)


# The admin's rule: number, 尾号 or the start of the name, each through an index.
VOLUNTEER_SEARCH = PersonSearch(name="real_name", user="user")


class VolunteerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Volunteer.Status.choices)
    center = CenterInScopeFilter(
        queryset=_centers_in_scope,
        method="filter_center",
        error_messages={"invalid_choice": _("阵地不存在或不在您的管辖范围内。")},
        label=_("阵地：只列出家在该阵地（含下级）的志愿者；须在您的管辖范围内"),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=50,
        label=_("按完整手机号、手机尾号（后四位）或姓名开头查找"),
    )

    class Meta:
        model = Volunteer
        fields = ["status", "center", "search"]

    def filter_center(
        self, queryset: QuerySet[Volunteer], name: str, center: Center
    ) -> QuerySet[Volunteer]:
        # The copied county and township columns are indexed with -id, so a county's or
        # township's newest volunteers are one index range even at city scale.
        if center.level == Level.COUNTY:
            return queryset.filter(county=center)
        if center.level == Level.TOWNSHIP:
            return queryset.filter(township=center)
        # A village and the bases under it: their ids first, then the village index range.
        subtree = Center.objects.filter(
            tree_id=center.tree_id, lft__gte=center.lft, rght__lte=center.rght
        )
        return queryset.filter(home_center__in=subtree.values("pk"))

    def filter_search(
        self, queryset: QuerySet[Volunteer], name: str, value: str
    ) -> QuerySet[Volunteer]:
        found, refusal = VOLUNTEER_SEARCH.apply(queryset, value)
        if refusal:
            raise ValidationError({"search": [refusal]})
        return found


def _reviewed(service: Callable[..., Volunteer], **kwargs: Any) -> Volunteer:
    """Run a review service, reporting "in scope but below the township" as forbidden.

    The service says it with a domain error (400 by default); for the API it is a matter
    of who asks, not of what was sent, so 403.
    """
    try:
        return service(**kwargs)
    except DomainError as exc:
        if exc.code == "review_forbidden":
            raise PermissionDenied(exc.message) from exc
        raise


class VolunteerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Volunteers: the cadres' scoped list and review, a volunteer's own profile, applying."""

    serializer_class = VolunteerSerializer
    filterset_class = VolunteerFilter
    pagination_class = VolunteerPagination
    # Ids are numbers: anything else is absent (404), never a failed lookup (500).
    lookup_value_regex = r"\d+"
    # Both permissions below let only accounts past the check, before any handler.
    request: AuthenticatedRequest

    def get_permissions(self) -> list[BasePermission]:
        if self.action in {"retrieve", "apply"}:
            return [IsAuthenticated()]
        return [IsCadre()]

    def get_queryset(self) -> QuerySet[Volunteer]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Volunteer.objects.none()
        user = self.request.user
        visible = volunteers_in_scope(user)
        if self.action == "retrieve":
            # The owner reads their own profile wherever it lies.
            visible = visible | Volunteer.objects.filter(user=user)
        return visible.select_related("user", "home_center").prefetch_related("skills")

    def filter_queryset(self, queryset: QuerySet[Volunteer, _Row]) -> QuerySet[Volunteer, _Row]:
        # The filters narrow the list only; a stray ?status= on a detail URL changes nothing.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self) -> dict[str, Any]:
        # Whoever reaches a profile here is a cadre in scope or its owner: both may see the
        # phone number (can_see_personal_data), so no per-row query is needed to decide.
        return {**super().get_serializer_context(), "phone_in_clear": True}

    def _profile(self, volunteer_id: int) -> dict[str, Any]:
        volunteer = (
            Volunteer.objects.select_related("user", "home_center")
            .prefetch_related("skills")
            .get(pk=volunteer_id)
        )
        return self.get_serializer(volunteer).data

    @extend_schema(
        request=VolunteerApplySerializer,
        responses={201: VolunteerSerializer},
        summary=_("申请成为志愿者"),
    )
    @action(detail=False, methods=["post"])
    def apply(self, request: AuthenticatedRequest) -> Response:
        incoming = VolunteerApplySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        volunteer = volunteer_apply(
            user=request.user,
            real_name=data["real_name"],
            id_number=data["id_number"],
            home_center=data["center"],
            skills=data["skills"],
            platforms=data["platforms"],
            availability=data["availability"],
            is_party_member=data["is_party_member"],
        )
        return Response(self._profile(volunteer.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: VolunteerSerializer}, summary=_("审核通过"))
    @action(detail=True, methods=["post"])
    def approve(self, request: AuthenticatedRequest, pk: str) -> Response:
        volunteer = _reviewed(volunteer_approve, actor=request.user, volunteer_id=int(pk))
        return Response(self._profile(volunteer.pk))

    @extend_schema(
        request=VolunteerRejectSerializer,
        responses={200: VolunteerSerializer},
        summary=_("审核不通过"),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: AuthenticatedRequest, pk: str) -> Response:
        incoming = VolunteerRejectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        volunteer = _reviewed(
            volunteer_reject,
            actor=request.user,
            volunteer_id=int(pk),
            reason=incoming.validated_data["reason"],
        )
        return Response(self._profile(volunteer.pk))

    @extend_schema(
        request=None,
        responses={200: RevealedIdNumberSerializer},
        summary=_("查看完整身份证号码（记入查看记录）"),
    )
    @action(detail=True, methods=["post"], url_path="reveal-id")
    def reveal_id(self, request: AuthenticatedRequest, pk: str) -> Response:
        volunteer = self.get_object()
        id_number = volunteer_reveal_id_number(
            actor=request.user,
            volunteer=volunteer,
            client_address=client_address(request),
        )
        response = Response({"id": volunteer.pk, "id_number": id_number})
        # The number in clear must not linger in a browser or proxy cache.
        response["Cache-Control"] = "no-store"
        return response


class TeamFilter(django_filters.FilterSet):
    center = django_filters.ModelChoiceFilter(
        queryset=Center.objects.all(), label=_("所属阵地（只列出挂在该阵地上的队伍）")
    )
    kind = django_filters.ChoiceFilter(choices=Team.Kind.choices)
    specialty = django_filters.ChoiceFilter(choices=Team.Specialty.choices)

    class Meta:
        model = Team
        fields = ["center", "kind", "specialty"]


def _joinable_volunteers(team: Team) -> QuerySet[Volunteer]:
    """Who may be put in ``team``: the volunteers living under the team's center, the rule
    team_member_add enforces. Only someone who manages the team gets here, and a team in a
    cadre's scope covers no one outside it, so an id from anywhere else is "not found"
    (400 on the field), the same answer as an id that does not exist."""
    center = team.center
    return Volunteer.objects.filter(
        home_center__tree_id=center.tree_id,
        home_center__lft__gte=center.lft,
        home_center__rght__lte=center.rght,
    )


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams: a cadre's subtree, or the teams a volunteer belongs to; rosters and members."""

    permission_classes = [IsAuthenticated]
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    pagination_class = TeamPagination
    lookup_value_regex = r"\d+"
    # IsAuthenticated lets only accounts past the permission check, before any handler.
    request: AuthenticatedRequest

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Team.objects.none()
        teams = (
            teams_visible_to(self.request.user)
            .select_related("center")
            # In tree order; at each center its standing team first, then the specialists.
            .order_by(
                "center__tree_id",
                "center__lft",
                Case(When(kind=Team.Kind.STANDING, then=0), default=1),
                "id",
            )
        )
        if self.action == "list":
            # The list counts members of its page's rows after paging (see list).
            return teams
        return teams.annotate(member_count=open_member_count())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the viewset always pages
        counts = open_member_counts([team.pk for team in page])
        for team in page:
            team.member_count = counts.get(team.pk, 0)  # type: ignore[attr-defined]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def filter_queryset(self, queryset: QuerySet[Team, _Row]) -> QuerySet[Team, _Row]:
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _phones_in_clear_for(self, memberships: Sequence[TeamMembership]) -> set[int]:
        """The members whose phone the reader may see: their own, and those in scope."""
        user = self.request.user
        ids = {membership.volunteer_id for membership in memberships}
        in_scope = set(volunteers_in_scope(user).filter(pk__in=ids).values_list("pk", flat=True))
        own = {m.volunteer_id for m in memberships if m.volunteer.user_id == user.pk}
        return in_scope | own

    def _member_data(self, membership: TeamMembership) -> dict[str, Any]:
        context = {"phones_in_clear_for": self._phones_in_clear_for([membership])}
        return TeamMemberSerializer(membership, context=context).data

    @extend_schema(responses=TeamDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.get_object()
        members = list(current_members(team))
        context = {
            **self.get_serializer_context(),
            "members": members,
            "phones_in_clear_for": self._phones_in_clear_for(members),
        }
        return Response(TeamDetailSerializer(team, context=context).data)

    def _managed_team(self) -> Team:
        """The team, if the reader sees it (else 404) and may manage its members (else 403)."""
        team = self.get_object()
        if not can_manage_members(self.request.user, team):
            raise PermissionDenied(_("只有管辖该队伍的管理人员或队长、副队长可以管理队员。"))
        return team

    def _membership(self, team: Team, membership_id: str) -> TeamMembership:
        return get_object_or_404(
            TeamMembership.objects.select_related("volunteer__user", "team"),
            team=team,
            pk=int(membership_id),
        )

    @extend_schema(
        request=TeamMemberAddSerializer,
        responses={201: TeamMemberSerializer},
        summary=_("添加队员"),
    )
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request: AuthenticatedRequest, pk: str) -> Response:
        team = self._managed_team()
        incoming = TeamMemberAddSerializer(
            data=request.data, context={"joinable": _joinable_volunteers(team)}
        )
        incoming.is_valid(raise_exception=True)
        membership = team_member_add(
            actor=request.user,
            team=team,
            volunteer=incoming.validated_data["volunteer"],
            role=incoming.validated_data["role"],
        )
        membership = self._membership(team, str(membership.pk))
        return Response(self._member_data(membership), status=status.HTTP_201_CREATED)

    def _remove(self, membership_id: str) -> Response:
        team = self._managed_team()
        membership = team_member_remove(
            actor=self.request.user, membership=self._membership(team, membership_id)
        )
        return Response(self._member_data(membership))

    @extend_schema(request=None, responses={200: TeamMemberSerializer}, summary=_("队员离队"))
    @action(detail=True, methods=["post"], url_path=r"members/(?P<membership_id>\d+)/remove")
    def remove_member(self, request: Request, pk: str, membership_id: str) -> Response:
        return self._remove(membership_id)

    @extend_schema(request=None, responses={200: TeamMemberSerializer}, summary=_("队员离队"))
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<membership_id>\d+)")
    def delete_member(self, request: Request, pk: str, membership_id: str) -> Response:
        return self._remove(membership_id)
