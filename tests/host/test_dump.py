# SPDX-License-Identifier: Apache-2.0
"""crashdump.dumpfile: parse and build crash dump files (cd_format.h, "crash dumps")."""
from __future__ import annotations

import random
import struct
import uuid
from typing import List

import pytest

from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.format import SEC_F_SELF, SEC_F_TRUNCATED, SecType
from crashdump.dumpfile.parse import (HDR_LEN, Additional, FaultRegs, Fpu, MemBlock, Regs, crc32,
                                      decode_ring, parse_dump, split_slots)
from crashdump.errors import DumpFormatError

REGS = Regs(r=tuple(range(13)), sp=0x20000F00, lr=0x1AD, pc=0x24A, xpsr=0x01000000,
            exc_return=0xFFFFFFFD, valid=7)


def full_dump() -> bytes:
    return build_dump(
        regs=REGS, fault=FaultRegs(cfsr=1 << 9 | 1 << 15, bfar=0x40000000),
        fpu=Fpu(s=tuple(range(32)), fpscr=5),
        stack=MemBlock(0x20000F00, bytes(range(64))),
        rings=[(build_ring([b"x%d" % i for i in range(5)], item_size=4, count=3, label="self"),
                SEC_F_SELF)],
        triage=[MemBlock(0x20000000, b"\x11" * 16), MemBlock(0x30000000, b"", status=-10,
                                                             length=8)],
        additional=[Additional(uuid.UUID(int=7), b"blob")], build_id=bytes(range(20)))


def small_dump() -> bytes:
    return build_dump(regs=REGS, stack=MemBlock(0x20000F00, b"\1\2\3\4"),
                      rings=[build_ring([b"ab", b"cd"], item_size=2, count=2)])


def test_round_trip() -> None:
    d = parse_dump(full_dump(), strict=True)
    assert d.regs == REGS
    assert d.fault == FaultRegs(cfsr=1 << 9 | 1 << 15, bfar=0x40000000)
    assert d.fpu is not None and d.fpu.s[31] == 31 and d.fpu.fpscr == 5
    assert d.stack is not None and d.stack.data == bytes(range(64))
    assert d.read_u32(0x20000F04) == struct.unpack("<I", bytes([4, 5, 6, 7]))[0]
    assert d.read(0x20000F3E, 4) is None
    assert [t.status for t in d.triage] == [0, -10]
    assert d.additional == [Additional(uuid.UUID(int=7), b"blob")]
    assert d.header.build_id == bytes(range(20)) and d.header.component == "demo"
    ring = d.rings[0]
    assert ring.is_self and ring.label == "self"
    assert [(r.seq, r.data) for r in ring.records] == [(2, b"x2"), (3, b"x3"), (4, b"x4")]
    assert d.warnings == []


@pytest.mark.parametrize("n_items,count,read,expect_first,overwritten", [
    (0, 4, 0, None, 0), (3, 4, 0, 0, 0), (4, 4, 0, 0, 0), (9, 4, 0, 5, 5), (9, 4, 3, 5, 2),
    (9, 4, 7, 7, 0), (9, 4, 9, None, 0),
])
def test_ring_records_wrap_and_lost_counts(n_items: int, count: int, read: int,
                                           expect_first: object, overwritten: int) -> None:
    image = build_ring([bytes([i]) * (i % 3 + 1) for i in range(n_items)], item_size=3,
                       count=count, read=read, lost=11)
    ring = decode_ring(image)
    seqs = [r.seq for r in ring.records]
    if expect_first is None:
        assert seqs == []
    else:
        assert seqs == list(range(expect_first, n_items))
    for r in ring.records:
        assert r.data == bytes([r.seq]) * (r.seq % 3 + 1)
    assert ring.overwritten == overwritten and ring.lost == 11
    assert ring.total_lost == 11 + overwritten


def test_ring_sequence_wraps_modulo_2_32() -> None:
    image = build_ring([b"%d" % i for i in range(6)], item_size=2, count=4,
                       start_seq=0xFFFFFFFE)
    ring = decode_ring(image)
    assert [r.seq for r in ring.records] == [0, 1, 2, 3]
    assert [r.data for r in ring.records] == [b"2", b"3", b"4", b"5"]
    assert ring.overwritten == 2


def test_truncated_ring_section_reports_missing_slots() -> None:
    image = build_ring([b"a", b"b", b"c"], item_size=4, count=4)
    cut = image[:68 + 2 * 8]  # two of four slots
    ring = decode_ring(cut, flags=SEC_F_TRUNCATED)
    assert [r.data for r in ring.records] == [b"a", b"b"] and ring.missing == 1
    with pytest.raises(DumpFormatError, match="ring header inconsistent"):
        decode_ring(cut)  # without the flag a short ring is an error


