# SPDX-License-Identifier: Apache-2.0
"""Post-mortem debugging end to end: the real firmware crashes in QEMU, the dump
is pulled over serial, and real gdb-multiarch (batch mode) attaches to the real
`crashdump gdbserver` through --pipe (and through --gdb-port, once with --persist): `bt` reaches
main through the fault injector's CFI, `info registers` equals
`crashdump decode --json`, `print` reads a triage range, FPU registers hold
the injector's pattern on the M4F, and memory the dump lacks is not invented.
"""
from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from crashdump import Client
from crashdump.dumpfile.format import RING_MAGIC
from crashdump.harness.emulate import Emulator, get_board
from crashdump.pull.serial import SerialSource, offered

GDB = shutil.which("gdb-multiarch")
CRASHDUMP = [sys.executable, "-m", "crashdump"]
DEMO_MAGIC = 0x4F4D4544
# kind: (number, function that is running at the crash: frame 0, or frame 1 of a bug check)
KINDS = {"bad_read": (1, "cd_fault_do_bad_read"), "bugcheck": (8, "cd_fault_do_bugcheck"),
         "stack_overflow": (7, None), "nmi": (9, "cd_fault_do_nmi"),
         "watchdog": (11, "cd_fault_do_watchdog")}
# cd_bugcheck (cd_fault_entry.S) has no CFI, and GAS 2.40 gives its DWARF subprogram
# a Thumb-bit low_pc, so GDB cannot unwind from its first instruction.

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")

_dumps: Dict[Tuple[str, str], Path] = {}


def crash_dump(board: str, elf: Path, name: str, tmp_path_factory) -> Path:
    """The pulled dump of fault `name` on `board` (one QEMU run per pair, shared
    by the tests below)."""
    key = (board, name)
    if key not in _dumps:
        path = tmp_path_factory.mktemp(f"{board}-{name}") / "crash.cdmp"
        with Emulator(board, elf=elf) as emu:
            with Client.open(emu.serial_url, timeout=5.0) as dev:
                dev.fault(KINDS[name][0])
                valid = [s for s in dev.dump_status().slots if s.state == 1]
                assert len(valid) == 1
                SerialSource(dev).pull(offered(valid[0]), path)
        assert not emu.locked_up, emu.output
        _dumps[key] = path
    return _dumps[key]


