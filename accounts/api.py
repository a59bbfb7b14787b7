from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.models import User
from accounts.phones import mask_phone, normalize_phone
from accounts.services import password_reset_with_code, resident_register_with_code
from accounts.verification import Purpose, code_minutes, verification_code_send
from core.http import client_address


class PhoneField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
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
    def post(self, request: Request) -> Response | HttpResponse:
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
