"""`/api/asyncapi.yaml`: an AsyncAPI 3 document of every socket, built from the code.

Nothing here lists an event by hand. At each request the document is read
from what the server runs:

- the sockets: the ASGI application's WebSocket routes (`settings.ASGI_APPLICATION`)
  and its Socket.IO session classes (subclasses of `SocketIOConnection`);
- the client events of each socket: its consumer class's `events` handler
  tables, merged along the class hierarchy as the consumer does, plus the
  `CLIENT_ALIASES` of those classes' modules and the envelope's `batch`;
- the server events: the constants of `realtime/events.py` and of each app's
  `events.py` whose rooms the socket serves; a payload's schema is the
  TypedDict its builder function returns (or the TypedDict of that name);
- the Socket.IO dialect: what the gateway's `emits_for` makes of each event
  in each room type (renamed events and fields, aliased join replies);
- the room types and their id fields, for the `join_room` family;
- descriptions: the lines of docs/PROTOCOL.md that name each event.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from realtime import events as control_events
from realtime import rooms as room_registry
from realtime import socketio_gateway
from realtime.rooms import RoomType

Schema = dict[str, Any]

PROTOCOL = Path(settings.BASE_DIR) / "docs" / "PROTOCOL.md"
# Events of the envelope itself (PROTOCOL section 2), not of a handler table.
ENVELOPE_EVENTS = {
    "batch": {
        "type": "object",
        "required": ["messages"],
        "properties": {
            "messages": {
                "type": "array",
                "maxItems": 50,
                "items": {"type": "object"},
                "description": "Envelopes handled in order, each with its own reply.",
            }
        },
    }
}
ROOM_EVENTS = {"join_room", "leave_room", "restore_rooms"}
SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}


# -- payload schemas from type annotations --------------------------------------


def schema_of(tp: Any) -> Schema:
    """JSON Schema of a payload type: TypedDicts, lists, unions, scalars."""
    if tp in SCALARS:
        return dict(SCALARS[tp])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_of(a) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, set, frozenset):
        return {"type": "array", "items": schema_of(args[0]) if args else {}}
    if tp is dict or origin is dict:
        return {"type": "object"}
    if typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp)
        required = getattr(tp, "__required_keys__", frozenset(hints))
        schema: Schema = {
            "type": "object",
            "properties": {name: schema_of(t) for name, t in hints.items()},
        }
        needed = [name for name in hints if name in required]
        if needed:
            schema["required"] = needed
        return schema
    return {}


def _return_type(func: Any, module: types.ModuleType) -> Any:
    try:
        return typing.get_type_hints(func).get("return")
    except Exception:
        annotation = getattr(func, "__annotations__", {}).get("return")
        return (
            getattr(module, annotation, None)
            if isinstance(annotation, str)
            else annotation
        )


def _camel(words: list[str]) -> str:
    return "".join(w.capitalize() for w in words)


def payload_type(module: types.ModuleType, constant: str) -> Any:
    """The TypedDict of an event: what its builder returns, or the class of its name.

    `ORDER_CREATED` is built by `order_created_data` (or `order_created`); a
    name with no builder of its own is tried by its longest word runs, the
    last ones first (`MESSAGE_READ` -> `read_data`, `MESSAGE_CREATED` ->
    `message_data`); none found, the payload is left open.
    """
    words = constant.lower().split("_")
    runs = [
        words[start : start + size]
        for size in range(len(words), 0, -1)
        for start in range(len(words) - size, -1, -1)
    ]
    if words[-1] == "success":
        # A direct reply has a payload of its own: matched by its full name only.
        runs = runs[:1]
    for run in runs:
        stem = "_".join(run)
        for name in (f"{stem}_data", stem):
            func = getattr(module, name, None)
            if inspect.isfunction(func):
                found = _return_type(func, module)
                if typing.is_typeddict(found):
                    return found
        for name in (f"{_camel(run)}Data", _camel(run)):
            found = getattr(module, name, None)
            if typing.is_typeddict(found):
                return found
    return None


# -- what the server runs ----------------------------------------------------------


def _asgi_module() -> types.ModuleType:
    return importlib.import_module(settings.ASGI_APPLICATION.rpartition(".")[0])


def _address(regex: str) -> str:
    """`^ws/orders/?$` -> `/ws/orders/`; `^ws/?$` -> `/ws`."""
    path = regex.strip("^$")
    if path.endswith("/?"):
        path = path[:-2] + ("/" if "/" in path[:-2] else "")
    return "/" + path.replace("\\", "")


def native_sockets() -> list[tuple[str, type[Any]]]:
    """(address, consumer class) of every WebSocket route of the ASGI application."""
    module = _asgi_module()
    found = []
    for route in getattr(module, "websocket_urlpatterns", []):
        consumer = getattr(route.callback, "consumer_class", None)
        if consumer is not None:
            found.append((_address(str(route.pattern)), consumer))
    return found


def socketio_sessions() -> list[type[Any]]:
    """The Socket.IO session classes the application uses (leaves of the hierarchy)."""
    _asgi_module()
    base = socketio_gateway.SocketIOConnection
    leaves: list[type[Any]] = []
    todo = [base]
    while todo:
        klass = todo.pop()
        subclasses = klass.__subclasses__()
        if not subclasses and klass is not base:
            leaves.append(klass)
        todo.extend(subclasses)
    return leaves or [base]


def client_events(consumer: type[Any]) -> list[str]:
    """Client event names a consumer class handles, aliases included."""
    table: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for klass in reversed(consumer.__mro__):
        table.update(vars(klass).get("events", {}) or {})
        module = sys.modules.get(klass.__module__)
        aliases.update(getattr(module, "CLIENT_ALIASES", {}) or {})
    names = list(table)
    names += [alias for alias, target in aliases.items() if target in table]
    return names


def served_sockets(consumer: type[Any]) -> frozenset[str]:
    return frozenset(
        getattr(consumer, "serves_rooms_of", None) or {consumer.socket_name}
    )


def _room_types_in(module: types.ModuleType | None) -> list[RoomType]:
    found: list[RoomType] = []
    for value in vars(module).values() if module else ():
        items = value if isinstance(value, tuple | list | set | frozenset) else (value,)
        for item in items:
            if isinstance(item, RoomType):
                found.append(item)
            elif isinstance(item, str):
                try:
                    found.append(room_registry.get_room_type(item))
                except Exception:
                    continue
    return found


def _app_module(app_name: str, part: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(f"{app_name}.{part}")
    except ModuleNotFoundError:
        return None


@lru_cache(maxsize=1)
def _apps() -> list[tuple[str, str]]:
    return [(app.name, app.label) for app in apps.get_app_configs()]


def all_room_types() -> list[RoomType]:
    """The room types the apps define (in their rooms.py) or publish to (events.py)."""
    seen: dict[str, RoomType] = {}
    for name, _label in _apps():
        for part in ("rooms", "events"):
            for room_type in _room_types_in(_app_module(name, part)):
                seen.setdefault(room_type.name, room_type)
    return list(seen.values())


def room_types(sockets: frozenset[str]) -> list[RoomType]:
    """The room types that a socket serving the rooms of `sockets` may join."""
    return [
        rt
        for rt in all_room_types()
        if not rt.sockets or not rt.sockets.isdisjoint(sockets)
    ]


def event_modules(sockets: frozenset[str]) -> list[types.ModuleType]:
    """`realtime/events.py` and each app's events.py that publishes to `sockets`."""
    found = [control_events]
    for name, label in _apps():
        module = _app_module(name, "events")
        if module is None or module is control_events:
            continue
        own = {label}
        for part in (_app_module(name, "rooms"), module):
            for room_type in _room_types_in(part):
                own |= room_type.sockets
        if own & sockets:
            found.append(module)
    return found


