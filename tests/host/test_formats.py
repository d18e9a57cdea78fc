# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import struct
import uuid

import pytest

from crashdump.errors import ProtocolError
from crashdump.protocol import wire

# Sizes stated in docs/protocol.md.
DOCUMENTED_SIZES = {"cd_wire_info_t": 112, "cd_wire_create_t": 40, "cd_wire_source_t": 52,
                    "cd_wire_seq_t": 4, "cd_wire_read_t": 20, "cd_wire_capture_t": 24,
                    "cd_wire_items_t": 16, "cd_wire_page_t": 4, "cd_wire_list_t": 4,
                    "cd_wire_range_t": 8}


def test_struct_sizes_match_protocol_doc() -> None:
    assert {s.c_name: s.size for s in wire.WIRE_STRUCTS} == DOCUMENTED_SIZES
    assert wire.INFO.offsets["self_guid"] == 28
    assert wire.INFO.offsets["build_id"] == 60
    assert wire.INFO.offsets["name"] == 80


def info_payload(version: int = 1, build_id_len: int = 4, name: bytes = b"demo") -> bytes:
    return struct.pack("<HHIHHIHHHHI16sIIIB3x20s32s", version, 1024, 0b101, 4, 1, 8192, 256,
                       8, 2, 64, 128, uuid.UUID(int=0x1234).bytes, 3, 10, 1, build_id_len,
                       b"\xde\xad\xbe\xef" + bytes(16), name)


def test_parse_info() -> None:
    info = wire.parse_info(info_payload())
    assert info.frame_max == 1024
    assert info.caps == wire.Caps.SOURCES | wire.Caps.RESET
    assert info.self_guid == uuid.UUID(int=0x1234)
    assert info.build_id == b"\xde\xad\xbe\xef"
    assert info.name == "demo"
    assert (info.boot_count, info.rx_frames, info.rx_errors) == (3, 10, 1)


def test_parse_info_rejects_other_version_and_length() -> None:
    with pytest.raises(ProtocolError, match="version 2"):
        wire.parse_info(info_payload(version=2))
    with pytest.raises(ProtocolError, match="111 bytes, expected 112"):
        wire.parse_info(info_payload()[:-1])


def test_build_create_layout_and_label() -> None:
    g = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    raw = wire.build_create(g, "a-label-longer-than-16", 32, 9)
    assert raw[:16] == bytes.fromhex("00112233445566778899aabbccddeeff")
    assert raw[16:32] == b"a-label-longer-t"
    assert raw[32:] == struct.pack("<HHI", 32, 0, 9)
    assert wire.build_create(g, "ab", 1, 1)[16:32] == b"ab" + bytes(14)
    with pytest.raises(ValueError):
        wire.build_create(g, "x", 70000, 1)


def test_build_capture_flags() -> None:
    g = uuid.UUID(int=1)
    assert wire.build_capture(g)[16:] == struct.pack("<II", 0, 0)
    assert wire.build_capture(g, 5)[16:] == struct.pack("<II", 5, wire.CAPTURE_F_FROM)


def items(first: int, records: list, extra: bytes = b"", n: int = -1) -> bytes:
    body = b"".join(struct.pack("<H", len(r)) + r for r in records)
    return struct.pack("<IIIHH", first, (first + len(records)) & 0xFFFFFFFF, 2,
                       len(records) if n < 0 else n, 0) + body + extra


def test_parse_items() -> None:
    reply = wire.parse_items(items(0xFFFFFFFF, [b"a", b"", b"ccc"]))
    assert [(r.seq, r.data) for r in reply.records] == [(0xFFFFFFFF, b"a"), (0, b""), (1, b"ccc")]
    assert reply.lost == 2


@pytest.mark.parametrize("payload,match", [
    (items(0, [b"ab"], n=2), "truncated"),
    (items(0, [b"ab"], extra=b"x"), "after"),
    (items(0, [b"ab"])[:-1], "truncated"),
    (b"\x00" * 15, "shorter"),
])
def test_parse_items_rejects_bad_lengths(payload: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        wire.parse_items(payload)


def test_parse_source_and_flags() -> None:
    raw = struct.pack("<16s16sHHIIII", uuid.UUID(int=7).bytes, b"sixteen-byte-lbl", 32,
                      wire.SRC_F_REATTACHED | wire.SRC_F_SELF, 8, 2, 0xFFFFFFFE, 1)
    s = wire.parse_source(raw)
    assert s.label == "sixteen-byte-lbl"
    assert s.reattached and s.is_self
    assert s.held == 4  # wraps around 2^32
    with pytest.raises(ProtocolError):
        wire.parse_source(raw + b"\x00")


def test_parse_list_checks_entry_count() -> None:
    entry = struct.pack("<II", 0x20000000, 16)
    total, ranges = wire.parse_range_list(struct.pack("<HH", 3, 1) + entry)
    assert total == 3 and ranges == [wire.Range(0x20000000, 16)]
    with pytest.raises(ProtocolError):
        wire.parse_range_list(struct.pack("<HH", 3, 2) + entry)


def test_ring_stride_and_seq_diff() -> None:
    assert [wire.ring_stride(n) for n in (1, 4, 5, 32)] == [8, 8, 12, 36]
    assert wire.seq_diff(1, 0xFFFFFFFF) == 2
    assert wire.decode_text(b"ab\x00cd") == "ab"
