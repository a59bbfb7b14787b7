"""The schema class of the API: drf-spectacular's, describing the error answers too.

Every operation is given the answers besides success that it can give, with their bodies, so
the served schema describes every response (tests/api/test_schemathesis.py holds it to that).
They are added here rather than by hand on each view, so a view added later is described too.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
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


def _model_path(field: serializers.Field) -> list[models.Field] | None:
    """The model fields a read-only serializer field's source walks through, or None where
    it is not a plain path over the serializer's model (a method, "*", a property)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or source == "*":
        return None
    path = []
    for name in source.split("."):
        if model is None:
            return None
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        path.append(model_field)
        model = model_field.related_model
    return path


def _may_be_empty(step: models.Field | models.ForeignObjectRel) -> bool:
    if isinstance(step, models.ForeignObjectRel):
        return step.one_to_one  # a list for the many sides, never null
    return step.null


def describe_like_the_model(field: serializers.Field) -> None:
    """A read-only field is described as the model's data come out, not as DRF would check
    input: DRF drops allow_blank and allow_null from read-only model fields, so a choice the
    model leaves blank (a standing team's specialty) was described as always one of the
    choices, and a name read through a relation that may be empty (an order's donor) as
    never null, though DRF gives null when any step of the path is empty."""
    if not field.read_only or isinstance(field, serializers.SerializerMethodField):
        return
    path = _model_path(field)
    if not path:
        return
    if any(_may_be_empty(step) for step in path):
        field.allow_null = True
    last = path[-1]
    if isinstance(field, serializers.ChoiceField | serializers.CharField) and last.blank:
        if not isinstance(last, models.ForeignObjectRel):
            field.allow_blank = True


class PortalAutoSchema(AutoSchema):
    def _map_serializer_field(
        self, field: Any, direction: Literal["request", "response"], bypass_extensions: bool = False
    ) -> Any:
        if direction == "response":
            describe_like_the_model(field)
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
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
