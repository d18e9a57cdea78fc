# SPDX-License-Identifier: Apache-2.0
"""crashdump.dumpfile.parse: the parser's work is bounded by its input (issue 11).

Work is counted, not timed: every Python line executed while parsing is one
unit, and the parse is stopped with an error once it exceeds a budget
proportional to the input's length. A parser that loops over a count taken
from the file instead of over the bytes it has fails here at once instead of
hanging for an hour."""
from __future__ import annotations

import struct
from typing import Optional

import pytest

from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.format import RING_HDR_CRC_LEN, SEC_F_SELF, SEC_F_TRUNCATED
from crashdump.dumpfile.parse import crc32, decode_ring, parse_dump
from crashdump.errors import DumpFormatError

from .workbound import WorkExceeded, run_bounded

def reseal_ring(image: bytearray, *, count: Optional[int] = None, head: Optional[int] = None,
                tail: Optional[int] = None, idx: Optional[int] = None) -> bytes:
    """Patches a ring image's geometry/cursors and recomputes its header CRC."""
    if count is not None:
        struct.pack_into("<I", image, 8, count)
    for off, v in ((52, head), (56, tail), (64, idx)):
        if v is not None:
            struct.pack_into("<I", image, off, v)
    struct.pack_into("<I", image, RING_HDR_CRC_LEN, crc32(bytes(image[:RING_HDR_CRC_LEN])))
    return bytes(image)


def hostile_232() -> bytes:
    """The file from issue 11: 232 bytes, one RING section flagged TRUNCATED whose
    header claims 0x7fffffff slots all held, every CRC matching."""
    ring = bytearray(build_ring([b"only"], item_size=12, count=1))  # 68 + one 16-byte slot
    ring = bytearray(reseal_ring(ring, count=0x7FFFFFFF, head=0x7FFFFFFF, tail=0, idx=0))
    return build_dump(rings=[(bytes(ring), SEC_F_TRUNCATED)])


def test_hostile_truncated_ring_of_2_31_slots_parses_with_bounded_work() -> None:
    data = hostile_232()
    assert len(data) == 232
    d = run_bounded(lambda: parse_dump(data, strict=True), len(data))
    ring = d.rings[0]
    assert ring.count == 0x7FFFFFFF and ring.truncated
    # slot 0 holds the item written 0x7fffffff writes before head: seq 0
    assert [(r.seq, r.data) for r in ring.records] == [(0, b"only")]
    assert ring.missing == 0x7FFFFFFF - 1


def test_hostile_ring_without_the_truncated_flag_is_rejected() -> None:
    ring = bytearray(build_ring([b"only"], item_size=12, count=1))
    image = reseal_ring(ring, count=0x7FFFFFFF, head=0x7FFFFFFF, tail=0, idx=0)
    with pytest.raises(DumpFormatError, match="ring header inconsistent"):
        run_bounded(lambda: decode_ring(image), len(image))


def test_worst_ring_the_format_allows_is_linear() -> None:
    """Smallest stride (8 bytes), as many slots as a 64 KiB image holds, every slot
    held, head across the 2^32 wrap: every slot is decoded, work linear."""
    count = (64 * 1024 - 68) // 8
    items = [struct.pack("<I", i) for i in range(count + 5)]
    image = build_ring(items, item_size=4, count=count, start_seq=0xFFFFFF00)
    ring = run_bounded(lambda: decode_ring(image, flags=SEC_F_SELF), len(image))
    assert len(ring.records) == count and ring.missing == 0
    assert [r.data for r in ring.records] == items[5:]
    assert ring.records[0].seq == (0xFFFFFF00 + 5) & 0xFFFFFFFF
    data = build_dump(rings=[image])
    d = run_bounded(lambda: parse_dump(data, strict=True), len(data))
    assert len(d.rings[0].records) == count


def test_worst_truncated_ring_decodes_only_the_slots_present() -> None:
    """TRUNCATED, geometry claims 2^32-1 slots, the image carries 8000 of them:
    the work follows the 8000."""
    present = 8000
    image = bytearray(build_ring([struct.pack("<I", i) for i in range(present)], item_size=4,
                                 count=present))
    image = bytearray(reseal_ring(image, count=0xFFFFFFFF, head=present, tail=0, idx=present))
    ring = run_bounded(lambda: decode_ring(bytes(image), flags=SEC_F_TRUNCATED), len(image))
    assert [r.seq for r in ring.records] == list(range(present))
    assert ring.missing == 0


def test_lag_beyond_2_31_is_a_ring_not_an_error() -> None:
    """A ring only written (never read) for more than 2^31 items: tail lags head by
    more than 2^31. The firmware keeps such a ring; so must the host."""
    image = bytearray(build_ring([b"%d" % i for i in range(6)], item_size=2, count=4,
                                 start_seq=0x80000010))
    image = bytearray(reseal_ring(image, tail=0))  # lag 0x80000016
    ring = decode_ring(bytes(image))
    assert [r.data for r in ring.records] == [b"2", b"3", b"4", b"5"]
    assert ring.overwritten == 0x80000016 - 4


def test_budget_catches_an_unbounded_loop() -> None:
    """The measuring stick itself must be able to fail."""
    def spin() -> None:
        n = 0
        while True:
            n += 1

    with pytest.raises(WorkExceeded):
        run_bounded(spin, 100)
