# SPDX-License-Identifier: Apache-2.0
"""`crashdump decode` on real dumps, through the CLI: the one-screen summary,
--oneline crash signatures that recognise the same crash in two dumps, the
ELF found by build-id in a symbol directory, and a wrong ELF refused.

On one board (the first of CRASHDUMP_BOARDS): the decoding is the host's,
the fault matrix covers the boards.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from crashdump.dumpfile.parse import parse_dump
from crashdump.pull.serial import SerialSource, offered

from conftest import E2E_BOARDS
from test_faults import KINDS

CLI = [sys.executable, "-m", "crashdump"]


def run(args: List[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_summary_oneline_and_symbol_dir(dev, board, elf, tmp_path: Path) -> None:
    if board != E2E_BOARDS[0]:
        pytest.skip("decoding is the host's: one board is enough")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for n, name in enumerate(["bad_read", "undef", "bad_read"]):
        dev.fault(KINDS[name][0])
        slot = next(s for s in dev.dump_status().slots if s.state == 1)
        SerialSource(dev).pull(offered(slot), dumps / f"{n}-{name}.cdmp")
        dev.dump_erase(slot.index, 0, force=True)
    symbols = str(elf.parent.parent.parent)     # the board's build tree: ELFs and objects

    # the summary, with the ELF found by build-id through the environment variable
    r = run(["decode", str(dumps / "0-bad_read.cdmp")], CRASHDUMP_SYMBOLS=symbols)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("crash: ") and "in cd_fault_do_bad_read()" in lines[0], r.stdout
    assert "no ELF" not in r.stdout
    bt = lines.index("backtrace:")
    assert "cd_fault_do_bad_read" in lines[bt + 1] and ".c:" in lines[bt + 2], r.stdout
    assert any(x.startswith("rings (newest 3") for x in lines) and len(lines) < 40

    # one line per dump; the two bad_read crashes share a signature, undef differs
    r = run(["decode", str(dumps), "--oneline", "--symbols", symbols])
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()
    assert [Path(x.split()[0]).name for x in rows] == ["0-bad_read.cdmp", "1-undef.cdmp",
                                                      "2-bad_read.cdmp"]
    hashes = [x.split()[1] for x in rows]
    assert hashes[0] == hashes[2] != hashes[1], r.stdout
    assert "in cd_fault_do_bad_read < cd_fault_inject" in rows[0], r.stdout
    assert "UsageFault UNDEFINSTR" in rows[1] and "in cd_fault_do_undef" in rows[1]

    # without symbols: decoded all the same, functions by address, a different signature
    r = run(["decode", str(dumps / "0-bad_read.cdmp"), "--oneline"])
    assert r.returncode == 0 and r.stdout.split()[1] != hashes[0]

    # one flipped byte in a ring: that section is marked, the rest decoded, exit 1;
    # the signature does not depend on the rings
    damaged = tmp_path / "damaged.cdmp"
    data = bytearray((dumps / "0-bad_read.cdmp").read_bytes())
    ring = next(s for s in parse_dump(bytes(data)).sections if s.type_name == "RING")
    data[ring.offset + 12 + len(ring.data) // 2] ^= 0x40
    damaged.write_bytes(bytes(data))
    r = run(["decode", str(damaged), "--symbols", symbols])
    assert r.returncode == 1 and "in cd_fault_do_bad_read()" in r.stdout.splitlines()[0]
    assert "damaged: section " in r.stdout and "(RING, " in r.stdout, r.stdout
    assert "cd_fault_inject" in r.stdout and r.stderr.startswith(f"error: decode {damaged}: ")
    r = run(["decode", str(damaged), "--symbols", symbols, "--oneline"])
    assert r.returncode == 1 and r.stdout.split()[1] == hashes[0]
    assert r.stdout.rstrip().endswith("[damaged]")

    # a binary that is not the firmware is refused unless forced
    r = run(["decode", str(dumps / "0-bad_read.cdmp"), "--elf", sys.executable])
    assert r.returncode == 2 and "is not an Arm ELF" in r.stderr, r.stderr
    r = run(["decode", str(dumps / "0-bad_read.cdmp"), "--elf", sys.executable, "--force-elf"])
    assert r.returncode == 0 and "warning: build-id mismatch" in r.stdout
