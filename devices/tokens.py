"""Screen tokens and pairing codes: their format, hashes and the sealed token.

A screen token is `tdev_<key>_<secret>`: `key` (16 hex digits) names the
device and may be stored as it is; `secret` is 32 random bytes (base64url,
43 characters) and is never stored: the database keeps the SHA-256 of the
whole token, compared in constant time. A token has 256 bits of entropy, so
a plain hash is enough (no slow hash needed, none of a password's risks).

A pairing code is 8 characters from an alphabet without look-alikes
(32 symbols: 40 bits), shown as `ABCD-EFGH`, valid for a few minutes and
used once. Being short, it is stored as an HMAC keyed by the project's
SECRET_KEY, so a copy of the database alone does not let anyone try codes
offline. Until the code is used or expires, the token's secret is kept
sealed under the code: XORed with an HMAC of the code (a one-time key: one
code, one device, one seal), so the device that types the code receives the
very token staff were shown, and the database never holds it readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.utils.crypto import salted_hmac

PREFIX = "tdev_"
_TOKEN = re.compile(r"tdev_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SECRET_BYTES = 32


def new_key() -> str:
    return secrets.token_hex(8)


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def token_for(key: str, secret: bytes) -> str:
    text = base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")
    return f"{PREFIX}{key}_{text}"


def parse(token: str) -> str | None:
    """The device key of a well-formed token, else None."""
    match = _TOKEN.fullmatch(token)
    return match.group(1) if match else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def same(stored_hash: str, token: str) -> bool:
    """Whether `token` is the one `stored_hash` was made from (constant time)."""
    return hmac.compare_digest(stored_hash, token_hash(token))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The code as typed (any case, spaces or dashes), or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", raw).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    return salted_hmac("devices.pairing.code", code, algorithm="sha256").hexdigest()


def _seal_key(key: str, code: str) -> bytes:
    return salted_hmac(
        "devices.pairing.seal", f"{key}:{code}", algorithm="sha256"
    ).digest()


def seal(key: str, code: str, secret: bytes) -> str:
    """The token's secret sealed under the pairing code (hex)."""
    pad = _seal_key(key, code)
    return bytes(a ^ b for a, b in zip(secret, pad, strict=True)).hex()


def unseal(key: str, code: str, sealed: str) -> bytes:
    """The secret `seal` sealed (XOR is its own inverse)."""
    return bytes.fromhex(seal(key, code, bytes.fromhex(sealed)))
