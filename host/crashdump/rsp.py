# SPDX-License-Identifier: Apache-2.0
"""GDB remote serial protocol (RSP) packet codec, shared by both ends we
implement: the pyOCD probe plugin (a client of QEMU's or Renode's GDB stub)
and `crashdump gdbserver` (a server for GDB).

Pure bytes in, bytes out; no sockets here. A packet is `$payload#cs` where cs
is the payload's byte sum mod 256 as two hex digits. In the payload, `#`, `$`,
`}` and `*` are escaped as `}` followed by the byte XOR 0x20; a server may
run-length encode a reply as `X*n` (repeat X n-29 more times).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

INTERRUPT = b"\x03"
ACK = b"+"
NAK = b"-"
_ESCAPED = frozenset(b"#$}*")


class RspFormatError(ValueError):
    """A packet's framing or checksum is wrong."""


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in _ESCAPED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Undoes escape() and expands run-length encoding."""
    if b"}" not in data and b"*" not in data:
        return bytes(data)  # the common case (hex replies): no per-byte loop
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x7D:
            if i + 1 >= len(data):
                raise RspFormatError("packet ends inside an escape")
            out.append(data[i + 1] ^ 0x20)
            i += 2
        elif b == 0x2A:  # '*': repeat the previous byte
            if not out or i + 1 >= len(data):
                raise RspFormatError("run-length marker without a byte to repeat")
            out += out[-1:] * (data[i + 1] - 29)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def encode(payload: bytes) -> bytes:
    """One framed packet; payload is escaped here."""
    body = escape(payload)
    return b"$" + body + b"#%02x" % checksum(body)


class PacketReader:
    """Splits a byte stream into packets. feed() returns what completed:
    ("packet", payload) with escapes and run-lengths undone, ("bad", raw) for a
    checksum mismatch (answer with NAK), ("ack", b"+"), ("nak", b"-") or
    ("interrupt", b"\\x03")."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> List[Tuple[str, bytes]]:
        self._buf += data
        events: List[Tuple[str, bytes]] = []
        while self._buf:
            lead = self._buf[0]
            if lead == 0x24:  # '$'
                end = self._buf.find(b"#")
                if end < 0 or len(self._buf) < end + 3:
                    break
                body = bytes(self._buf[1:end])
                cs = bytes(self._buf[end + 1:end + 3])
                del self._buf[:end + 3]
                try:
                    good = int(cs, 16) == checksum(body)
                except ValueError:
                    good = False
                if not good:
                    events.append(("bad", body))
                    continue
                try:
                    events.append(("packet", unescape(body)))
                except RspFormatError:
                    events.append(("bad", body))
            else:
                del self._buf[:1]
                kind = {0x2B: "ack", 0x2D: "nak", 0x03: "interrupt"}.get(lead)
                if kind:
                    events.append((kind, bytes((lead,))))
                # anything else between packets is line noise: dropped
        return events

    def pending(self) -> Optional[bytes]:
        return bytes(self._buf) or None


def hex_u32_le(value: int) -> bytes:
    """A register value as GDB sends it for a little-endian 32-bit target."""
    return (value & 0xFFFFFFFF).to_bytes(4, "little").hex().encode()


def parse_hex_u32_le(text: bytes) -> int:
    return int.from_bytes(bytes.fromhex(text.decode()), "little")
