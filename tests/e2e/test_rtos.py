# SPDX-License-Identifier: Apache-2.0
"""Crash dumps of threaded firmware, in real QEMU: the RTOS test fixture
(boards/common/rtos: a PendSV scheduler with FreeRTOS's context layout, its
threads registered with crashdump) crashed in a thread, in another thread,
in an interrupt handler that interrupted a thread, and by a thread's stack
overflow. Every dump is pulled and verified by the real CLI and decoded
against the fixture's ELF: the crashed thread is named, its backtrace runs to
its entry function with file:line, and every other thread's backtrace is
recovered from the context it was switched out with."""
from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from crashdump import Client, CrashdumpError
from crashdump.harness.emulate import Emulator, demo_elf, find_root, get_board
from crashdump.protocol.wire import FaultKind

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crashdump"]
WHERE_THREAD, WHERE_IRQ, WHERE_SMASH, WHERE_OVERRUN = 1, 2, 3, 4
ENTRIES = {"proto": "proto_thread", "worker": "worker_thread", "fpu": "fpu_thread",
           "idle": "idle"}


def rtos_elf(board: str) -> Path:
    path = demo_elf(get_board(board), find_root(ROOT)).with_name("crashdump-rtos.elf")
    if not path.is_file():
        pytest.skip(f"{board} has no RTOS fixture build ({path.name})")
    return path


def run(cmd: List[str]) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


