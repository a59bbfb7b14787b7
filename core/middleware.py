"""Refuse malformed requests at the door, before any view, filter or form sees them.

What it refuses, with a 400 (413 for a body over the size limit) and a Chinese message:
JSON in the API's error shape under /api/, a short HTML page elsewhere:

- a NUL character in the path, a query parameter's name or value, or a submitted form
  field's (``\\x00``, arriving as ``%00``): PostgreSQL's text type cannot hold one, so any
  filter, search or autocomplete term carrying it raised ``ValueError`` deep in the
  database driver, a 500 on every surface;
- a body longer than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a file upload excepted: its fields are
  counted by Django as it parses), a form with more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``
  fields or ``DATA_UPLOAD_MAX_NUMBER_FILES`` files, a malformed multipart body and a query
  string that does not decode. Django refuses those itself, but only when a view first
  reads the data, and then with its HTML 400 even for an API client.

Reading the form here costs nothing extra: CSRF protection reads it for every POST anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
NUL = "\x00"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Refused(Exception):
    def __init__(self, message: str, *, code: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _has_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _body_too_large() -> Refused:
    limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return Refused(
        _("请求内容过大（最多 %(limit)d KB）。") % {"limit": limit_kb}, code="too_large", status=413
    )


def request_check(request: HttpRequest) -> None:
    """Raise Refused if the request is one this portal never serves."""
    if NUL in request.path_info:
        raise Refused(_("请求地址含有不允许的空字符。"), code="nul_character")
    try:
        query = request.GET
    except (TooManyFieldsSent, RequestDataTooBig) as exc:
        raise Refused(_("查询参数过多。"), code="too_many_fields") from exc
    if _has_nul(query):
        raise Refused(_("查询参数含有不允许的空字符（NUL），请删去后重试。"), code="nul_character")

    content_type = request.content_type or ""
    is_form = content_type in FORM_CONTENT_TYPES
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if (
        limit is not None
        and content_type != "multipart/form-data"
        and _content_length(request) > limit
    ):
        raise _body_too_large()
    if not is_form or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    try:
        form = request.POST
        request.FILES  # noqa: B018 - parsed together with POST; a bad body fails here
    except RequestDataTooBig as exc:
        raise _body_too_large() from exc
    except (TooManyFieldsSent, TooManyFilesSent) as exc:
        raise Refused(_("提交的字段或文件过多。"), code="too_many_fields") from exc
    except (MultiPartParserError, BadRequest, SuspiciousOperation, UnicodeDecodeError) as exc:
        raise Refused(_("提交的表单无法解析，请重新提交。"), code="malformed_form") from exc
    if _has_nul(form):
        raise Refused(
            _("提交的内容含有不允许的空字符（NUL），请删去后重试。"), code="nul_character"
        )


def refusal_response(request: HttpRequest, refused: Refused) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": refused.message, "code": refused.code}, status=refused.status
        )
    html = render_to_string("400.html", {"message": refused.message, "status": refused.status})
    return HttpResponse(html, status=refused.status)


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request_check(request)
        except Refused as refused:
            return refusal_response(request, refused)
        return self.get_response(request)


def _is_busy_database(exc: Exception) -> bool:
    # SQLite's words when its lock wait ran out (the demo's embedded database): the request
    # changed nothing and may simply be sent again. Any other database error is a fault.
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class BusyDatabaseMiddleware:
    """A database too busy to take a write answers 503 with a Chinese "try again", in the
    API's shape under /api/, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not _is_busy_database(exc):
            return None
        refused = Refused(_("系统繁忙，请稍后再试一次。"), code="busy", status=503)
        return refusal_response(request, refused)
