# SPDX-License-Identifier: Apache-2.0
"""Finding and reading dumps in raw target memory (crashdump.probe.locate),
against a fake memory: the locator, the linker-symbol and board scans, torn and
corrupt slots, and how many bytes each way reads."""
from __future__ import annotations

from pathlib import Path
import struct
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from crashdump.dumpfile.build import build_dump
from crashdump.dumpfile.format import DUMP_LOCATOR, LOCATOR_CRC_LEN, LOCATOR_MAGIC
from crashdump.dumpfile.parse import MemBlock, Regs, crc32
from crashdump.errors import ProbeError
from crashdump.harness.emulate import DEMO_ELF
from crashdump.probe.locate import (BOARD_PARTITIONS, BoardPartition, Layout, locate,
                                    parse_locator, read_dumps)

ROOT = Path(__file__).resolve().parents[2]
BASE = 0x3E0000
SLOT = 0x4000
LOCATOR_AT = 0x20000100


def dump(n: int, stack_len: int = 600) -> bytes:
    return build_dump(regs=Regs(r=(n,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0),
                      crash_count=n,
                      stack=MemBlock(0x20000F00, bytes(i & 0xFF for i in range(stack_len))))


def locator(base: int = BASE, slot: int = SLOT, n: int = 3, erase: int = 4096,
            lens: Sequence[int] = ()) -> bytes:
    dump_len = struct.pack("<8I", *(list(lens) + [0] * 8)[:8])
    raw = DUMP_LOCATOR.pack(magic=LOCATOR_MAGIC, partition_base=base, slot_size=slot,
                            n_slots=n, erase_size=erase, dump_len=dump_len, crc=0)
    return raw[:LOCATOR_CRC_LEN] + crc32(raw[:LOCATOR_CRC_LEN]).to_bytes(4, "little")


class Memory:
    """Sparse memory: erased flash (0xFF) in the partition, zero elsewhere."""

    def __init__(self) -> None:
        self.flash = bytearray(b"\xff" * (3 * SLOT))
        self.ram: Dict[int, bytes] = {}
        self.reads: List[Tuple[int, int]] = []

    def put_slot(self, i: int, data: bytes) -> None:
        self.flash[i * SLOT:i * SLOT + len(data)] = data

    def read(self, addr: int, n: int) -> bytes:
        self.reads.append((addr, n))
        if BASE <= addr < BASE + len(self.flash):
            return bytes(self.flash[addr - BASE:addr - BASE + n])
        for start, data in self.ram.items():
            if start <= addr < start + len(data):
                return data[addr - start:addr - start + n]
        return bytes(n)


class FakeElf:
    def __init__(self, symbols: Dict[str, int]) -> None:
        self.symbols, self.path = symbols, Path("fw.elf")

    def address_of(self, name: str) -> Optional[int]:
        return self.symbols.get(name)


ELF = FakeElf({"cd_dump_locator": LOCATOR_AT, "__cd_dump_start": BASE,
               "__cd_dump_end": BASE + 3 * SLOT})


def test_locator_gives_exact_slots_and_only_committed_bytes_are_read() -> None:
    mem = Memory()
    a, b = dump(1), dump(2, stack_len=3000)
    mem.ram[LOCATOR_AT] = locator(lens=(len(a), 0, len(b)))
    mem.put_slot(0, a)
    mem.put_slot(2, b)
    layouts = locate(mem.read, ELF)
    assert layouts == [Layout(BASE, 3 * SLOT, "cd_dump_locator", SLOT, 3, 4096,
                              (len(a), 0, len(b)))]
    mem.reads.clear()
    got = read_dumps(mem.read, layouts)
    assert [(f.index, f.data) for f in got.found] == [(0, a), (2, b)]
    assert got.skipped == []
    # each dump in one read of exactly its bytes; the empty slot is not touched
    assert mem.reads == [(BASE, len(a)), (BASE + 2 * SLOT, len(b))]
    assert got.bytes_read == len(a) + len(b)


def test_stale_locator_lengths_are_checked_not_trusted() -> None:
    mem = Memory()
    short, longer = dump(1, stack_len=100), dump(2, stack_len=2000)
    mem.put_slot(0, short)
    mem.put_slot(1, longer)
    # slot 0's length is too long, slot 1's too short, slot 2 was erased since
    mem.ram[LOCATOR_AT] = locator(lens=(len(short) + 512, len(longer) - 600, 900))
    got = read_dumps(mem.read, locate(mem.read, ELF))
    assert [(f.index, f.data) for f in got.found] == [(0, short), (1, longer)]
    assert [s.reason for s in got.skipped] == [
        "the locator lists a dump here but the slot holds none (erased or never committed)"]


def test_without_locator_the_elf_partition_is_scanned() -> None:
    mem = Memory()  # RAM all zero: the firmware never reached cd_init
    a = dump(5)
    mem.put_slot(1, a)
    layouts = locate(mem.read, ELF)
    assert len(layouts) == 1 and not layouts[0].exact
    assert "not set" in layouts[0].source
    got = read_dumps(mem.read, layouts)
    assert [(f.address, f.data) for f in got.found] == [(BASE + SLOT, a)]
    # 4 bytes per KiB scanned, and the dump itself once
    assert got.bytes_read == 4 * (3 * SLOT // 1024 - (len(a) + 1023) // 1024 + 1) + len(a) - 4


def test_scan_skips_over_an_accepted_dump_holding_stray_magic() -> None:
    mem = Memory()
    inner = dump(9)
    # a dump whose stack happens to contain a whole valid dump 1 KiB in

    def outer_dump(pad: int) -> bytes:
        return build_dump(regs=Regs(r=(1,) * 13, sp=0, lr=0, pc=0, xpsr=0),
                          stack=MemBlock(0x20000000, bytes(pad) + inner + bytes(2000)))
    pad = 1024 - outer_dump(0).find(inner)
    outer = outer_dump(pad)
    assert outer.find(inner) == 1024
    mem.put_slot(0, outer)
    got = read_dumps(mem.read, [Layout(BASE, 3 * SLOT, "test")])
    assert [f.data for f in got.found] == [outer]


def test_board_description_scans_at_its_erase_unit() -> None:
    mem = Memory()
    mem.put_slot(2, dump(3))
    board = BoardPartition("b", BASE, 3 * SLOT, 4096, "cortex_m")
    layouts = locate(mem.read, None, board)
    assert layouts[0].step == 4096 and layouts[0].source == "board b"
    got = read_dumps(mem.read, layouts)
    assert [f.address for f in got.found] == [BASE + 2 * SLOT]
    assert all(n in (4, 124) or a >= BASE + 2 * SLOT for a, n in mem.reads)


def test_torn_and_corrupt_slots_are_skipped_with_reasons() -> None:
    mem = Memory()
    torn = bytearray(dump(1))
    torn[20] ^= 1  # header CRC no longer matches: a power cut mid-commit
    corrupt = bytearray(dump(2))
    corrupt[-1] ^= 0x80  # body CRC fails
    good = dump(3)
    for i, d in enumerate((torn, corrupt, good)):
        mem.put_slot(i, bytes(d))
    mem.ram[LOCATOR_AT] = locator(lens=(len(torn), len(corrupt), len(good)))
    got = read_dumps(mem.read, locate(mem.read, ELF))
    assert [f.index for f in got.found] == [2]
    reasons = [s.reason for s in got.skipped]
    assert "torn or foreign header" in reasons[0] and "header CRC" in reasons[0]
    assert reasons[1].startswith("corrupt dump")


def test_header_longer_than_its_slot_is_not_read() -> None:
    mem = Memory()
    big = dump(1, stack_len=3000)  # 3 KiB dump in a "1 KiB" slot
    mem.ram[LOCATOR_AT] = locator(slot=1024, lens=(len(big),))
    mem.put_slot(0, big)
    got = read_dumps(mem.read, locate(mem.read, ELF))
    assert got.found == [] and "only 1024 fit" in got.skipped[0].reason
    assert got.bytes_read == 1024


@pytest.mark.parametrize("field,value", [("magic", 0), ("n_slots", 0), ("n_slots", 9),
                                         ("slot_size", 64), ("crc", 1)])
def test_bad_locator_is_ignored(field: str, value: int) -> None:
    f = DUMP_LOCATOR.unpack(locator())
    f[field] = value
    raw = DUMP_LOCATOR.pack(**f)
    if field != "crc":
        raw = raw[:LOCATOR_CRC_LEN] + crc32(raw[:LOCATOR_CRC_LEN]).to_bytes(4, "little")
    assert parse_locator(raw) is None


def test_nowhere_to_look_is_a_clear_error() -> None:
    with pytest.raises(ProbeError, match="cannot tell where the dump partition is") as e:
        locate(Memory().read, None, None, [])
    assert "--board" in (e.value.hint or "")
    with pytest.raises(ProbeError, match="neither cd_dump_locator"):
        locate(Memory().read, FakeElf({}), None)


def test_short_read_is_an_error() -> None:
    with pytest.raises(ProbeError, match="returned 2"):
        read_dumps(lambda a, n: b"\0\0", [Layout(BASE, 4096, "t")])


def test_every_board_has_a_description() -> None:
    boards = sorted(p.name for p in (ROOT / "boards").iterdir()
                    if (p / "CMakeLists.txt").is_file())
    assert sorted(BOARD_PARTITIONS) == boards


@pytest.mark.parametrize("board", sorted(BOARD_PARTITIONS))
def test_board_table_matches_the_built_firmware(board: str) -> None:
    """BOARD_PARTITIONS must say what the board's linker script says."""
    from crashdump.decode.elf import Elf
    path = ROOT / DEMO_ELF.format(board=board)
    if not path.is_file():
        pytest.skip(f"{path} not built")
    p = BOARD_PARTITIONS[board]
    with Elf(path) as elf:
        assert (elf.address_of("__cd_dump_start"), elf.address_of("__cd_dump_end")) == \
            (p.base, p.base + p.size)