def wait_boot(url: str, after: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with Client.open(url, timeout=1.0) as dev:
                if dev.info().boot_count > after:
                    return
        except CrashdumpError:
            pass
        time.sleep(0.2)
    raise AssertionError("the fixture did not reboot after the crash")


def crash(board: str, tmp_path: Path, where: int, kind: int) -> Dict[str, Any]:
    """Crashes the fixture as asked, pulls its dump with the CLI (which
    verifies it) and returns `decode --json`."""
    return crash_dump(board, tmp_path, where, kind)[0]


@contextlib.contextmanager
def crashed(board: str, command: bytes) -> Iterator[Tuple[Emulator, str, int]]:
    """Runs the fixture, crashes it as asked and yields (emulator, serial URL,
    boot count before the crash) once it has restarted. command: a record for
    the worker's "ctl" source, or bytes([0, kind]) for the FAULT command of
    that kind (in the protocol thread)."""
    elf = rtos_elf(board)
    with Emulator(board, elf=elf) as emu:
        url = emu.serial_url
        with Client.open(url, timeout=5.0) as dev:
            boot = dev.info().boot_count
            if command[0] == 0:
                dev.fault(command[1])
            else:
                dev.source_create("ctl", item_size=8, count=4)
                dev.source_write("ctl", command)
        if command[0] != 0:
            wait_boot(url, boot)  # one connection at a time: after closing ours
        yield emu, url, boot
    assert not emu.locked_up, emu.output


def dump_status(url: str) -> Dict[str, Any]:
    return json.loads(run(CLI + ["--port", url, "--json", "dump", "status"]).stdout)


def crash_dump(board: str, tmp_path: Path, where: int, kind: int):
    elf = rtos_elf(board)
    out = tmp_path / "crash.cdmp"
    with crashed(board, bytes([where, kind])) as (_, url, _):
        run(CLI + ["--port", url, "dump", "pull", "-o", str(out)])
        status = dump_status(url)
    # The crash record agrees with the flash: a dump that verifies, written OK.
    assert status["last_crash"]["result"] == 0, status
    report = json.loads(run(CLI + ["decode", str(out), "--elf", str(elf), "--json"]).stdout)
    return report, out, elf


def crash_status(board: str, where: int, kind: int) -> Dict[str, Any]:
    """Crashes the fixture from the worker thread; `dump status --json`
    after the restart."""
    with crashed(board, bytes([where, kind])) as (_, url, _):
        return dump_status(url)


def names(frames: List[Dict[str, Any]]) -> List[str]:
    return [f["function"] or "??" for f in frames]


def check_other_threads(report: Dict[str, Any], crashed: str) -> None:
    threads = {t["name"]: t for t in report["threads"]}
    assert set(ENTRIES) <= set(threads), threads.keys()
    assert [t["name"] for t in report["threads"] if t["current"]] == [crashed]
    assert report["threads"][0]["name"] == crashed  # the crashed thread first
    for name, t in threads.items():
        if t["current"]:
            continue
        frames = t["backtrace"]
        # A thread preempted inside code without CFI (the C library's, on the
        # soft-float boards libgcc's float helpers) gets a scan after the PC:
        # its entry function is there all the same.
        assert ENTRIES[name] in names(frames), (name, names(frames))
        entry = frames[names(frames).index(ENTRIES[name])]
        # (idle's only frame is inside an inlined `wfi`, whose line is cm_regs.h's)
        assert entry["file"] and (entry["file"].endswith("rtos_demo.c") or name == "idle"), \
            (name, entry)
        assert 0 < t["stack_used"] <= t["stack_size"]


def test_fault_in_a_thread(board: str, tmp_path: Path) -> None:
    report = crash(board, tmp_path, 0, FaultKind.BAD_READ)
    assert report["context"] == "thread 'proto'"
    assert "thread 'proto'" in report["summary"]
    bt = names(report["backtrace"])
    assert bt[-3:] == ["cd_fault_inject", "cd_proto_poll", "proto_thread"], bt
    assert report["backtrace"][-1]["file"].endswith("rtos_demo.c")
    check_other_threads(report, "proto")


# The whole fault matrix runs on one ARMv7-M and one ARMv8-M board; the
# others run its first kind (the CI run's time is shared by every suite).
MATRIX_BOARDS = {"qemu-mps2-an386", "qemu-mps2-an505"}


def matrix_only(board: str, kind: int, first: int) -> None:
    if kind != first and board not in MATRIX_BOARDS:
        pytest.skip(f"the whole matrix runs on {', '.join(sorted(MATRIX_BOARDS))}")


THREAD_KINDS = [FaultKind.UNDEF, FaultKind.BAD_WRITE, FaultKind.DIV0, FaultKind.UNALIGNED,
                FaultKind.BAD_BRANCH, FaultKind.BUGCHECK, FaultKind.NESTED]


@pytest.mark.parametrize("kind", THREAD_KINDS, ids=lambda k: k.name.lower())
def test_fault_in_another_thread(board: str, tmp_path: Path, kind: FaultKind) -> None:
    matrix_only(board, kind, THREAD_KINDS[0])
    report = crash(board, tmp_path, WHERE_THREAD, kind)
    assert report["context"] == "thread 'worker'"
    bt = names(report["backtrace"])
    assert bt[-3:] == ["cd_fault_inject", "worker_obey", "worker_thread"], bt
    check_other_threads(report, "worker")


@pytest.mark.parametrize("kind", [FaultKind.BAD_READ, FaultKind.UNDEF, FaultKind.BUGCHECK],
                         ids=lambda k: k.name.lower())
def test_fault_in_an_interrupt_handler(board: str, tmp_path: Path, kind: FaultKind) -> None:
    matrix_only(board, kind, FaultKind.BAD_READ)
    report = crash(board, tmp_path, WHERE_IRQ, kind)
    assert report["context"].startswith("an interrupt handler (")
    assert report["context"].endswith("which interrupted thread 'worker'")
    frames = report["backtrace"]
    # Through the exception frame on the worker's stack, down to its entry.
    assert [f["how"] for f in frames].count("exception") == 1, frames
    after = names(frames[[f["how"] for f in frames].index("exception"):])
    assert after == ["worker_obey", "worker_thread"], names(frames)
    check_other_threads(report, "worker")


def test_thread_stack_overflow(board: str, tmp_path: Path) -> None:
    if get_board(board).arch == "v6m":
        # No stack guard: the runaway recursion runs over whatever lies below
        # the stack (other stacks, crashdump's own state) until something
        # faults. The device must still leave a crash record and restart:
        # a dump, or the record that crashdump's state was overwritten.
        status = crash_status(board, WHERE_THREAD, FaultKind.STACK_OVERFLOW)
        assert status["last_crash"]["result"] in (0, -20), status
        return
    report = crash(board, tmp_path, WHERE_THREAD, FaultKind.STACK_OVERFLOW)
    worker = next(t for t in report["threads"] if t["name"] == "worker")
    assert worker["current"]
    if report["context"] == "thread 'worker'":
        assert "thread 'worker'" in report["summary"], report["summary"]
        # The runaway recursion, recovered from the bottom of the overflowed stack.
        heuristic = [f["function"] for f in report["backtrace"] if f["heuristic"]]
        assert heuristic[:4] == ["cd_fault_do_stack_overflow"] * 4, names(report["backtrace"])
        # (A scan may also pick up stale words: the worker's own frames must be there.)
        assert "worker_thread" in heuristic, names(report["backtrace"])
    else:
        # The recursion reached the guard while a context switch was saving the
        # worker's registers (or a tick was stacking them): the fault is in that
        # handler, and the dump says which thread it interrupted.
        assert report["context"].endswith("which interrupted thread 'worker'"), report["context"]
        assert report["backtrace"][0]["function"] in ("PendSV_Handler", "SysTick_Handler"), \
            names(report["backtrace"])


def test_thread_stack_overrun_named(board: str, tmp_path: Path) -> None:
    """A thread writes below the bottom of its stack and yields: the MPU
    guard faults at the first write (ARMv7-M); elsewhere (ARMv8-M, whose
    PSPLIM checks pushes, not stores, and ARMv6-M, with no guard at all) the
    switch's stack check calls the FreeRTOS adapter's stack-overflow hook.
    Either way the dump names the thread and says its stack overflowed."""
    report = crash(board, tmp_path, WHERE_OVERRUN, 0)
    assert "worker" in report["summary"], report["summary"]
    text = json.dumps(report).lower()
    assert "stack overflow" in text or "stack guard" in text or "mpu" in text, report["summary"]
    if report["context"] == "thread 'worker'":
        bt = names(report["backtrace"])  # (worker_obey may tail-call overrun)
        assert bt[0] == "overrun" and bt[-1] == "worker_thread", bt
    else:
        # The hook, from the context switch that found the stack overrun.
        assert report["context"] == "an interrupt handler (PendSV), which interrupted thread 'worker'", \
            report["context"]
        assert report["summary"].startswith("stack overflow in thread 'worker'"), report["summary"]
        assert "vApplicationStackOverflowHook" in names(report["backtrace"]), names(report["backtrace"])


def test_gdb_sees_every_thread(board: str, tmp_path: Path) -> None:
    """gdb-multiarch through `crashdump gdbserver`: `info threads` lists the
    dump's threads, `thread apply all bt` gives each one's backtrace, the same
    functions `decode --json` shows, down to each entry function."""
    from test_gdb import gdb, pipe, sections  # one GDB driver for the suite
    report, dump, elf = crash_dump(board, tmp_path, WHERE_IRQ, FaultKind.BAD_READ)
    out, _ = gdb(elf, pipe(dump, elf), "info threads", "thread apply all bt")
    parts = sections(out)
    listed = re.findall(r"Thread (\d+) \((\w+)\)", parts["info threads"])
    assert [name for _, name in listed] == [t["name"] for t in report["threads"]], out
    per_thread = re.split(r"^Thread \d+ \(Thread \d+ \((\w+)\)\):$", parts["thread apply all bt"],
                          flags=re.M)
    bts = {per_thread[i]: per_thread[i + 1] for i in range(1, len(per_thread) - 1, 2)}
    for t in report["threads"]:
        gdb_functions = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(", bts[t["name"]], re.M)
        ours = [f["function"] for f in t["backtrace"] if not f["heuristic"]]
        # GDB names inlined callees too (cm_wfi in idle): ours must appear in order.
        it = iter(gdb_functions)
        assert all(fn in it for fn in ours), (t["name"], ours, gdb_functions)
        if not any(f["heuristic"] for f in t["backtrace"]):
            # (Preempted inside code without CFI, e.g. libgcc's soft-float
            # helpers, neither unwinder has call-frame information to go on.)
            assert ENTRIES[t["name"]] in gdb_functions, (t["name"], gdb_functions)
    assert "<signal handler called>" in bts["worker"]  # through the interrupt into the thread


def symbol(elf: Path, name: str) -> Tuple[int, int]:
    """(address, size) of a data symbol, static ones included (GCC may have
    suffixed a static's name: `g_cd.lto_priv.0`)."""
    from elftools.elf.elffile import ELFFile
    with elf.open("rb") as f:
        for sym in ELFFile(f).get_section_by_name(".symtab").iter_symbols():
            if sym.entry.st_info.type == "STT_OBJECT" and sym.name.split(".")[0] == name:
                return sym["st_value"], sym["st_size"]
    raise AssertionError(f"{name} not in {elf}")


@pytest.mark.parametrize("target", ["g_cd", "s_d", "cd_fault_depth"])
def test_overwritten_library_state_leaves_a_record(board: str, tmp_path: Path, target: str) -> None:
    """A runaway write over the library's own fault-critical state (the
    core's configuration, the dump writer's slot table, the fault nesting
    count) just before a fault: the device writes no dump from state it
    cannot trust, but still a crash record that says so, and restarts."""
    if target != "g_cd" and board not in MATRIX_BOARDS:
        pytest.skip(f"every target runs on {', '.join(sorted(MATRIX_BOARDS))}")
    addr, size = symbol(rtos_elf(board), target)
    assert 0 < size < 0x10000
    smash = bytes([WHERE_SMASH, FaultKind.BAD_READ]) + size.to_bytes(2, "little") + \
        addr.to_bytes(4, "little")
    with crashed(board, smash) as (emu, url, boot):
        status = dump_status(url)
        text = run(CLI + ["--port", url, "dump", "status"]).stdout
        with Client.open(url, timeout=5.0) as dev:  # alive, and crashdump is again
            assert dev.info().boot_count == boot + 1, (text, emu.output)
    last = status["last_crash"]
    assert last["result"] == -20, status
    assert "crashdump's own state was overwritten" in text, text
    assert status["crashes_dropped"] == 1, status
    assert not any(s["state"] == "valid" for s in status["slots"]), status
