"""Serializer fields that parse client numbers strictly (PROTOCOL section 8)."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from realtime.jsonsafe import INT_MAX

_ASCII_INT = re.compile(r"-?[0-9]{1,19}")


class StrictIntegerField(serializers.IntegerField):
    """An integer in the signed 64-bit range, from a number or a string of ASCII digits.

    DRF's IntegerField takes whatever `int()` takes: `"٣"` (an Arabic-Indic
    three), `"²"`, `"1_000"`, and numbers no column can hold, which crash the
    database query instead of being refused.
    """

    default_error_messages = {"out_of_range": "Number out of range."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str):
            text = data.strip()
            if not _ASCII_INT.fullmatch(text):
                if re.fullmatch(r"-?[0-9]+", text):
                    self.fail("out_of_range")
                self.fail("invalid")
            data = text
        value: int = super().to_internal_value(data)
        if not -INT_MAX <= value <= INT_MAX:
            self.fail("out_of_range")
        return value
