"""The schema class of the API: drf-spectacular's, describing the error answers too.

Every operation is given the answers besides success that it can give, with their bodies, so
the served schema describes every response (tests/api/test_schemathesis.py holds it to that).
They are added here rather than by hand on each view, so a view added later is described too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "错误：detail 为说明；code 为供客户端判断的稳定代码；409 另有 status，即订单当前状态。"
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "status": {"type": "string"},
    },
    "required": ["detail"],
}
INVALID_SCHEMA = {
    "type": "object",
    "description": (
        "输入有误：字段名对应错误信息列表（non_field_errors 为整体错误），或 detail 为说明。"
    ),
    "additionalProperties": {},
}
ERROR_DESCRIPTIONS = {
    "400": _lazy("输入有误"),
    "401": _lazy("未登录，或令牌无效"),
    "403": _lazy("无权进行此操作"),
    "404": _lazy("不存在，或不在您的管辖范围内"),
    "409": _lazy("当前状态不允许此操作"),
    "413": _lazy("请求内容过大"),
    "415": _lazy("不支持的内容类型"),
    "429": _lazy("请求过于频繁"),
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._error_response(code)
        return responses

    def _error_codes(self) -> list[str]:
        # Every request can be refused as malformed (core.middleware) or carry a bad token.
        codes = ["400", "401"]
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if not public or self.method not in ("GET", "HEAD"):
            codes.append("403")
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None)
        if "{" in self.path or paginated:  # an absent object, or a stale page or cursor
            codes.append("404")
        if self.method in BODY_METHODS | {"DELETE"}:
            codes.append("409")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _error_response(self, code: str) -> dict[str, Any]:
        name, schema = (
            ("ValidationErrorBody", INVALID_SCHEMA)
            if code == "400"
            else (
                "ErrorBody",
                ERROR_SCHEMA,
            )
        )
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return {
            "description": str(ERROR_DESCRIPTIONS[code]),
            "content": {"application/json": {"schema": component.ref}},
        }
