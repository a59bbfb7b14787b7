from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.parsers import BadBody, body_too_large


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors raised by services turned into 400 or 409, Django's
    refusals of a malformed or oversized body given in the API's shape, and the two messages
    DRF leaves untranslated put into Chinese."""
    if isinstance(exc, DomainError):
        if exc.field:
            return Response({exc.field: [exc.message]}, status=exc.http_status)
        return Response({"detail": exc.message, "code": exc.code}, status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        exc = body_too_large()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = BadBody(_("提交的字段或文件过多。"), code="too_many_fields")
    elif isinstance(exc, BadRequest | SuspiciousOperation):
        # Django's own refusals of a malformed body, when DRF reads it before
        # core.middleware did; left alone they become Django's HTML 400.
        exc = BadBody(_("请求内容无法解析，请重新提交。"), code="parse_error")
    if isinstance(exc, BadBody):
        # With its code, as a domain error gives it, so a client can tell the reasons apart.
        return Response(
            {"detail": str(exc.detail), "code": exc.get_codes()}, status=exc.status_code
        )
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


class FilterBackend(DjangoFilterBackend):
    """django-filter, left out when the request names none of the view's filters: it builds
    and validates a form on every request, half a millisecond of the order list's few, for
    nothing when no filter was asked for (none of ours filters on an empty value). A
    parameter is taken as naming a filter when it starts with the filter's name, as a
    range's "_after" and "_before" parameters do."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            parameter.startswith(name)
            for parameter in request.query_params
            for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
