# SPDX-License-Identifier: Apache-2.0
"""crashdump.pytest_plugin for real: a user's test file, run by pytest in a
subprocess against the demo firmware in QEMU, crashes the device on purpose;
the failure report must carry the decoded dump and the teardown must catch a
crash that a passing test did not notice."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from crashdump.harness.emulate import BOARDS, demo_elf, get_board

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
# what the plugin does is the same on every board: the first one tested is enough
BOARD = (os.environ.get("CRASHDUMP_BOARDS") or next(iter(BOARDS))).split(",")[0]

USER_TESTS = '''
from crashdump.protocol.wire import FaultKind

def test_talks(crashdump_client):
    assert crashdump_client.info().boot_count == 1

def test_crash_then_assert(crashdump_client):
    crashdump_client.fault(FaultKind.BAD_READ)
    assert crashdump_client.info().boot_count == 1   # 2: the crash rebooted it

def test_crash_nobody_noticed(crashdump_client):
    crashdump_client.fault(FaultKind.UNDEF)

def test_crash_on_purpose(crashdump_device):
    crashdump_device.expect_crash()
    crashdump_device.client.fault(FaultKind.BUGCHECK)

def test_expected_crash_missing(crashdump_device):
    crashdump_device.expect_crash()
'''


def test_user_suite_gets_decoded_dumps(pytester: pytest.Pytester, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    board = BOARD
    elf = demo_elf(get_board(board), ROOT)
    if not elf.is_file():
        pytest.fail(f"{elf} is missing: build it first (scripts/test.sh does)")
    # the subprocess runs in pytester's folder: the package must not depend on the cwd
    pytester.makepyfile(test_user=USER_TESTS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT / "host")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                if p]))
    out = tmp_path / "dumps"
    result = pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "crashdump.pytest_plugin", "--crashdump-board", board,
        "--crashdump-elf", str(elf), "--crashdump-dir", str(out), "-rA", timeout=300)
    text = result.stdout.str()
    # teardown errors leave their tests counted as passed too
    result.assert_outcomes(passed=4, failed=1, errors=2)

    # the failing test's report has the decoded crash in its own section
    failure = text[text.index("_ test_crash_then_assert _"):]
    failure = failure[:failure.index("\n_", 1)] if "\n_" in failure[1:] else failure
    assert "- crashdump -" in failure
    assert "crash: BusFault: precise bus fault" in failure
    assert "cd_fault_do_bad_read" in failure and "backtrace:" in failure
    assert "assert 2 == 1" in failure

    # a passing test that crashed the device errors at teardown, with the cause
    assert "ERROR at teardown of test_crash_nobody_noticed" in text
    assert "crashdump: the device crashed:" in text and "UsageFault" in text
    assert "cd_fault_do_undef" in text
    assert "ERROR at teardown of test_expected_crash_missing" in text
    assert "0 crash dump(s) where 1 expected" in text

    # each crash left its dump and both reports, named after the test
    reports = sorted(p.name for p in out.glob("*.txt"))
    assert len(reports) == 3, reports
    assert any("test_crash_then_assert" in r for r in reports)
    on_purpose = [p for p in out.glob("*test_crash_on_purpose*.txt")]
    assert len(on_purpose) == 1 and "bugcheck" in on_purpose[0].read_text().lower()
    for report in out.glob("*.txt"):
        assert report.with_suffix(".cdmp").stat().st_size > 0
        assert report.with_suffix(".json").read_text().startswith("{")
