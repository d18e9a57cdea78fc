# SPDX-License-Identifier: Apache-2.0
"""Property-based fuzzing (hypothesis) of the dump file parser and the ring decoder.

Oracles:
  - parse_dump / decode_ring raise nothing but DumpFormatError, on any bytes and
    on valid dumps mutated with every CRC re-sealed (so the mutation reaches the
    section decoders);
  - a dump built from generated parts parses back to exactly those parts (ring
    records computed by an independent model of the ring);
  - a mutation of a dump's checked bytes (a burst of up to 32 bits anywhere in
    [0, total_len)) is always rejected; bytes after total_len change nothing
    but a warning;
  - the work is bounded by the input's length (executed lines, tests/host/workbound.py).

Examples per test: CRASHDUMP_FUZZ_EXAMPLES (default 150); the longer run of
scripts/bench.sh sets it higher.
"""
from __future__ import annotations

import os
import struct
import uuid
from dataclasses import dataclass
from typing import List, Optional, Tuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.format import DUMP_HDR, SEC_F_SELF
from crashdump.dumpfile.parse import (HDR_LEN, Additional, Dump, MemBlock, Regs, crc32, decode_ring,
                                      parse_dump)
from crashdump.errors import DumpFormatError
from crashdump.protocol.wire import SEQ_MASK

from .workbound import run_bounded

