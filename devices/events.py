"""Events of the devices app: the revocation every server process listens for.

`device:revoked` goes to the `devices` room, which no client may join (it is
no registered room type): each server process's watch (devices/watch.py)
takes it like any room event, with the outbox's guarantees (stored with the
revocation, relayed if the channel layer was down at commit, read from the
history by the hub's check), and closes that device's sockets.
"""

from __future__ import annotations

from typing import TypedDict

ROOM = "devices"
DEVICE_REVOKED = "device:revoked"


class RevokedData(TypedDict):
    deviceId: int


def revoked_data(device_id: int) -> RevokedData:
    return {"deviceId": device_id}