@pytest.mark.parametrize("offset,value,what", [
    (0, 0x47524444, "magic"), (4, 2, "version"), (48, 0, "CRC"), (64, 9, "idx"),
])
def test_ring_header_inconsistent(offset: int, value: int, what: str) -> None:
    image = bytearray(build_ring([b"a"], item_size=4, count=4))
    struct.pack_into("<H" if offset == 4 else "<I", image, offset, value)
    with pytest.raises(DumpFormatError, match=f"ring header inconsistent.*{what}"):
        decode_ring(bytes(image))


def test_bad_ring_in_dump_is_a_warning_unless_strict() -> None:
    image = bytearray(build_ring([b"a"], item_size=4, count=4))
    image[20] ^= 1  # guid byte: header CRC no longer matches
    data = build_dump(regs=REGS, rings=[bytes(image)])
    d = parse_dump(data)
    assert d.rings == [] and d.regs == REGS
    assert any("RING" in w and "header CRC" in w for w in d.warnings)
    with pytest.raises(DumpFormatError, match=r"ring header inconsistent.*at offset 268"):
        parse_dump(data, strict=True)


def test_unknown_section_type_is_skipped_with_a_warning() -> None:
    data = build_dump(regs=REGS, raw_sections=[(99, 0, b"future")])
    d = parse_dump(data, strict=True)
    assert d.regs == REGS
    assert d.warnings == ["unknown section type 99 at offset 248 (6 bytes) skipped"]


def _errors(data: bytes) -> str:
    with pytest.raises(DumpFormatError) as info:
        parse_dump(data)
    assert str(info.value).endswith(f"at offset {info.value.offset}")  # type: ignore
    return str(info.value)


def _reseal_header(data: bytearray) -> bytes:
    struct.pack_into("<I", data, 124, crc32(bytes(data[:124])))
    return bytes(data)


def test_error_messages_name_what_and_where() -> None:
    good = small_dump()
    assert "magic is 43444d51" in _errors(b"CDMQ" + good[4:])
    assert "not a crash dump" in _errors(b"\x7fELF" + bytes(200))
    assert "at offset 0" in _errors(b"")
    bad = bytearray(good)
    struct.pack_into("<H", bad, 4, 9)
    assert _errors(_reseal_header(bad)) == \
        "unknown dump version 9 (this tool reads version 1) at offset 4"
    bad = bytearray(good)
    bad[40] ^= 1
    assert _errors(bytes(bad)).startswith("header CRC mismatch")
    assert _errors(good[:100]) == "truncated: 100 bytes, shorter than the 128-byte header " \
                                  "at offset 100"
    assert _errors(good[:-1]).startswith(f"truncated: the file has {len(good) - 1} bytes")
    bad = bytearray(good)
    bad[-1] ^= 1
    assert _errors(bytes(bad)).startswith("body CRC mismatch")


def test_section_errors_name_the_section_offset() -> None:
    good = bytearray(small_dump())
    # Corrupt the first section's data and fix the body CRC: section CRC fails.
    good[HDR_LEN + 12] ^= 0xFF
    struct.pack_into("<I", good, 12, crc32(bytes(good[HDR_LEN:])))
    assert _errors(_reseal_header(good)) == "section 0 (REGS) CRC mismatch at offset 128"
    # A section length running past the end.
    good = bytearray(small_dump())
    struct.pack_into("<I", good, HDR_LEN + 4, 5000)
    struct.pack_into("<I", good, 12, crc32(bytes(good[HDR_LEN:])))
    assert "runs past the end" in _errors(_reseal_header(good))


def test_trailing_bytes_are_a_warning() -> None:
    d = parse_dump(small_dump() + b"\xff" * 8)
    assert any("8 bytes after the dump's end" in w for w in d.warnings)


def test_every_truncation_is_a_format_error() -> None:
    data = small_dump()
    for n in range(len(data)):
        with pytest.raises(DumpFormatError):
            parse_dump(data[:n])


def test_every_bit_flip_is_detected_or_harmless() -> None:
    data = small_dump()
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(DumpFormatError):
            parse_dump(bytes(flipped))  # every byte is covered by a CRC


def test_random_and_resealed_garbage_only_raises_dump_format_error() -> None:
    rng = random.Random(1234)
    good = full_dump()
    for _ in range(2000):
        mode = rng.randrange(3)
        if mode == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
        else:
            buf = bytearray(good)
            for _ in range(rng.randrange(1, 6)):
                buf[rng.randrange(HDR_LEN if mode == 1 else len(buf))] = rng.randrange(256)
            # Recompute the CRCs so corruption reaches the section decoders.
            struct.pack_into("<I", buf, 12, crc32(bytes(buf[HDR_LEN:])))
            data = _reseal_header(buf)
        for strict in (False, True):
            try:
                parse_dump(data, strict=strict)
            except DumpFormatError:
                pass