EXAMPLES = int(os.environ.get("CRASHDUMP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

u32 = st.integers(min_value=0, max_value=SEQ_MASK)


@dataclass
class RingSpec:
    item_size: int
    count: int
    items: List[bytes]
    start_seq: int
    read: int
    lost: int
    label: str

    def image(self) -> bytes:
        return build_ring(self.items, item_size=self.item_size, count=self.count,
                          start_seq=self.start_seq, read=self.read, lost=self.lost,
                          label=self.label)

    def expected(self) -> List[Tuple[int, bytes]]:
        """The model: the last min(written - read, count) items, by sequence number."""
        held = min(len(self.items) - self.read, self.count)
        first = len(self.items) - held
        return [((self.start_seq + i) & SEQ_MASK, self.items[i])
                for i in range(first, len(self.items))]


@st.composite
def rings(draw: st.DrawFn) -> RingSpec:
    item_size = draw(st.integers(1, 16))
    count = draw(st.integers(1, 12))
    items = draw(st.lists(st.binary(min_size=0, max_size=item_size), max_size=40))
    read = draw(st.integers(0, len(items)))
    return RingSpec(item_size, count, items, draw(u32), read, draw(u32),
                    draw(st.text(alphabet="abcxyz-", min_size=1, max_size=16)))


@st.composite
def blocks(draw: st.DrawFn) -> MemBlock:
    data = draw(st.binary(max_size=96))
    addr = draw(st.integers(0, (1 << 32) - max(1, len(data))))
    return MemBlock(addr, data)


@dataclass
class DumpSpec:
    regs: Optional[Regs]
    stack: Optional[MemBlock]
    rings: List[RingSpec]
    triage: List[MemBlock]
    additional: List[Additional]
    crash_count: int

    def build(self) -> bytes:
        return build_dump(regs=self.regs, stack=self.stack,
                          rings=[(r.image(), SEC_F_SELF if i == 0 else 0)
                                 for i, r in enumerate(self.rings)],
                          triage=self.triage, additional=self.additional,
                          crash_count=self.crash_count)


@st.composite
def dumps(draw: st.DrawFn) -> DumpSpec:
    regs = draw(st.none() | st.builds(
        Regs, r=st.tuples(*[u32] * 13), sp=u32, lr=u32, pc=u32, xpsr=u32, exc_return=u32,
        valid=st.integers(0, 7)))
    return DumpSpec(regs, draw(st.none() | blocks()), draw(st.lists(rings(), max_size=3)),
                    draw(st.lists(blocks(), max_size=3)),
                    draw(st.lists(st.builds(Additional, st.builds(uuid.UUID, int=st.integers(
                        0, (1 << 128) - 1)), st.binary(max_size=64)), max_size=2)),
                    draw(u32))


def reseal(buf: bytearray) -> bytes:
    """Recomputes every CRC a parser checks, walking the buffer's own (possibly
    mutated) section table, so the mutation is what the decoders see."""
    if len(buf) < HDR_LEN:
        return bytes(buf)
    total = min(struct.unpack_from("<I", buf, 8)[0], len(buf))
    pos = HDR_LEN
    while pos + 12 <= total:
        length = struct.unpack_from("<I", buf, pos + 4)[0]
        if length > total - pos - 12:
            break
        struct.pack_into("<I", buf, pos + 8, crc32(bytes(buf[pos + 12:pos + 12 + length])))
        pos += 12 + ((length + 3) & ~3)
    if total >= HDR_LEN:
        struct.pack_into("<I", buf, 12, crc32(bytes(buf[HDR_LEN:total])))
    struct.pack_into("<I", buf, 124, crc32(bytes(buf[:124])))
    return bytes(buf)


def parse_only_format_errors(data: bytes, strict: bool) -> Optional[Dump]:
    try:
        return run_bounded(lambda: parse_dump(data, strict=strict), len(data))
    except DumpFormatError:
        return None


def content(d: Dump) -> tuple:
    return (d.header, d.regs, d.stack, [(r.guid, r.label, [(x.seq, x.data) for x in r.records])
                                        for r in d.rings], d.triage, d.additional)


@FUZZ
@given(dumps())
def test_built_dump_parses_back_to_its_parts(spec: DumpSpec) -> None:
    data = spec.build()
    d = run_bounded(lambda: parse_dump(data, strict=True), len(data))
    assert d.warnings == []
    assert d.regs == spec.regs
    assert d.header.crash_count == spec.crash_count
    assert (d.stack.addr, d.stack.data) == (spec.stack.addr, spec.stack.data) if spec.stack \
        else d.stack is None
    assert [(t.addr, t.data) for t in d.triage] == [(t.addr, t.data) for t in spec.triage]
    assert d.additional == spec.additional
    assert len(d.rings) == len(spec.rings)
    for ring, want in zip(d.rings, spec.rings):
        assert [(r.seq, r.data) for r in ring.records] == want.expected()
        assert ring.overwritten == max(0, len(want.items) - want.read - want.count)
        assert ring.lost == want.lost and ring.label == want.label and ring.missing == 0


@FUZZ
@given(dumps(), st.data())
def test_burst_in_checked_bytes_is_rejected(spec: DumpSpec, data: st.DataObject) -> None:
    good = spec.build()
    width = data.draw(st.integers(1, 4))
    pos = data.draw(st.integers(0, len(good) - width))
    xor = data.draw(st.binary(min_size=width, max_size=width).filter(any))
    bad = bytearray(good)
    for i in range(width):
        bad[pos + i] ^= xor[i]
    for strict in (False, True):
        assert parse_only_format_errors(bytes(bad), strict) is None
    # Salvaging never hands back such a dump as undamaged: the header is
    # refused, any other burst is named in Dump.damage.
    try:
        d = run_bounded(lambda: parse_dump(bytes(bad), salvage=True), len(bad))
    except DumpFormatError:
        assert pos < HDR_LEN
        return
    assert pos + width > HDR_LEN and d.damage


@FUZZ
@given(dumps(), st.binary(min_size=1, max_size=200))
def test_bytes_after_total_len_change_nothing(spec: DumpSpec, tail: bytes) -> None:
    good = spec.build()
    d = parse_dump(good)
    d2 = run_bounded(lambda: parse_dump(good + tail), len(good) + len(tail))
    assert content(d2) == content(d)
    assert any("after the dump's end" in w for w in d2.warnings)


@FUZZ
@given(dumps(), st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1,
                         max_size=8), st.booleans())
def test_resealed_mutations_only_raise_dump_format_error(spec: DumpSpec,
                                                        edits: List[Tuple[int, int]],
                                                        strict: bool) -> None:
    buf = bytearray(spec.build())
    for pos, value in edits:
        buf[pos % len(buf)] = value
    parse_only_format_errors(reseal(buf), strict)


@FUZZ
@given(st.binary(max_size=700), st.booleans())
def test_arbitrary_bytes_only_raise_dump_format_error(data: bytes, strict: bool) -> None:
    parse_only_format_errors(data, strict)


@FUZZ
@given(st.binary(min_size=HDR_LEN, max_size=HDR_LEN), st.binary(max_size=900),
       st.integers(0, 0xFFFF))
def test_sealed_header_over_random_body_only_raises_dump_format_error(
        hdr: bytes, body: bytes, n_sections: int) -> None:
    """A header the validity rule accepts, over arbitrary sections."""
    buf = bytearray(build_dump(regs=None)[:HDR_LEN])
    buf[16:120] = hdr[16:120]  # counts, reason, flags, build id, component: anything
    struct.pack_into("<I", buf, 8, HDR_LEN + len(body))
    struct.pack_into("<H", buf, DUMP_HDR.offsets["n_sections"], n_sections)
    data = bytearray(bytes(buf) + body)
    struct.pack_into("<I", data, 12, crc32(body))
    struct.pack_into("<I", data, 124, crc32(bytes(data[:124])))
    for strict in (False, True):
        parse_only_format_errors(bytes(data), strict)
        try:  # salvaging: any damage is listed, nothing else raised
            run_bounded(lambda: parse_dump(bytes(data), strict=strict, salvage=True), len(data))
        except DumpFormatError:
            pass


@FUZZ
@given(rings(), st.data())
def test_ring_image_mutations_only_raise_dump_format_error(spec: RingSpec,
                                                          data: st.DataObject) -> None:
    """decode_ring alone, with the ring's header CRC re-sealed after the edit so
    geometry and cursors can take any value, flagged truncated or not."""
    image = bytearray(spec.image())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(image) - 1))
        image[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        image = image[:data.draw(st.integers(0, len(image)))]
    if len(image) >= 52:
        struct.pack_into("<I", image, 48, crc32(bytes(image[:48])))
    flags = data.draw(st.integers(0, 3))
    try:
        ring = run_bounded(lambda: decode_ring(bytes(image), flags=flags), len(image))
    except DumpFormatError:
        return
    # Whatever it accepted is internally consistent.
    assert len(ring.records) + ring.missing == min((ring.head - ring.tail) & SEQ_MASK, ring.count)
    assert all(len(r.data) <= ring.item_size for r in ring.records)
    seqs = [r.seq for r in ring.records]
    assert all(((b - a) & SEQ_MASK) > 0 for a, b in zip(seqs, seqs[1:]))
