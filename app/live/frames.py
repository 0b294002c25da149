"""Binary frame messages (docs/protocol.md): 4-byte big-endian header length, JSON header, image."""

from __future__ import annotations

import json
import struct


def pack(header: dict, data: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + data


def unpack(message: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack(">I", message[:4])
    return json.loads(message[4 : 4 + n]), message[4 + n :]


def error(code: str, message: str, seq: int | None = None) -> dict:
    return {"type": "error", "code": code, "message": message, "seq": seq}
