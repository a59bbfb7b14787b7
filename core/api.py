from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors raised by services turned into 400 or 409, and the
    two messages DRF leaves untranslated put into Chinese."""
    if isinstance(exc, DomainError):
        if exc.field:
            return Response({exc.field: [exc.message]}, status=exc.http_status)
        return Response({"detail": exc.message, "code": exc.code}, status=exc.http_status)
    if isinstance(exc, ParseError):
        # DRF words this in English whatever the language ("JSON parse error - ...").
        exc = ParseError(_("请求内容无法解析，请提交有效的 JSON。"))
    elif isinstance(exc, ValidationError) and _is_no_data(exc.detail):
        exc = ValidationError(
            {"non_field_errors": [ErrorDetail(_("请求内容为空，应为 JSON 对象。"), code="null")]}
        )
    return drf_exception_handler(exc, context)


def _is_no_data(detail: Any) -> bool:
    """DRF's untranslated "No data provided", given when the body is JSON null."""
    if not isinstance(detail, dict) or list(detail) != ["non_field_errors"]:
        return False
    errors = detail["non_field_errors"]
    return len(errors) == 1 and getattr(errors[0], "code", None) == "null"
