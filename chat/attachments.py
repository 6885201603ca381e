"""What an uploaded file really is: its type from its bytes, images checked by Pillow.

Nothing here writes to storage: `inspect` reads the upload and answers what
to store (or raises), so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from chat.errors import ChatCode
from realtime.errors import DomainError

THUMBNAIL_SIZE = (320, 320)
# Larger images are refused before Pillow decodes them (a "decompression bomb"
# of a few KB can claim billions of pixels).
MAX_PIXELS = 40_000_000
TEXT_SNIFF_BYTES = 64 * 1024
MAX_NAME = 255

# (magic bytes at offset 0, type); WebP is checked apart (RIFF....WEBP).
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
IMAGE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
# Names whose extension says one of these may hold that type.
SAME_KIND = {"text/plain": {"text/plain", "text/markdown", "text/csv"}}


@dataclass
class Inspected:
    content_type: str
    extension: str
    name: str
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_extension: str = ""


def max_bytes() -> int:
    return int(settings.CHAT_ATTACHMENT_MAX_BYTES)


def _read_head(upload: Any, count: int) -> bytes:
    upload.seek(0)
    head = upload.read(count)
    upload.seek(0)
    return head if isinstance(head, bytes) else b""


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes, or None when not accepted."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut at the end of the sample is still text.
        if exc.start < len(head) - 3:
            return None
    return "text/plain"


def _clean_name(raw: Any) -> str:
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-MAX_NAME:] or "file"


def _refuse(message: str, code: ChatCode = ChatCode.UNSUPPORTED_FILE) -> DomainError:
    return DomainError(message, code=code)


def inspect(upload: Any) -> Inspected:
    """Check an uploaded file and describe what to store; DomainError when refused."""
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise DomainError("The file is empty")
    if size > max_bytes():
        raise _refuse(
            f"A file has at most {max_bytes() // (1024 * 1024) or 1} MB "
            f"({max_bytes()} bytes); this one has {size} bytes",
            ChatCode.FILE_TOO_LARGE,
        )
    name = _clean_name(getattr(upload, "name", ""))
    content_type = sniff(_read_head(upload, TEXT_SNIFF_BYTES))
    if content_type is None:
        raise _refuse(
            "This kind of file cannot be shared: images (PNG, JPEG, GIF, WebP), "
            "PDF and plain text can"
        )
    claimed, _ = mimetypes.guess_type(name, strict=False)
    if claimed is not None and claimed != content_type:
        allowed = SAME_KIND.get(content_type, {content_type})
        if claimed not in allowed:
            raise _refuse(
                f"The file's content ({content_type}) is not what its name says "
                f"({claimed})"
            )
    found = Inspected(
        content_type=content_type,
        extension=EXTENSIONS[content_type],
        name=name,
        size=size,
    )
    if content_type in IMAGE_FORMATS:
        _inspect_image(upload, found)
    return found


def _inspect_image(upload: Any, found: Inspected) -> None:
    bad = _refuse(f"This is not a valid {found.content_type} image")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format != IMAGE_FORMATS[found.content_type]:
                raise bad
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    f"An image has at most {MAX_PIXELS} pixels; this one has "
                    f"{width}x{height}"
                )
            image.verify()
        # verify() leaves the image unusable: open it again to draw it.
        upload.seek(0)
        with Image.open(upload) as image:
            image.seek(0)
            thumb = image.convert("RGBA" if _has_alpha(image) else "RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            if thumb.mode == "RGBA":
                thumb.save(out, "PNG", optimize=True)
                found.thumbnail_extension = ".png"
            else:
                thumb.save(out, "JPEG", quality=82)
                found.thumbnail_extension = ".jpg"
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ):
        raise bad from None
    finally:
        upload.seek(0)
    found.width, found.height = width, height
    found.thumbnail = out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