def server_events(sockets: frozenset[str]) -> dict[str, Schema]:
    """Event name -> payload schema of every event a socket serving `sockets` sends."""
    all_rooms = {rt.name for rt in all_room_types()}
    found: dict[str, Schema] = {}
    for module in event_modules(sockets):
        for constant, value in vars(module).items():
            if (
                not constant.isupper()
                or not isinstance(value, str)
                or value in all_rooms
                or value in found
            ):
                continue
            tp = payload_type(module, constant)
            found[value] = schema_of(tp) if tp is not None else {}
    return found


def dialect_emits(
    room_names: list[str], events: dict[str, Schema]
) -> dict[str, tuple[str, Schema]]:
    """Socket.IO name -> (Tidings event, payload schema) of each name the gateway adds.

    Each event is passed through the gateway's `emits_for` in every room type,
    with a payload whose values name its own fields, which shows both the
    renamed event and where each renamed field comes from.
    """
    emitted: dict[str, tuple[str, Schema]] = {}
    for event, schema in events.items():
        fields = schema.get("properties", {})
        probe = {name: name for name in fields}
        for room in room_names:
            for name, args in socketio_gateway.emits_for(
                {"event": event, "data": probe, "room": room, "seq": 1}
            ):
                payload = args[0] if isinstance(args, tuple | list) else args
                if name == event:
                    continue
                renamed: Schema = {"type": "object", "properties": {}}
                if isinstance(payload, dict):
                    for new, old in payload.items():
                        renamed["properties"][new] = fields.get(old, {})
                emitted[name] = (event, renamed)
    for room in room_names:
        reply = {"event": control_events.JOIN_ROOM_SUCCESS, "data": {"roomType": room}}
        for name, _args in socketio_gateway.emits_for(reply):
            if name != control_events.JOIN_ROOM_SUCCESS:
                emitted[name] = (
                    control_events.JOIN_ROOM_SUCCESS,
                    events.get(control_events.JOIN_ROOM_SUCCESS, {}),
                )
    return emitted