def test_resealed_section_corruption_reaches_section_decoders() -> None:
    """Fix every CRC after corrupting a byte inside each section: the section
    decoders themselves must cope (only DumpFormatError or warnings)."""
    good = full_dump()
    d = parse_dump(good)
    warned = 0
    for s in d.sections:
        for rel in range(0, len(s.data), 3):
            buf = bytearray(good)
            pos = s.offset + 12 + rel
            buf[pos] ^= 0xA5
            struct.pack_into("<I", buf, s.offset + 8, crc32(bytes(buf[s.offset + 12:
                                                                     s.offset + 12 + len(s.data)])))
            struct.pack_into("<I", buf, 12, crc32(bytes(buf[HDR_LEN:])))
            out = parse_dump(_reseal_header(buf))
            warned += bool(out.warnings)
    assert warned > 0


def test_split_slots() -> None:
    a, b = small_dump(), full_dump()
    size = 2048
    image = a.ljust(size, b"\xff") + b"\xff" * size + b.ljust(size, b"\xff")
    slots: List[bytes] = split_slots(image, size)
    assert slots[0] == a and slots[2] == b and slots[1] == b"\xff" * size
    assert parse_dump(slots[2]).header.total_len == len(b)


def test_section_types_in_build_order() -> None:
    d = parse_dump(full_dump())
    assert [s.type for s in d.sections] == [SecType.REGS, SecType.FAULT, SecType.FPU,
                                            SecType.STACK, SecType.RING, SecType.TRIAGE,
                                            SecType.TRIAGE, SecType.ADDITIONAL]


def test_ring_section_carries_the_ring_ram_address() -> None:
    image = build_ring([b"a", b"bc"], item_size=8, count=4)
    d = parse_dump(build_dump(regs=REGS, rings=[(image, SEC_F_SELF, 0x20300040), image]))
    assert [(r.addr, r.is_self) for r in d.rings] == [(0x20300040, True), (0, False)]
    assert [x.data for x in d.rings[0].records] == [b"a", b"bc"]


def test_ring_section_shorter_than_its_address_prefix() -> None:
    data = build_dump(regs=REGS, raw_sections=[(SecType.RING, 0, b"\1\2\3")])
    with pytest.raises(DumpFormatError, match="shorter than its 8-byte address prefix"):
        parse_dump(data, strict=True)


def test_salvage_decodes_around_a_damaged_section() -> None:
    """One flipped byte in a ring: strict parsing refuses the file, salvage
    keeps every other section and names the damaged one."""
    good = build_dump(regs=Regs(r=(1,) * 13, sp=2, lr=3, pc=4, xpsr=5),
                      stack=MemBlock(0x20000000, b"\xaa" * 32),
                      rings=[build_ring([b"one", b"two"], item_size=8, count=4),
                             build_ring([b"three"], item_size=8, count=4, label="other")],
                      triage=[MemBlock(0x20001000, b"t" * 8)])
    d = parse_dump(good, salvage=True)
    assert d.damage == [] and len(d.rings) == 2
    first = next(s for s in d.sections if s.type_name == "RING")
    bad = bytearray(good)
    bad[first.offset + 12 + 60] ^= 1
    with pytest.raises(DumpFormatError, match="body CRC mismatch"):
        parse_dump(bytes(bad))
    s = parse_dump(bytes(bad), salvage=True)
    index = d.sections.index(first)
    assert [(x.index, x.what, x.offset) for x in s.damage] == [(index, "RING", first.offset)]
    assert str(s.damage[0]).endswith("CRC mismatch: not decoded")
    assert [r.label for r in s.rings] == ["other"]
    assert (s.regs, s.stack, s.triage) == (d.regs, d.stack, d.triage)
    # damage outside every section's data (a section header's flags): the body
    flags = bytearray(good)
    flags[first.offset + 2] ^= 0x80
    s = parse_dump(bytes(flags), salvage=True)
    assert [x.what for x in s.damage] == ["body"] and "section headers" in s.damage[0].reason
    # cut short: the sections that are whole are kept, the rest is named
    s = parse_dump(good[:first.offset + 20], salvage=True)
    assert [x.what for x in s.damage] == ["end of the dump",
                                          f"sections {index}..{len(d.sections) - 1}"]
    assert s.regs == d.regs and s.rings == []
    # the header is the one thing salvage cannot do without
    with pytest.raises(DumpFormatError, match="header CRC"):
        parse_dump(good[:20] + bytes([good[20] ^ 1]) + good[21:], salvage=True)
