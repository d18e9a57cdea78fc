# SPDX-License-Identifier: Apache-2.0
"""An in-memory crashdump device for host tests: the protocol of docs/protocol.md
with simple rings, behind a fake Transport or a TCP socket.

It is written from the spec, not from the client: it parses requests and builds
replies with struct directly, not with crashdump.protocol.wire, so client and fake do
not share a layout mistake. COBS comes from crashdump.protocol.framing, which
test_framing.py checks against published vectors.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, List, Optional, Tuple

from crashdump.protocol.framing import cobs_decode, cobs_encode
from crashdump.protocol.transport import Transport

OK, INVAL, MALFORMED, UNKNOWN_CMD, UNKNOWN_SOURCE, SOURCE_LIMIT = 0, -1, -2, -3, -4, -5
RING_TOO_LARGE, ITEM_TOO_LARGE, GEOMETRY = -6, -7, -8

SELF_GUID = uuid.UUID("4beef53e-2548-4120-a35b-e601410facd3")


def stride(item_size: int) -> int:
    return 4 + ((item_size + 3) & ~3)


@dataclass
class Ring:
    guid: bytes
    label: bytes
    item_size: int
    count: int
    flags: int = 0
    head: int = 0
    items: Deque[Tuple[int, bytes]] = field(default_factory=deque)
    lost_total: int = 0
    lost_unreported: int = 0

    def write(self, data: bytes) -> int:
        if len(self.items) == self.count:
            self.items.popleft()
            self.lost_total += 1
            self.lost_unreported += 1
        seq = self.head
        self.items.append((seq, data))
        self.head = (self.head + 1) & 0xFFFFFFFF
        return seq

    def oldest(self) -> int:
        return self.items[0][0] if self.items else self.head

    def describe(self, extra_flags: int = 0) -> bytes:
        return struct.pack("<16s16sHHIIII", self.guid, self.label, self.item_size,
                           self.flags | extra_flags, self.count, self.head, self.oldest(),
                           self.lost_total)


class FakeDevice:
    """Answers request frames like the firmware would."""

    def __init__(self, frame_max: int = 1024, source_max: int = 4, ring_max_bytes: int = 8192,
                 item_max: int = 256, triage: Optional[List[Tuple[int, int]]] = None) -> None:
        self.frame_max = frame_max
        self.source_max = source_max
        self.ring_max_bytes = ring_max_bytes
        self.item_max = item_max
        self.triage = list(triage or [])
        self.self_ring = Ring(SELF_GUID.bytes, b"self".ljust(16, b"\0"), 32, 16, flags=2)
        self.sources: List[Ring] = []
        self.boot_count = 1
        self.rx_frames = 0
        self.rx_errors = 0
        self.requests: List[Tuple[int, bytes]] = []  # (cmd, payload) of every good request
        self.silent = False                  # drop every request
        self.before_reply: Optional[Callable[[int, bytes], None]] = None
        self.junk_before_reply = b""         # bytes sent ahead of every reply
        self.dedup = True                    # answer a repeated request from the kept reply
        self.executed: List[Tuple[int, bytes]] = []  # (cmd, payload) actually executed
        self._last: Optional[Tuple[bytes, bytes]] = None  # (request frame, its reply)
        self._rx = bytearray()

    # ---------------------------------------------------------------- bytes in, bytes out

    def receive(self, data: bytes) -> bytes:
        out = bytearray()
        self._rx += data
        while 0 in self._rx:
            end = self._rx.index(0)
            chunk, self._rx = bytes(self._rx[:end]), self._rx[end + 1:]
            if not chunk:
                continue
            try:
                raw = cobs_decode(chunk)
            except Exception:
                self.rx_errors += 1
                continue
            if len(raw) < 8 or len(raw) > self.frame_max or \
                    zlib.crc32(raw[:-4]) != struct.unpack("<I", raw[-4:])[0]:
                self.rx_errors += 1
                continue
            self.rx_frames += 1
            cmd, fid, _tag = struct.unpack_from("<BBh", raw)
            payload = raw[4:-4]
            self.requests.append((cmd, payload))
            if self.silent:
                continue
            if self.dedup and self._last is not None and self._last[0] == raw:
                out += self.junk_before_reply + self._last[1]  # a repeat: not executed
                continue
            if self.before_reply:
                self.before_reply(cmd, payload)
            self.executed.append((cmd, payload))
            status, reply = self.handle(cmd, payload)
            answer = self.frame(cmd | 0x80, fid, status, reply)
            self._last = (raw, answer)
            out += self.junk_before_reply + answer
        return bytes(out)

    @staticmethod
    def frame(cmd: int, fid: int, status: int, payload: bytes) -> bytes:
        body = struct.pack("<BBh", cmd, fid, status) + payload
        return cobs_encode(body + struct.pack("<I", zlib.crc32(body))) + b"\0"

    # ---------------------------------------------------------------- commands

    def find(self, guid: bytes) -> Optional[Ring]:
        return next((r for r in self.sources if r.guid == guid), None)

    def handle(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        handler = {0x01: self.info, 0x02: self.reset, 0x10: self.create, 0x11: self.open,
                   0x12: self.write, 0x13: self.read, 0x14: self.capture, 0x15: self.destroy,
                   0x16: self.list_sources, 0x20: self.read, 0x21: self.capture,
                   0x30: self.list_triage}.get(cmd)
        if handler is None:
            return UNKNOWN_CMD, b""
        return handler(cmd, p)

    def info(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if p:
            return MALFORMED, b""
        build_id = bytes(range(1, 21))
        return OK, struct.pack(
            "<HHIHHIHHHHI16sIIIB3x20s32s", 1, self.frame_max,
            0b10111 | (0x40 if self.dedup else 0), self.source_max,
            len(self.sources), self.ring_max_bytes, self.item_max, 8, len(self.triage),
            self.self_ring.item_size, self.self_ring.count, self.self_ring.guid,
            self.boot_count, self.rx_frames, self.rx_errors, 20, build_id, b"fake-device")

    def reset(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        self.boot_count += 1
        self.rx_frames = self.rx_errors = 0
        return OK, b""

    def create(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) != 40:
            return MALFORMED, b""
        guid, label, item_size, _res, count = struct.unpack("<16s16sHHI", p)
        if guid == bytes(16) or item_size == 0 or count == 0:
            return INVAL, b""
        ring = self.find(guid)
        if ring is not None:
            if (ring.item_size, ring.count) != (item_size, count):
                return GEOMETRY, b""
            return OK, ring.describe(extra_flags=1)
        if item_size > self.item_max:
            return ITEM_TOO_LARGE, b""
        if count * stride(item_size) > self.ring_max_bytes:
            return RING_TOO_LARGE, b""
        if len(self.sources) == self.source_max:
            return SOURCE_LIMIT, b""
        ring = Ring(guid, label, item_size, count)
        self.sources.append(ring)
        return OK, ring.describe()

    def open(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) != 16:
            return MALFORMED, b""
        ring = self.find(p)
        return (OK, ring.describe()) if ring else (UNKNOWN_SOURCE, b"")

    def write(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) < 16:
            return MALFORMED, b""
        ring = self.find(p[:16])
        if ring is None:
            return UNKNOWN_SOURCE, b""
        data = p[16:]
        if not data:
            return INVAL, b""
        if len(data) > ring.item_size:
            return ITEM_TOO_LARGE, b""
        return OK, struct.pack("<I", ring.write(data))

    def _ring_for(self, cmd: int, guid: bytes) -> Optional[Ring]:
        return self.self_ring if cmd in (0x20, 0x21) else self.find(guid)

    def _items(self, first: int, head: int, lost: int, items: List[bytes]) -> bytes:
        return struct.pack("<IIIHH", first, head, lost, len(items), 0) + \
            b"".join(struct.pack("<H", len(d)) + d for d in items)

    def _fit(self, items: List[Tuple[int, bytes]], limit: int) -> List[Tuple[int, bytes]]:
        room = self.frame_max - 8 - 16
        taken = []
        for seq, data in items:
            if room < 2 + len(data) or (limit and len(taken) == limit):
                break
            room -= 2 + len(data)
            taken.append((seq, data))
        return taken

    def read(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) != 20:
            return MALFORMED, b""
        guid, max_items, _ = struct.unpack("<16sHH", p)
        ring = self._ring_for(cmd, guid)
        if ring is None:
            return UNKNOWN_SOURCE, b""
        taken = self._fit(list(ring.items), max_items)
        for _ in taken:
            ring.items.popleft()
        lost, ring.lost_unreported = ring.lost_unreported, 0
        first = taken[0][0] if taken else ring.head
        return OK, self._items(first, ring.head, lost, [d for _, d in taken])

    def capture(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) != 24:
            return MALFORMED, b""
        guid, from_seq, flags = struct.unpack("<16sII", p)
        ring = self._ring_for(cmd, guid)
        if ring is None:
            return UNKNOWN_SOURCE, b""
        items = list(ring.items)
        if flags & 1:
            items = [(s, d) for s, d in items if ((s - from_seq) & 0xFFFFFFFF) < 1 << 31]
        taken = self._fit(items, 0)
        first = taken[0][0] if taken else ring.head
        return OK, self._items(first, ring.head, ring.lost_total, [d for _, d in taken])

    def destroy(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if len(p) != 16:
            return MALFORMED, b""
        ring = self.find(p)
        if ring is None:
            return UNKNOWN_SOURCE, b""
        self.sources.remove(ring)
        return OK, b""

    def _page(self, p: bytes, entries: List[bytes]) -> Tuple[int, bytes]:
        if len(p) != 4:
            return MALFORMED, b""
        (start,) = struct.unpack_from("<H", p)
        room = self.frame_max - 8 - 4
        page = []
        for e in entries[start:]:
            if room < len(e):
                break
            room -= len(e)
            page.append(e)
        return OK, struct.pack("<HH", len(entries), len(page)) + b"".join(page)

    def list_sources(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        return self._page(p, [r.describe() for r in self.sources])

    def list_triage(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        return self._page(p, [struct.pack("<II", a, n) for a, n in self.triage])


class FakeTransport(Transport):
    """A Transport wired straight to a FakeDevice."""

    def __init__(self, device: FakeDevice, port: str = "fake://dev") -> None:
        self.device = device
        self.port = port
        self.pending = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.pending += self.device.receive(data)

    def read(self, timeout: float) -> bytes:
        if not self.pending:
            time.sleep(min(timeout, 0.01))
            return b""
        data, self.pending = bytes(self.pending), bytearray()
        return data

    def close(self) -> None:
        self.closed = True


class FakeServer:
    """Serves a FakeDevice on 127.0.0.1:<port>, one connection at a time, so the
    real SerialTransport (socket://) and the CLI can be tested against it."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self._sock.settimeout(0.1)
        self.url = f"socket://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.1)
                while not self._stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    reply = self.device.receive(data)
                    if reply:
                        conn.sendall(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> "FakeServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