# -- descriptions from docs/PROTOCOL.md --------------------------------------------

_LEAD = re.compile(r"^(?:- |\| )((?:`[^`]+`(?:\s*(?:/|,|\(alias)\s*)?)+)")
_INLINE = re.compile(r"`([\w:.-]+) \{([^}`]*)\}`")


@lru_cache(maxsize=4)
def _protocol(mtime: float) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Event -> the PROTOCOL.md line that names it first; event -> its `{fields}`."""
    text = PROTOCOL.read_text(encoding="utf-8")
    described: dict[str, str] = {}
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        lead = _LEAD.match(line.strip())
        if lead:
            plain = " ".join(
                cell.strip() for cell in line.strip().lstrip("-").strip("|").split("|")
            )
            for name in re.findall(r"`([^`\s]+)`", lead.group(1)):
                described.setdefault(name, plain)
        for name, spec in _INLINE.findall(line):
            fields.setdefault(name, [f.strip() for f in spec.split(",") if f.strip()])
            described.setdefault(name, f"`{name} {{{spec}}}`")
    return described, fields


def protocol_notes() -> tuple[dict[str, str], dict[str, list[str]]]:
    if not PROTOCOL.exists():
        return {}, {}
    return _protocol(PROTOCOL.stat().st_mtime)


# -- the document ------------------------------------------------------------------


def _key(name: str) -> str:
    """A component key for a name: `order:ready` -> `order.ready` (not `order_ready`)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name.replace(":", "."))


def _room_data(types_here: list[RoomType]) -> Schema:
    properties: Schema = {
        "roomType": {"type": "string", "enum": [rt.name for rt in types_here]},
        "lastSeq": {"type": "integer", "minimum": 0},
    }
    for rt in types_here:
        if rt.id_field:
            properties[rt.id_field] = (
                {"type": ["integer", "string"]}
                if rt.numeric_id
                else {"type": "string", "pattern": room_registry.ID_PATTERN.pattern}
            )
    return {"type": "object", "required": ["roomType"], "properties": properties}


def client_data(name: str, types_here: list[RoomType], fields: list[str]) -> Schema:
    """The `data` of a client event: rooms from the room types, else PROTOCOL's fields."""
    if name in ENVELOPE_EVENTS:
        return ENVELOPE_EVENTS[name]
    if name in ROOM_EVENTS or name.startswith("join_"):
        room = _room_data(types_here)
        if name == "restore_rooms":
            return {
                "type": "object",
                "required": ["rooms"],
                "properties": {"rooms": {"type": "array", "items": room}},
            }
        return room
    spec = [f for f in fields if re.fullmatch(r"\w+\??", f)]
    if not spec:
        return {}
    return {
        "type": "object",
        "properties": {f.rstrip("?"): {} for f in spec},
        "required": [f for f in spec if not f.endswith("?")] or None,
    }


def _clean(schema: Schema) -> Schema:
    return {k: v for k, v in schema.items() if v is not None}


