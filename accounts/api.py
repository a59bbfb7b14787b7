from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.models import User
from accounts.phones import mask_phone, normalize_phone
from accounts.selectors import Role, user_roles
from accounts.services import resident_register
from practice.models import Center
from volunteers.models import Team, Volunteer
from volunteers.selectors import teams_of_volunteer, volunteer_of


class PhoneField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        return normalize_phone(super().to_internal_value(data))


class TokenRequestSerializer(serializers.Serializer):
    phone = PhoneField(max_length=20)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenObtainApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        # django-axes tracks failures on the Django request, not DRF's wrapper.
        django_request = request._request
        user = authenticate(
            django_request,
            username=incoming.validated_data["phone"],
            password=incoming.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            return Response(
                {"detail": _("手机号或密码不正确。")}, status=status.HTTP_400_BAD_REQUEST
            )
        token, _created = Token.objects.get_or_create(user=user)
        # Handing out a token is a sign-in: say so, as login() does for the pages, so that
        # django-axes clears this number's failures (AXES_RESET_ON_SUCCESS) and last_login
        # is kept. Without it a user's occasional typos add up to a lockout.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response({"token": token.key})


class RegisterSerializer(serializers.Serializer):
    phone = PhoneField(max_length=20)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=50)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.SerializerMethodField()
    name = serializers.CharField()

    def get_phone(self, user: User) -> str:
        return mask_phone(user.phone)


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=RegisterSerializer, responses={201: AccountSerializer})
    def post(self, request: Request) -> Response:
        incoming = RegisterSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = resident_register(**incoming.validated_data)
        return Response(AccountSerializer(user).data, status=status.HTTP_201_CREATED)


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
        return MeTeamSerializer(teams_of_volunteer(volunteer).order_by("id"), many=True).data


class MeSerializer(AccountSerializer):
    roles = serializers.ListField(child=serializers.CharField())
    cadre_centers = CadreCenterSerializer(many=True)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    points = serializers.IntegerField(required=False)
    stars = serializers.IntegerField(required=False)
    volunteer = MeVolunteerSerializer(required=False)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
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
            body.update(hours=str(volunteer.hours), points=volunteer.points, stars=volunteer.stars)
        return Response(body)
