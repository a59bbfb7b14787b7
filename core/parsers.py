"""The API's JSON parser: DRF's, with the limits a public endpoint needs.

DRF's parser hands the body to ``json.load`` and catches only ``ValueError``: a body nested
about a thousand deep (two kilobytes) makes the decoder raise ``RecursionError``, a 500 on
every JSON endpoint, sign-in included, and a body nested a few hundred deep parses and then
walks the serializers as deep. It also reads the stream without Django's body size limit.
This one reads at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes, and refuses a document nested
deeper than ``JSON_MAX_DEPTH`` (no request of ours nests more than three), each with a 400
in the API's error shape.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

JSON_MAX_DEPTH = 32


class BadBody(ParseError):
    """A body refused for a reason worth telling; core.api's handler keeps its message where
    it words DRF's own parse errors anew."""


class RequestBodyTooLarge(BadBody):
    status_code = 413
    default_code = "too_large"


def nesting_depth(document: Any, *, limit: int) -> int:
    """How deep the containers of a decoded JSON document nest (a scalar is 0), counted
    without recursion and given up as soon as it passes ``limit``."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


def body_too_large() -> RequestBodyTooLarge:
    limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return RequestBodyTooLarge(
        _("请求内容过大（最多 %(limit)d KB）。") % {"limit": limit_kb}, code="too_large"
    )


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise body_too_large()
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            document = json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise too_deep() from exc
        except (ValueError, LookupError) as exc:
            # DRF's own message, which core.api words in Chinese.
            raise ParseError(f"JSON parse error - {exc}") from exc
        if nesting_depth(document, limit=JSON_MAX_DEPTH) > JSON_MAX_DEPTH:
            raise too_deep()
        return document


def too_deep() -> BadBody:
    return BadBody(
        _("JSON 嵌套层数过多（最多 %(limit)d 层）。") % {"limit": JSON_MAX_DEPTH},
        code="too_deep",
    )
