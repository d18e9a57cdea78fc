# SPDX-License-Identifier: Apache-2.0
"""crashdump.robot.CrashdumpLibrary in a real Robot Framework run against the
demo firmware in QEMU: tests/e2e/robot/qemu.robot crashes the device in
several ways; each test's status and message, the log's links and the files
they point to are checked here."""
from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crashdump.harness.emulate import BOARDS, Emulator, demo_elf, get_board

robot_api = pytest.importorskip("robot.api", reason="Robot Framework is in the test extra: "
                                "pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).with_name("robot") / "qemu.robot"
# the library does the same on every board: the first one tested is enough
BOARD = (os.environ.get("CRASHDUMP_BOARDS") or next(iter(BOARDS))).split(",")[0]


def test_keywords_in_a_robot_run_against_qemu(tmp_path: Path) -> None:
    elf = demo_elf(get_board(BOARD), ROOT)
    if not elf.is_file():
        pytest.fail(f"{elf} is missing: build it first (scripts/test.sh does)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "host")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                if p]))
    out = tmp_path / "robot"
    with Emulator(BOARD, elf=elf, gdb_port=0) as emu:
        run = subprocess.run(
            [sys.executable, "-m", "robot", "--outputdir", str(out), "--consolecolors", "off",
             "--variable", f"ELF:{elf}", "--variable", f"UART_PORT:{emu.serial_port}",
             "--variable", f"GDB_PORT:{emu.gdb_port}", "--variable", f"PYTHON:{sys.executable}",
             str(SUITE)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=300)
    assert (out / "output.xml").is_file(), run.stdout
    result = robot_api.ExecutionResult(str(out / "output.xml"))
    tests = {t.name: t for t in result.suite.all_tests}
    status = {name: t.status for name, t in tests.items()}
    assert status == {
        "A Device That Does Not Crash Passes": "PASS",
        "An Unexpected Crash Fails The Test With Its Summary": "FAIL",
        "An Expected Crash Passes": "PASS",
        "A Test Can Pull And Inspect Its Dumps": "PASS",
        "An Expected Crash That Left No Dump Fails": "FAIL",
        "Dumps Come Through The GDB Server Too": "FAIL",
    }, run.stdout

    message = tests["An Unexpected Crash Fails The Test With Its Summary"].message
    assert "unexpected crash:" in message
    assert "BusFault: precise bus fault at 0x60000000 in cd_fault_do_bad_read()" in message
    assert re.search(r"report: crashdumps/Qemu-An_Unexpected_Crash\S*-slot\d\.txt", message)
    assert "0 crash dump(s) in this test where 1 expected" in \
        tests["An Expected Crash That Left No Dump Fails"].message
    message = tests["Dumps Come Through The GDB Server Too"].message
    assert "UsageFault" in message and "divide by zero" in message and "cd_fault_do_div0" in message

    # every crash (erased after its serial pull, so each is pulled once) has
    # its dump and reports in the output folder, linked from Robot's log
    # (log.html holds its messages compressed: output.xml has them as written)
    reports = sorted((out / "crashdumps").glob("*.txt"))
    assert len(reports) == 4, reports
    log = (out / "output.xml").read_text()
    assert log.count('html="true"') >= 4
    for report in reports:
        for suffix in (".cdmp", ".txt", ".json"):
            f = report.with_suffix(suffix)
            assert f.stat().st_size > 0
            assert f'href="crashdumps/{f.name}"' in html.unescape(log), \
                f"no link to {f.name} in the log"
    assert "cd_fault_do_bad_read" in (out / "crashdumps").joinpath(
        next(r.name for r in reports if "Unexpected" in r.name)).read_text()
