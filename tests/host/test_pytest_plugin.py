# SPDX-License-Identifier: Apache-2.0
"""crashdump.pytest_plugin without QEMU: options and ini settings, and the
failure and teardown reports with a user's test file whose emulator is a fake
device on a TCP socket. tests/e2e/test_pytest_plugin.py runs it on QEMU."""
from __future__ import annotations

from pathlib import Path

import pytest

from .fake_device import FakeServer
from .test_dump_cli import DumpDevice

pytest_plugins = ["pytester"]

FAKE_EMULATOR = '''
import os
import pytest

class FakeEmulator:
    serial_url = os.environ["FAKE_DEVICE_URL"]
    elf = None
    gdb_address = None
    def check(self):
        pass

@pytest.fixture
def crashdump_emulator():
    return FakeEmulator()
'''


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # hypothesis's plugin costs more than one of these small runs
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def test_failure_and_teardown_reports(pytester: pytest.Pytester, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_user=FAKE_EMULATOR + '''
def test_fails(crashdump_client):
    assert crashdump_client.info().boot_count == 7

def test_passes_but_device_crashed(crashdump_client):
    crashdump_client.info()

def test_expects_both(crashdump_device):
    crashdump_device.expect_crash(2)

def test_expects_one(crashdump_device):
    crashdump_device.expect_crash(1)

def test_pulls_and_checks_itself(crashdump_device):
    crashes = crashdump_device.pull()
    assert [c.slot for c in crashes] == [0, 2]
''')
    out = tmp_path / "dumps"
    with FakeServer(DumpDevice()) as server:
        monkeypatch.setenv("FAKE_DEVICE_URL", server.url)
        result = run(pytester, "-p", "crashdump.pytest_plugin", "--crashdump-dir", str(out))
    result.assert_outcomes(passed=4, failed=1, errors=2)
    text = result.stdout.str()
    failure = text[text.index("_ test_fails _"):]
    assert "assert 1 == 7" in failure
    # up to the short summary, which repeats whole messages where CI is set
    section = failure[failure.index("- crashdump -"):failure.index("short test summary info")]
    assert section.count("\ncrash: ") == 2 and "backtrace:" in section
    assert f"report: {out}/test_user.py_test_fails-slot0.txt" in section
    assert "ERROR at teardown of test_fails" not in text  # the failure said it all
    assert "ERROR at teardown of test_passes_but_device_crashed" in text
    assert "crashdump: the device crashed:" in text
    assert "ERROR at teardown of test_expects_one" in text
    assert "crashdump: 2 crash dump(s) where 1 expected" in text
    names = sorted(p.name for p in out.glob("*.cdmp"))
    assert len(names) == 10, names  # 2 dumps for each test


def test_board_and_elf_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncrashdump_board = qemu-mps2-an505\ncrashdump_elf = fw/app.elf\n")
    pytester.makepyfile(test_user=f'''
from pathlib import Path

def test_options(crashdump_board, crashdump_elf):
    assert crashdump_board.machine == "mps2-an505"
    assert crashdump_elf == Path({str(pytester.path)!r}) / "fw" / "app.elf"
''')
    run(pytester, "-p", "crashdump.pytest_plugin").assert_outcomes(passed=1)


def test_command_line_beats_ini_and_machine_needs_no_board(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncrashdump_board = qemu-mps2-an505\n")
    pytester.makepyfile(test_user='''
def test_options(crashdump_board, crashdump_elf):
    assert (crashdump_board.name, crashdump_board.machine) == ("mine", "mps2-an386")
    assert crashdump_board.boot_address is None   # a user's image: not checked
    assert crashdump_elf.name == "x.elf" and crashdump_elf.is_absolute()
''')
    run(pytester, "-p", "crashdump.pytest_plugin", "--crashdump-board", "mine",
                       "--crashdump-machine", "mps2-an386",
                       "--crashdump-elf", "x.elf").assert_outcomes(passed=1)


@pytest.mark.parametrize("args, message", [
    ((), "crashdump: give --crashdump-board BOARD"),
    (("--crashdump-board", "nope"), "crashdump: unknown board 'nope'"),
])
def test_board_errors(pytester: pytest.Pytester, args: tuple, message: str) -> None:
    pytester.makepyfile(test_user="def test_x(crashdump_board):\n    pass\n")
    result = run(pytester, "-p", "crashdump.pytest_plugin", *args)
    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()


def test_plugin_is_opt_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_x(crashdump_client):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert "fixture 'crashdump_client' not found" in result.stdout.str()


class _SilentEmulator:
    """A running emulator whose firmware no longer answers on the UART."""

    def __init__(self, url: str) -> None:
        self.serial_url, self.elf, self.gdb_address = url, None, "127.0.0.1:1"
        self.checked = 0

    def check(self) -> None:
        self.checked += 1


def test_a_silent_firmware_is_read_through_the_gdb_stub(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from crashdump.harness.collect import Collector
    from crashdump.pytest_plugin import CrashdumpDevice
    probed = []
    monkeypatch.setattr(Collector, "from_probe",
                        lambda self, probe, name, board=None, target=None: probed.append(probe)
                        or [])
    with FakeServer(DumpDevice()) as server:
        server.device.silent = True
        emu = _SilentEmulator(server.url)
        device = CrashdumpDevice(emu, Collector(tmp_path), "t", timeout=0.3)  # type: ignore[arg-type]
        try:
            assert device.pull() == []
        finally:
            device.close()
    assert probed == ["gdbrsp:127.0.0.1:1"] and emu.checked == 1
