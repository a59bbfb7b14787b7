"""Django's error views, answering in the API's error shape under /api/.

A view under /api/ that fails with an unexpected error (a bug) answers the API client JSON
as well: the mobile app reads ``detail`` and shows it, and an HTML page in a JSON parser is
one more failure. The body says nothing of the error itself (the log has it).

A URL under /api/ that matches no route (an id that is not a number, a mistyped path) is
refused by Django's resolver before any API view runs, and Django's own 404 and 400 pages
are HTML in English: an API client gets JSON in the shape every other error has, and a page
reader the Chinese page (templates/400.html) or Django's 404 page as before.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from core.middleware import API_PREFIX


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。"), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": _("请求有误，无法处理。"), "code": "bad_request"}, status=400
        )
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called with no context and possibly a broken database or template: nothing here may
    # fail again, so it renders no template for the API and no user for the page.
    if _is_api(request):
        return JsonResponse(
            {"detail": _("服务器出错了，请稍后再试。"), "code": "server_error"}, status=500
        )
    return defaults.server_error(request)
