from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors raised by services turned into 400 or 409."""
    if isinstance(exc, DomainError):
        if exc.field:
            return Response({exc.field: [exc.message]}, status=exc.http_status)
        return Response({"detail": exc.message, "code": exc.code}, status=exc.http_status)
    return drf_exception_handler(exc, context)
