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
from accounts.services import password_reset_with_code, resident_register_with_code
from accounts.verification import Purpose, code_minutes, verification_code_send
from core.http import client_address
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
    code = serializers.CharField(
        max_length=10, help_text=_("发送到该手机号的 6 位验证码（purpose 为 signup）。")
    )


class VerificationCodeRequestSerializer(serializers.Serializer):
    phone = PhoneField(max_length=20)
    purpose = serializers.ChoiceField(choices=Purpose.choices)


class VerificationCodeSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text=_("验证码有效的秒数。"))


class VerificationCodeApi(APIView):
    """Send a 6-digit code to a phone, for sign-up or for a password reset."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=VerificationCodeRequestSerializer,
        responses={202: VerificationCodeSentSerializer},
    )
    def post(self, request: Request) -> Response:
        incoming = VerificationCodeRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        verification_code_send(
            phone=incoming.validated_data["phone"],
            purpose=incoming.validated_data["purpose"],
            client_address=client_address(request._request),
        )
        body = {
            "detail": _("如果该手机号可以接收，验证码已发送，%(minutes)d 分钟内有效。")
            % {"minutes": code_minutes()},
            "expires_in": code_minutes() * 60,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PasswordResetSerializer(serializers.Serializer):
    phone = PhoneField(max_length=20)
    code = serializers.CharField(max_length=10)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class PasswordResetApi(APIView):
    """A new password on the code sent to the phone (purpose reset); it also ends any
    sign-in delay or lockout of the number, and revokes the account's API tokens."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=PasswordResetSerializer,
        responses={
            200: inline_serializer("PasswordResetDone", {"detail": serializers.CharField()})
        },
    )
    def post(self, request: Request) -> Response:
        incoming = PasswordResetSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        password_reset_with_code(**incoming.validated_data)
        return Response({"detail": _("密码已重置，请用新密码登录。")})


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
        user = resident_register_with_code(**incoming.validated_data)
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
