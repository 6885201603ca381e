"""Strict JSON from clients: one parser for REST bodies, native frames and Socket.IO.

`json.loads` accepts things no handler can use and some that crash later:
nesting deep enough to raise `RecursionError`, lone surrogates (`"\\ud800"`)
that fail when the reply or the database row is encoded, integers too large
for any id column, NUL characters (`"\\u0000"`, which PostgreSQL text cannot
hold), and `NaN`/`Infinity`. `loads` refuses all of them with
`BadJSON` (a `ValueError`), whose message is safe to send back to the client.
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than any envelope or API body of the protocol needs.
MAX_DEPTH = 32
# Integers must fit a signed 64-bit column (ids, seqs, quantities).
INT_MAX = 2**63 - 1


class BadJSON(ValueError):
    """A client payload that is not acceptable JSON; `str()` is the client message."""


def _no_constant(name: str) -> Any:
    raise BadJSON(f"{name} is not allowed in JSON")


def loads(text: str | bytes | bytearray) -> Any:
    """Parse a client payload strictly; raise BadJSON with a client-safe message."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except BadJSON:
        raise
    except RecursionError:
        raise BadJSON(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, TypeError):
        # JSONDecodeError, UnicodeDecodeError of bytes, ints over 4300 digits.
        raise BadJSON("Malformed JSON") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Refuse what `json.loads` let through: depth, lone surrogates, huge ints."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if not -INT_MAX <= item <= INT_MAX:
                raise BadJSON("Number out of range")
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadJSON(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    if "\x00" in text:  # a "\u0000" escape: no PostgreSQL text column holds one
        raise BadJSON("Text with a NUL character")
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("Text with an invalid character (lone surrogate)") from None
