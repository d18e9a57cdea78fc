#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz_proto (tests/fuzz/corpus/proto/): one input
per command, plus sequences that reach deeper state (a source with items,
reads and captures of it, duplicates, noise before requests). The record
format is described at the top of fuzz_proto.c. Run it again after changing
the format; the output is deterministic.

    python3 tests/fuzz/make_proto_corpus.py [OUT_DIR]
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import Dict, List

SELF_GUID = bytes([0x5E, 0x1F, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                   0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D])
GUID = bytes(range(0xA1, 0xB1))
TAG = 0x1234


def req(cmd: int, rid: int, payload: bytes = b"", per_byte: bool = True) -> bytes:
    """A kind-1 record: a clean request (the harness adds CRC, COBS, 0x00s)."""
    op = 0x01 | (0 if per_byte else 0x04)
    if len(payload) > 255:
        assert len(payload) % 4 == 0 and len(payload) // 4 <= 255
        op |= 0x08
        n = len(payload) // 4
    else:
        n = len(payload)
    return bytes([op, n, cmd, rid]) + struct.pack("<H", TAG) + payload


def repeat() -> bytes:
    return b"\x02"


def noise(data: bytes, per_byte: bool = True) -> bytes:
    assert len(data) <= 255
    return bytes([0x00 | (0 if per_byte else 0x04), len(data)]) + data


def frame_wire(cmd: int, rid: int, payload: bytes = b"") -> bytes:
    """0x00 + COBS(frame) + 0x00, as the host tool sends a request."""
    import zlib
    raw = bytes([cmd, rid]) + struct.pack("<H", TAG) + payload
    raw += struct.pack("<I", zlib.crc32(raw))
    out, block = bytearray(), bytearray()
    for b in raw:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    out += bytes([len(block) + 1]) + block
    return b"\x00" + bytes(out) + b"\x00"


def held(data: bytes) -> bytes:
    """A kind-0 record whose bytes arrive during the device's next send."""
    assert len(data) <= 255
    return bytes([0x08, len(data)]) + data


def damaged(cmd: int, rid: int, payload: bytes, at: int, bit: int) -> bytes:
    return bytes([0x03 | (bit << 5), len(payload), cmd, rid]) + struct.pack("<H", TAG) + \
        payload + bytes([at])


def create(rid: int, item: int = 16, count: int = 8, guid: bytes = GUID) -> bytes:
    return req(0x10, rid, guid + b"fuzz".ljust(16, b"\0") + struct.pack("<HHI", item, 0, count))


def write(rid: int, data: bytes, guid: bytes = GUID) -> bytes:
    return req(0x12, rid, guid + data)


def read(cmd: int, rid: int, max_items: int = 0, guid: bytes = GUID) -> bytes:
    return req(cmd, rid, guid + struct.pack("<HH", max_items, 0))


def capture(cmd: int, rid: int, from_seq: int = 0, flags: int = 0, guid: bytes = GUID) -> bytes:
    return req(cmd, rid, guid + struct.pack("<II", from_seq, flags))


def seeds() -> Dict[str, bytes]:
    s: Dict[str, bytes] = {}
    s["info"] = req(0x01, 1)
    s["reset"] = req(0x02, 2)
    s["create"] = create(3)
    s["create_self"] = create(3, 32, 8, SELF_GUID)
    s["open_self"] = req(0x11, 4, SELF_GUID)
    s["write_self"] = write(5, b"hello", SELF_GUID)
    s["read_self"] = read(0x20, 6)
    s["capture_self"] = capture(0x21, 7)
    s["capture_self_from"] = capture(0x21, 7, 1, 1)
    s["list"] = req(0x16, 8, struct.pack("<HH", 0, 0))
    s["triage_list"] = req(0x30, 9, struct.pack("<HH", 0, 0))
    s["dump_status"] = req(0x40, 10)
    s["dump_read"] = req(0x41, 11, struct.pack("<HHII", 0, 0, 0, 512))
    s["dump_read_mid"] = req(0x41, 11, struct.pack("<HHII", 0, 0, 200, 1016))
    s["dump_erase"] = req(0x42, 12, struct.pack("<HHI", 0, 0, 0))
    s["dump_erase_force"] = req(0x42, 12, struct.pack("<HHI", 0, 1, 0))
    s["fault"] = req(0x50, 13, struct.pack("<I", 1))
    s["unknown"] = req(0x77, 14, b"\x01\x02")
    s["response_echo"] = req(0x81, 15)
    src: List[bytes] = [create(20)]
    src += [write(21 + i, bytes([0x41 + i]) * (1 + i * 3)) for i in range(10)]
    s["source_write_read"] = b"".join(src + [read(0x13, 40, 3), read(0x13, 41)])
    s["source_capture"] = b"".join(src + [capture(0x14, 42), capture(0x14, 43, 5, 1)])
    s["source_open_destroy"] = b"".join([create(20), req(0x11, 44, GUID), req(0x15, 45, GUID),
                                         req(0x11, 46, GUID)])
    s["write_duplicated"] = b"".join([create(20), write(21, b"once"), repeat(), repeat(),
                                      read(0x13, 22), repeat()])
    s["read_duplicated_noise"] = b"".join(src + [read(0x13, 40, 2), noise(b"\xffAB"), repeat(),
                                                 read(0x13, 41, 2)])
    s["noise_then_request"] = noise(b"\xff\x01\x02boot>\r\n") + req(0x01, 50)
    s["noise_glued"] = noise(b"\x05\x01\x02") + bytes([0x11, 0, 0x01, 51]) + b"\x34\x12"
    s["bytes_while_pending"] = req(0x01, 52, per_byte=False) + noise(
        b"\x03\x01\x01\x05\x4e\xd2\x3a\x98\x00", per_byte=False) + req(0x01, 53)
    s["damaged_request"] = damaged(0x12, 54, GUID + b"xyz", 7, 3) + req(0x01, 55)
    s["many_sources"] = b"".join(create(60 + i, 8, 4, bytes([i + 1]) * 16) for i in range(8)) + \
        req(0x16, 70, struct.pack("<HH", 0, 0)) + req(0x16, 71, struct.pack("<HH", 3, 0))
    s["big_write"] = create(20, 256, 4) + write(80, bytes(range(256)) * 1 + b"\x00" * 4)
    s["dump_pull"] = req(0x40, 90) + b"".join(
        req(0x41, 91 + i, struct.pack("<HHII", 0, 0, i * 1000, 1000)) for i in range(4))
    s["request_during_send"] = held(frame_wire(0x01, 100)) + noise(frame_wire(0x11, 101, SELF_GUID))
    s["write_during_send"] = create(20) + held(frame_wire(0x12, 102, GUID + b"isr")) + \
        noise(frame_wire(0x12, 103, GUID + b"thread")) + read(0x13, 104)
    return s


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parent / "corpus" / "proto"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (out / f"seed_{name}").write_bytes(data)
    print(f"{len(seeds())} seeds in {out}")


if __name__ == "__main__":
    main()
