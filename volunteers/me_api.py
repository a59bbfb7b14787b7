"""``/api/v1/me/``: the signed-in user's account, roles, cadre centers and volunteer profile.
Here, not in accounts: it reads cadre roles (practice) and the volunteer profile
(volunteers), both above the user model."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import AccountSerializer
from accounts.http import AuthenticatedRequest
from practice.models import Center
from volunteers.account_selectors import Role, user_roles
from volunteers.models import Team, Volunteer
from volunteers.selectors import teams_of_volunteer, volunteer_of


class CadreCenterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Center
        fields = ["id", "code", "name", "level"]


class MeTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class MeVolunteerSerializer(serializers.ModelSerializer):
    """The user's own volunteer profile, whatever its status, so that an applicant sees
    the outcome of the review (and the reason of a refusal)."""

    teams = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = ["id", "status", "home_center", "review_reason", "teams"]

    @extend_schema_field(MeTeamSerializer(many=True))
    def get_teams(self, volunteer: Volunteer) -> list[dict[str, object]]:
        teams = teams_of_volunteer(volunteer).order_by("id")
        return MeTeamSerializer(teams, many=True).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


class MeSerializer(AccountSerializer):
    roles = serializers.ListField(child=serializers.CharField())
    cadre_centers = CadreCenterSerializer(many=True)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    points = serializers.IntegerField(required=False)
    stars = serializers.IntegerField(required=False)
    volunteer = MeVolunteerSerializer(required=False)


class MeApi(APIView):
    """The view a higher layer extends: what a volunteer's figures are (the star level in
    force is decided by points, above this app) comes from ``volunteer_figures``, which
    points.me_api overrides; config.api_urls routes /me/ to that subclass."""

    permission_classes = [IsAuthenticated]

    def volunteer_figures(self, volunteer: Volunteer) -> dict[str, object]:
        return {"hours": str(volunteer.hours), "points": volunteer.points, "stars": 0}

    @extend_schema(responses=MeSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        roles = user_roles(user)
        body = dict(AccountSerializer(user).data)
        body["roles"] = roles
        body["cadre_centers"] = CadreCenterSerializer(
            Center.objects.filter(cadre_roles__user=user).order_by("code"), many=True
        ).data
        volunteer = volunteer_of(user)
        if volunteer is not None:
            body["volunteer"] = MeVolunteerSerializer(volunteer).data
        if Role.VOLUNTEER in roles and volunteer is not None:
            body.update(self.volunteer_figures(volunteer))
        return Response(body)