def gdb(elf: Path, remote: str, *commands: str) -> Tuple[str, float]:
    """gdb-multiarch's output for `commands` after `target remote REMOTE`, and
    the seconds from start to exit."""
    args = [GDB, "-nx", "-batch", "-ex", "set pagination off",
            # generous: a loaded 2-core CI machine can take seconds to start the server
            "-ex", "set remotetimeout 20", "-ex", f"target remote {remote}"]
    for c in commands:
        args += ["-ex", f"echo @@@ {c}\\n", "-ex", c]
    start = time.monotonic()
    # one pipe for both, so error messages stay between the markers
    r = subprocess.run(args + [str(elf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    took = time.monotonic() - start
    return r.stdout, took


def pipe(dump: Path, elf: Path) -> str:
    return "| " + " ".join(CRASHDUMP + ["gdbserver", str(dump), "--elf", str(elf), "--pipe"])


def sections(output: str) -> Dict[str, str]:
    """Output per command (split at the echo markers)."""
    parts = re.split(r"^@@@ (.*)$", output, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def gdb_registers(text: str) -> Dict[str, str]:
    """name -> hex value, or "<unavailable>"."""
    out = {}
    for m in re.finditer(r"^(\w+)\s+(0x[0-9a-f]+|<unavailable>)", text, flags=re.M):
        out[m.group(1)] = m.group(2)
    return out


def decoded(dump: Path, elf: Path) -> dict:
    r = subprocess.run(CRASHDUMP + ["decode", str(dump), "--elf", str(elf), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def frames(bt: str) -> List[str]:
    return re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", bt, flags=re.M)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_gdb_backtrace_reaches_main(board, elf, name, tmp_path_factory):
    dump = crash_dump(board, elf, name, tmp_path_factory)
    out, took = gdb(elf, pipe(dump, elf), "bt")
    bt = sections(out)["bt"]
    if name == "stack_overflow":
        # the exception frame could not be stacked: no PC and no LR, so GDB
        # cannot go past the placeholder frame at pc = 0 (no symbol there
        # when code does not start at 0, as on the an505)
        assert "holds no PC" in out and len(frames(bt)) <= 1, out
        return
    assert "??" not in bt, out
    function = KINDS[name][1]
    names = frames(bt)
    assert names, out
    if name == "bugcheck":
        assert names[:2] == ["cd_bugcheck", function], out
    else:
        assert names[0] == function, out
    assert names[-3:] == ["cd_fault_inject", "cd_proto_poll", "main"], out
    assert took < 5, took


@pytest.mark.parametrize("name", sorted(KINDS))
def test_gdb_registers_memory_and_triage(board, elf, name, tmp_path_factory):
    dump = crash_dump(board, elf, name, tmp_path_factory)
    report = decoded(dump, elf)
    ring = int(next(r for r in report["rings"] if r["self"])["addr"], 16)
    out, _ = gdb(elf, pipe(dump, elf), "info all-registers", "p/x demo.magic",
                 "p demo.boot_count", "x/x 0x30000000", "x/x $sp - 64", f"x/x {ring}")
    got = sections(out)
    regs = gdb_registers(got["info all-registers"])

    want = {k: int(v, 16) for k, v in report["registers"].items()}
    if name == "stack_overflow":
        # no exception frame: the server warns and gives pc = 0 so GDB stays attached
        assert "holds no PC" in out and regs["pc"] == "0x0", out
        assert regs["lr"] == "<unavailable>" and regs["r0"] == "<unavailable>", out
    compared = 0
    for name_, value in regs.items():
        if name_ not in want or value == "<unavailable>" or \
                (name == "stack_overflow" and name_ == "pc"):
            continue
        expect = want[name_]
        if name_ in ("msp", "psp") and want.get("exc_return", 0) >> 24 == 0xFF:
            # the active stack pointer is shown as the interrupted code had it
            active = "psp" if want["exc_return"] & 4 else "msp"
            if name_ == active:
                expect = want["sp"]
        assert int(value, 16) == expect, (name_, value, hex(expect), out)
        compared += 1
    if name != "stack_overflow":
        assert compared >= 17, (regs, out)
        assert int(regs["pc"], 16) == want["pc"], out

    if get_board(board).fpu and name != "stack_overflow":
        kind = KINDS[name][0]
        raw = dict(re.findall(r"^(s\d+)\s+.*\(raw (0x[0-9a-f]+)\)", got["info all-registers"],
                              flags=re.M))
        assert [int(raw[f"s{n}"], 16) for n in range(32)] == \
            [0x4C000000 | n << 16 | kind for n in range(32)], out
        assert int(regs["fpscr"], 16) == 0xF0000000 | kind, out

    # `demo` is the demo's triage range: its bytes come from the dump
    triage = [t for t in report["triage"] if "demo" in t["name"]]
    assert triage, report["triage"]
    held = bytes.fromhex(triage[0]["hex"])
    assert f"= 0x{DEMO_MAGIC:x}" in got["p/x demo.magic"], out
    assert f"= {int.from_bytes(held[4:8], 'little')}" in got["p demo.boot_count"], out
    # the self ring, at the RAM address its RING section records: its header's magic
    assert ring and f"0x{RING_MAGIC:08x}" in got[f"x/x {ring}"], out
    # neither an unmapped address nor RAM below the captured stack is invented
    assert "Cannot access memory at address 0x30000000" in got["x/x 0x30000000"], out
    if name != "stack_overflow":
        assert "Cannot access memory" in got["x/x $sp - 64"], out


def test_gdb_over_tcp(board, elf, tmp_path_factory):
    dump = crash_dump(board, elf, "bad_read", tmp_path_factory)
    proc = subprocess.Popen(CRASHDUMP + ["gdbserver", str(dump), "--elf", str(elf),
                                         "--gdb-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        head = proc.stdout.readline() + proc.stdout.readline()
        m = re.search(r"target remote (127\.0\.0\.1:\d+)", head)
        assert m, head
        out, _ = gdb(elf, m.group(1), "bt", "p/x $pc")
        assert frames(sections(out)["bt"])[0] == "cd_fault_do_bad_read", out
        assert proc.wait(timeout=20) == 0     # GDB detached: the server exits
    finally:
        proc.kill()
        proc.communicate()


def test_gdb_persist_serves_session_after_session(board, elf, tmp_path_factory):
    dump = crash_dump(board, elf, "bad_read", tmp_path_factory)
    proc = subprocess.Popen(CRASHDUMP + ["gdbserver", str(dump), "--elf", str(elf),
                                         "--gdb-port", "0", "--persist", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["host"] == "127.0.0.1" and doc["address"] == f"127.0.0.1:{doc['port']}"
        for _ in range(2):  # GDB detaches; the server keeps serving
            out, _ = gdb(elf, doc["address"], "bt")
            assert frames(sections(out)["bt"])[0] == "cd_fault_do_bad_read", out
            assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0  # Ctrl-C is how a persistent server ends
        err = proc.stderr.read() if proc.stderr else ""
        assert err.count("GDB connected from 127.0.0.1:") == 2 and "stopped" in err, err
    finally:
        proc.kill()
        proc.communicate()