def _envelope(name: str, data: Schema, *, to_server: bool) -> Schema:
    properties: Schema = {"event": {"type": "string", "const": name}, "data": data}
    properties["ref"] = {
        "type": "string",
        "description": "Echoed on the direct reply"
        if to_server
        else "The ref of the client message this replies to",
    }
    if not to_server:
        properties["room"] = {"type": "string", "description": "Room events only"}
        properties["seq"] = {
            "type": "integer",
            "minimum": 1,
            "description": "Room events only: gap-free per room",
        }
    return {"type": "object", "required": ["event"], "properties": properties}


def _message(
    name: str, summary: str, description: str | None, payload: Schema
) -> Schema:
    message = {"name": name, "title": name, "summary": summary, "payload": payload}
    if description:
        message["description"] = description
    return message


def _channel(
    channel_id: str,
    address: str,
    description: str,
    client: dict[str, Schema],
    server: dict[str, Schema],
    notes: dict[str, str],
    operations: dict[str, Any],
) -> Schema:
    messages: dict[str, Schema] = {}
    for direction, table in (("client", client), ("server", server)):
        for name, payload in table.items():
            key = f"{direction}.{_key(name)}"
            summary = (
                f"`{name}` from the client"
                if direction == "client"
                else f"`{name}` from the server"
            )
            messages[key] = _message(name, summary, notes.get(name), payload)
            operations[f"{channel_id}.{direction}.{_key(name)}"] = {
                "action": "receive" if direction == "client" else "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{key}"}],
            }
    return {"address": address, "description": description, "messages": messages}


def build(host: str, secure: bool = False) -> Schema:
    """The AsyncAPI 3.0 document as a dict."""
    described, fields = protocol_notes()
    notes = dict(described)
    channels: dict[str, Schema] = {}
    operations: dict[str, Any] = {}
    for address, consumer in native_sockets():
        sockets = served_sockets(consumer)
        types_here = room_types(sockets)
        client = {
            name: _envelope(
                name,
                _clean(client_data(name, types_here, fields.get(name, []))),
                to_server=True,
            )
            for name in [*client_events(consumer), *ENVELOPE_EVENTS]
        }
        server = {
            name: _envelope(name, schema, to_server=False)
            for name, schema in server_events(sockets).items()
        }
        channel_id = _key(address.strip("/").replace("/", "_")) or "root"
        channels[channel_id] = _channel(
            channel_id,
            address,
            f"Native socket `{address}` ({consumer.__name__}): JSON text frames "
            "`{event, data, ref?}` in, `{event, data, room?, seq?, ref?}` out "
            "(PROTOCOL sections 2-7).",
            client,
            server,
            notes,
            operations,
        )
    for session in socketio_sessions():
        sockets = served_sockets(session)
        types_here = room_types(sockets)
        events_here = server_events(sockets)
        client = {
            name: _clean(client_data(name, types_here, fields.get(name, [])))
            for name in client_events(session)
        }
        server = dict(events_here)
        for name, (original, schema) in dialect_emits(
            [rt.name for rt in types_here], events_here
        ).items():
            server[name] = schema
            notes.setdefault(name, f"`{original}` in the original dialect")
        channel_id = (
            "socketio" if "socketio" not in channels else _key(session.__name__)
        )
        channels[channel_id] = _channel(
            channel_id,
            "/socket.io/",
            f"Socket.IO (Engine.IO 4, polling and websocket, default namespace; "
            f"{session.__name__}) for clients of the original services: each "
            "event's first argument is the payload below; room events carry a "
            "second argument `{room, seq}` (PROTOCOL section 10).",
            client,
            server,
            notes,
            operations,
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tidings real-time API",
            "version": "1",
            "description": "Every socket of Tidings, generated from the event "
            "tables of the running code. The contract is docs/PROTOCOL.md; "
            "REST is described by the OpenAPI schema at /api/schema/.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "tidings": {
                "host": host,
                "protocol": "wss" if secure else "ws",
                "description": "Native sockets and the Socket.IO gateway",
            }
        },
        "channels": channels,
        "operations": operations,
    }


class _Dumper(yaml.SafeDumper):
    """Shared schemas written out in full: no YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(document: Schema) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


@require_GET
def asyncapi_yaml(request: HttpRequest) -> HttpResponse:
    """The document, for the host the request came to."""
    text = to_yaml(build(request.get_host(), request.is_secure()))
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")
