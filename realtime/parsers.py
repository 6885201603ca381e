"""Request body parsers of the REST API: strict JSON, checked forms (PROTOCOL section 8).

`StrictJSONParser` parses with `realtime.jsonsafe.loads`, so a REST body is
refused for the same reasons as a socket frame (deep nesting, lone
surrogates, integers beyond 64 bits, NaN) with a 400 instead of crashing a
view. Every parser also refuses NUL characters (PostgreSQL text cannot hold
them) and measures the body against DATA_UPLOAD_MAX_MEMORY_SIZE while
reading it, so a body without a Content-Length is held to the same limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import exceptions, parsers, status

from realtime import jsonsafe


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large"
    default_code = "PAYLOAD_TOO_LARGE"


def read_limited(stream: IO[bytes]) -> bytes:
    """The whole body, or PayloadTooLarge once it passes the upload limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge()
    return raw


def check_no_nul(texts: Iterable[str]) -> None:
    for text in texts:
        if "\x00" in text:
            raise exceptions.ParseError("Text with a NUL character")


def _strings(value: Any) -> Iterable[str]:
    """Every key and string value of a parsed JSON document, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _form_strings(data: Mapping[str, Any]) -> Iterable[str]:
    for key in data:
        yield key
        if isinstance(data, QueryDict):
            yield from (v for v in data.getlist(key) if isinstance(v, str))
        elif isinstance(data[key], str):
            yield data[key]


class StrictJSONParser(parsers.JSONParser):
    """JSON bodies through `jsonsafe.loads`: BadJSON becomes a 400 with its message."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = read_limited(stream)
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(f"Malformed JSON: not {encoding}") from None
        try:
            value = jsonsafe.loads(text)
        except jsonsafe.BadJSON as exc:
            raise exceptions.ParseError(str(exc)) from None
        check_no_nul(_strings(value))
        return value


class StrictFormParser(parsers.FormParser):
    """URL-encoded forms, held to the upload limit and without NUL characters."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> QueryDict:
        raw = read_limited(stream)
        data = QueryDict(raw, encoding=parsers.get_encoding(parser_context or {}))
        check_no_nul(_form_strings(data))
        return data


class StrictMultiPartParser(parsers.MultiPartParser):
    """Multipart forms (Django enforces the field limits), without NUL characters."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> parsers.DataAndFiles:
        result = super().parse(stream, media_type, parser_context)
        check_no_nul(_form_strings(result.data))
        return result
