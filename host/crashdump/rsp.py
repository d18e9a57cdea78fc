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

import re
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


# A packet body (between `$` and `#`, still escaped) longer than this is
# rejected unless the reader is told otherwise: 64 KiB is four times the
# PacketSize our gdbserver advertises and 16 times QEMU's.
DEFAULT_MAX_BODY = 1 << 16

_IDLE, _BODY, _CHECKSUM, _SKIP, _SKIP_CS = range(5)
_BETWEEN = re.compile(rb"[$+\-\x03]")   # what matters between packets
_IN_BODY = re.compile(rb"[#$]")          # what ends (or restarts) a body
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SINGLE = {0x2B: "ack", 0x2D: "nak", 0x03: "interrupt"}


class PacketReader:
    """Splits a byte stream into packets. feed() returns what completed:
    ("packet", payload) with escapes and run-lengths undone, ("bad", raw) for a
    checksum mismatch (answer with NAK), ("cut", raw) for a packet cut short
    by a new `$` (not answered: the packet that follows is, and a NAK would make
    its sender send that one twice), ("overlong", first bytes) for a body longer
    than max_body (a NAK; the rest of it is skipped up to its `#cs` or the next
    `$`), ("ack", b"+"), ("nak", b"-") or ("interrupt", b"\\x03").

    The reader is a state machine over each chunk, scanned once: it keeps at
    most max_body bytes between calls, and its work is proportional to the
    bytes fed (plus the run-length expansion of what it returns). A raw `$`
    cannot occur inside a well-formed body (it is escaped), so one starts a new
    packet, as in GDB's own reader: a sender resynchronises with its next packet.
    """

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        if max_body < 1:
            raise ValueError("max_body must be positive")
        self.max_body = max_body
        self._state = _IDLE
        self._body = bytearray()
        self._cs = bytearray()

    def feed(self, data: bytes) -> List[Tuple[str, bytes]]:
        events: List[Tuple[str, bytes]] = []
        data = bytes(data)
        i, n = 0, len(data)
        while i < n:
            if self._state == _IDLE:
                m = _BETWEEN.search(data, i)
                if m is None:
                    break  # line noise between packets: dropped
                i = m.end()
                lead = data[m.start()]
                if lead == 0x24:  # '$'
                    self._state = _BODY
                else:
                    events.append((_SINGLE[lead], bytes((lead,))))
            elif self._state in (_BODY, _SKIP):
                m = _IN_BODY.search(data, i)
                stop = n if m is None else m.start()
                if self._state == _BODY:
                    if len(self._body) + (stop - i) > self.max_body:
                        events.append(("overlong", bytes(self._body[:32])))
                        self._body.clear()
                        self._state = _SKIP
                    else:
                        self._body += data[i:stop]
                if m is None:
                    break
                i = m.end()
                if data[m.start()] == 0x24:  # '$': a new packet; the old one is cut short
                    if self._state == _BODY:
                        events.append(("cut", bytes(self._body)))
                    self._body.clear()
                    self._state = _BODY
                else:
                    self._state = _CHECKSUM if self._state == _BODY else _SKIP_CS
            else:  # _CHECKSUM or _SKIP_CS: two checksum characters
                take = min(2 - len(self._cs), n - i)
                self._cs += data[i:i + take]
                i += take
                if len(self._cs) == 2:
                    if self._state == _CHECKSUM:
                        events.append(self._complete())
                    self._body.clear()
                    self._cs.clear()
                    self._state = _IDLE
        return events

    def _complete(self) -> Tuple[str, bytes]:
        body, cs = bytes(self._body), self._cs
        if not all(c in _HEX for c in cs) or int(cs, 16) != checksum(body):
            return ("bad", body)
        try:
            return ("packet", unescape(body))
        except RspFormatError:
            return ("bad", body)

    def buffered(self) -> int:
        """Bytes held for a packet not yet complete (at most max_body + 2)."""
        return len(self._body) + len(self._cs)

    def pending(self) -> Optional[bytes]:
        """The start of a packet not yet complete, as received, or None."""
        if self._state == _IDLE:
            return None
        if self._state in (_SKIP, _SKIP_CS):
            return b"$"  # an overlong body being skipped; its bytes are not kept
        return b"$" + bytes(self._body) + (b"#" + bytes(self._cs) if self._state == _CHECKSUM else b"")


def hex_u32_le(value: int) -> bytes:
    """A register value as GDB sends it for a little-endian 32-bit target."""
    return (value & 0xFFFFFFFF).to_bytes(4, "little").hex().encode()


def parse_hex_u32_le(text: bytes) -> int:
    return int.from_bytes(bytes.fromhex(text.decode()), "little")
