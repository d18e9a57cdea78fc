# SPDX-License-Identifier: Apache-2.0
"""The fault matrix: each fault kind on each QEMU board, end to end.

For every kind the real firmware crashes in QEMU, writes a dump to its flash
partition and reboots; the host finds the dump, pulls it over serial, checks
its CRCs and decodes it with the demo ELF. The test then checks what an
engineer would read: the cause, the function that faulted, the registers the
fault injector loaded just before faulting (see cd_fault_inject.c for the
pattern), the ring contents written before the crash, and the triage ranges.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from crashdump.decode.elf import Elf
from crashdump.decode.report import build_report
from crashdump.dumpfile.format import REGS_V_SPLIM, Arch
from crashdump.harness.emulate import get_board
from crashdump.pull.serial import SerialSource, offered

REASON_FAULT, REASON_BUGCHECK, REASON_WATCHDOG = 1, 2, 3
STKOF = 1 << 20  # CFSR.STKOF (ARMv8-M)
DUMP_F_NESTED, DUMP_F_BAD_SP = 1 << 1, 1 << 2

# kind: (number, function that faults, words expected in the cause)
KINDS = {
    "bad_read": (1, "cd_fault_do_bad_read", "bus fault"),
    "bad_write": (2, "cd_fault_do_bad_write", "bus fault"),
    "undef": (3, "cd_fault_do_undef", "undefined instruction"),
    "div0": (4, "cd_fault_do_div0", "divide by zero"),
    "unaligned": (5, "cd_fault_do_unaligned", "unaligned"),
    "bad_branch": (6, "cd_fault_do_bad_branch", "invalid state"),
    "stack_overflow": (7, "cd_fault_do_stack_overflow", "stack"),
    "bugcheck": (8, "cd_fault_do_bugcheck", "bug check"),
    "nmi": (9, "cd_fault_do_nmi", "nmi"),
    "triage_unmapped": (10, "cd_fault_do_triage_unmapped", "bug check"),
    "watchdog": (11, "cd_fault_do_watchdog", "watchdog"),
    "nested": (12, "cd_fault_do_nested", "bug check"),
}
V7_ONLY = {"div0"}


def pattern(reg: int, kind: int) -> int:
    return 0xCD000000 | reg << 16 | kind


def crash(dev, kind: int, tmp_path: Path):
    """Writes known records, injects the fault, and returns the pulled dump."""
    dev.source_create("before", item_size=16, count=4)
    for i in range(6):
        dev.source_write("before", f"pre-crash {i}".encode())
    boots = dev.info().boot_count
    dev.fault(kind)
    assert dev.info().boot_count == boots + 1
    status = dev.dump_status()
    valid = [s for s in status.slots if s.state == 1]
    assert len(valid) == 1, status
    assert status.record is not None and status.record.crash_count == valid[0].crash_count
    return SerialSource(dev).pull(offered(valid[0]), tmp_path / "crash.cdmp").dump


@pytest.mark.parametrize("name", sorted(KINDS))
def test_fault_matrix(dev, board, elf, name, tmp_path):
    kind, function, cause = KINDS[name]
    props = get_board(board)
    v6m = props.arch == "v6m"
    bad_addr = props.unmapped_addr
    if v6m and name in V7_ONLY:
        pytest.skip("ARMv6-M has no divide or unaligned traps")
    dump = crash(dev, kind, tmp_path)
    report = build_report(dump, Elf(elf))
    text = report.text()
    h = dump.header

    assert not [w for w in report.warnings if "build-id" in w], report.warnings
    said = " ".join(report.causes).lower() + " " + report.summary.lower()
    if name == "watchdog":
        assert h.reason == REASON_WATCHDOG and h.code >= 16, text  # an external interrupt
    if v6m and h.reason == REASON_FAULT and name != "nmi":
        # ARMv6-M has HardFault only and no fault status registers
        assert h.code == 3 and "hardfault" in said, text
    else:
        assert cause in said, text

    # the backtrace names the function that faulted (frame 0, or its caller
    # for a bug check, whose frame 0 is cd_bugcheck itself)
    names = [f.function for f in report.backtrace]
    if h.flags & DUMP_F_BAD_SP:
        assert name == "stack_overflow", text
    if Elf(elf).has_lines:
        # PC 0 after a stack overflow is not the ELF's missing line info
        assert not [w for w in report.warnings if "no DWARF line info" in w], report.warnings
    else:
        assert function in names[:2], text
        regs = report.registers
        skip = {"bad_read": {0}, "bad_write": {0}, "div0": {0}, "unaligned": {0},
                "bad_branch": {0}, "nmi": {0, 1},
                "watchdog": {0, 1}}.get(name, set())
        if h.reason == REASON_BUGCHECK:
            skip = {0, 1, 2, 3}
        for r in range(4, 12):
            if r not in skip and r != 7:  # r7 is the frame pointer in the bug-check path
                assert regs[f"r{r}"] == pattern(r, kind), (r, text)
        if h.reason in (REASON_FAULT, REASON_WATCHDOG):
            for r in (1, 2, 3, 12):
                if r not in skip:
                    assert regs[f"r{r}" if r != 12 else "r12"] == pattern(r, kind), (r, text)

    if name in ("bad_read", "bad_write") and not v6m:
        assert f"0x{bad_addr:08x}" in text
    if h.reason == REASON_BUGCHECK:
        assert h.code == 0xB0660000 | kind
        assert list(h.params) == [0x11111111, 0x22222222, 0x33333333, 0x44444444]

    # the board's core, as the dump reports it
    assert h.arch == Arch[props.arch.upper()], text
    if props.arch == "v8mmain":
        # ARMv8-M: the stack limits are captured; MSPLIM guards the main stack
        # (from the ELF), or the fault stack once the bug-check entry ran on it
        regs = dump.regs
        assert regs.valid & REGS_V_SPLIM, text
        assert regs.msplim == Elf(elf).address_of("__stack_limit"), (hex(regs.msplim), text)
        if name == "stack_overflow":
            # caught by the stack-limit check, not by running off memory
            assert h.code == 6 and dump.fault.cfsr & STKOF, text
            assert "stack-limit overflow" in said and "MSPLIM" in text, text
    if not props.fpu:
        assert dump.fpu is None, text
    elif not h.flags & DUMP_F_BAD_SP:
        # the injector loads s<n> = 0x4C000000 | n << 16 | kind and FPSCR
        assert dump.fpu is not None, text
        assert list(dump.fpu.s) == [0x4C000000 | n << 16 | kind for n in range(32)]
        assert dump.fpu.fpscr == 0xF0000000 | kind

    # the records written before the crash are in the dump, in order
    rings = {r.label: r for r in dump.rings}
    assert [x.data for x in rings["before"].records] == [f"pre-crash {i}".encode() for i in range(2, 6)]
    assert rings["before"].total_lost == 2
    assert any(r.is_self for r in dump.rings)

    if name == "triage_unmapped":
        bad = [t for t in report.triage if t.addr == bad_addr]
        assert bad and bad[0].status == -10 and not bad[0].data
    if name == "nested":
        assert h.flags & DUMP_F_NESTED
    # the demo's own triage range is saved and named by its symbol
    assert any(t.data and "demo" in t.name for t in report.triage), text


def test_crash_loop_keeps_first_and_newest_and_counts_dropped(dev, board):
    """Four crashes in a row (issue 11): the first and the newest dump are kept,
    and every dump the slot policy erased to make room is counted as dropped."""
    for _ in range(4):
        dev.fault(KINDS["bugcheck"][0])
    status = dev.dump_status()
    counts = sorted(s.crash_count for s in status.slots if s.state == 1)
    n = len(status.slots)
    assert counts[0] == 1 and counts[-1] == 4, status
    assert status.dropped == (4 - 2 if n == 2 else 4 - n + 1), status
    assert status.dropped == 4 - len(counts), status  # every crash is a dump or counted
