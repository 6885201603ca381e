"""The room's one encoded frame is the frame websockets itself would send."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from realtime.writer import shared_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_shared_frame_is_what_websockets_serializes(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)  # `size` bytes, not all ASCII
    assert len(text.encode()) == size
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert shared_frame(text) == expected


def test_the_last_frame_is_kept_for_the_same_text_only() -> None:
    text = "".join(["kitchen", " event"])
    first = shared_frame(text)
    assert shared_frame(text) is first
    other = shared_frame("".join(["kitchen", " event"]))
    assert other == first and other is not first
