# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures for firmware that uses crashdump, run in QEMU.

Opt in from a conftest.py (it is not loaded for every pytest run):

    pytest_plugins = ["crashdump.pytest_plugin"]

or `pytest -p crashdump.pytest_plugin`. Then

    def test_boot(crashdump_client):
        assert crashdump_client.info().boot_count == 1

runs each test against a fresh QEMU with the firmware given by
--crashdump-elf (ini: crashdump_elf) on --crashdump-board (a board
`crashdump emulate` knows) or --crashdump-machine (any QEMU Arm machine).
When a test fails, the device's crash dumps are pulled, decoded against the
ELF and shown in the failure's "crashdump" section (the files go to
--crashdump-dir, else the test's tmp_path); a test that passes while the
device crashed fails at teardown, unless it said
`crashdump_device.expect_crash()`. docs/pytest-qemu.md has the details.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, List, Optional, Union

import pytest

from ..errors import CrashdumpError, TransportError
from ..protocol.client import Client
from .collect import Collector, Crash
from .emulate import Board, Emulator, get_board

_DEVICE = pytest.StashKey["CrashdumpDevice"]()
_FAILED = pytest.StashKey[bool]()  # the test failed and its report has the dumps

_OPTIONS = (
    ("board", "a board `crashdump emulate` knows (qemu-mps2-an385, ...)"),
    ("machine", "a QEMU machine (-machine) for a board crashdump does not know, e.g. mps2-an386"),
    ("elf", "the firmware ELF to run (default: the board's crashdump demo, built if missing)"),
    ("dir", "where pulled dumps and their reports are written (default: each test's tmp_path)"),
    ("timeout", "seconds the client waits for each answer (default 5)"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crashdump", "crashdump: firmware in QEMU, crash dumps on failure")
    for name, text in _OPTIONS:
        group.addoption(f"--crashdump-{name}", dest=f"crashdump_{name}", metavar=name.upper(),
                        help=text)
        parser.addini(f"crashdump_{name}", text)


def _option(config: pytest.Config, name: str) -> Optional[str]:
    """An option's value: the command line's, else the ini file's."""
    value = config.getoption(f"crashdump_{name}")
    return value if value else (config.getini(f"crashdump_{name}") or None)


def _path_option(config: pytest.Config, name: str) -> Optional[Path]:
    """A path option: relative to where pytest was started when given on the
    command line, to the ini file's folder when given there."""
    value = config.getoption(f"crashdump_{name}")
    base = config.invocation_params.dir
    if not value:
        value = config.getini(f"crashdump_{name}") or None
        base = config.inipath.parent if config.inipath else config.rootpath
    return None if value is None else (base / value).resolve()


class CrashdumpDevice:
    """The firmware running in QEMU, a client connected to its UART, and the
    crash dumps it leaves. `crashdump_device` in a test."""

    def __init__(self, emulator: Emulator, collector: Collector, name: str,
                 timeout: float) -> None:
        self.emulator = emulator
        self.collector = collector
        self.name = name
        self.client = Client.open(emulator.serial_url, timeout=timeout)
        self.expected: Optional[int] = None  # set by expect_crash()
        self.crashes: List[Crash] = []  # every crash pulled during the test

    @property
    def elf(self) -> Optional[Path]:
        return self.emulator.elf

    def expect_crash(self, count: int = 1) -> None:
        """The test crashes the device on purpose, `count` times: teardown then
        fails unless exactly that many dumps were pulled during the test (by
        the test through pull(), or by the teardown)."""
        self.expected = count

    def pull(self) -> List[Crash]:
        """Pulls and decodes the dumps not pulled before: over the UART, or
        through QEMU's GDB stub when the firmware does not answer any more."""
        self.emulator.check()
        try:
            crashes = self.collector.from_client(self.client, self.name)
        except TransportError:
            if self.emulator.gdb_address is None:
                raise
            crashes = self.collector.from_probe(f"gdbrsp:{self.emulator.gdb_address}",
                                                self.name)
        self.crashes += crashes
        return crashes

    def close(self) -> None:
        self.client.close()


def _report_text(crashes: List[Crash]) -> str:
    parts = [f"{c.text}\n(dump: {c.path}; report: {c.report_path})" for c in crashes]
    return "\n\n".join(parts)


@pytest.fixture
def crashdump_board(request: pytest.FixtureRequest) -> Union[str, Board]:
    """The board to emulate, from --crashdump-board / --crashdump-machine.
    Override it (e.g. parametrized) to run tests on several boards."""
    board, machine = _option(request.config, "board"), _option(request.config, "machine")
    if machine:
        # a user's board: nothing known of its image, so QEMU gets it unchecked
        return Board(board or machine, machine, boot_address=None)
    if not board:
        raise pytest.UsageError("crashdump: give --crashdump-board BOARD (or ini crashdump_board;"
                                " or --crashdump-machine MACHINE for another QEMU machine)")
    try:
        return get_board(board)
    except CrashdumpError as e:
        raise pytest.UsageError(f"crashdump: {e}") from None


@pytest.fixture
def crashdump_elf(request: pytest.FixtureRequest) -> Optional[Path]:
    """The firmware ELF, from --crashdump-elf (None: the board's demo)."""
    return _path_option(request.config, "elf")


@pytest.fixture
def crashdump_emulator(crashdump_board: Union[str, Board],
                       crashdump_elf: Optional[Path]) -> Iterator[Emulator]:
    """A fresh QEMU running the firmware, UART and GDB stub on free ports."""
    emu = Emulator(crashdump_board, elf=crashdump_elf, gdb_port=0)
    try:
        emu.start()
    except CrashdumpError as e:
        hint = getattr(e, "hint", None)
        pytest.fail(f"crashdump: cannot start QEMU: {e}" + (f" ({hint})" if hint else ""),
                    pytrace=False)
    with emu:
        yield emu


@pytest.fixture
def crashdump_device(request: pytest.FixtureRequest,
                     crashdump_emulator: Emulator) -> Iterator[CrashdumpDevice]:
    """The device (emulator, client, dumps). At teardown, a test that passed
    fails if the device left dumps it did not expect."""
    config = request.config
    folder = _path_option(config, "dir") or request.getfixturevalue("tmp_path")
    timeout = float(_option(config, "timeout") or 5.0)
    collector = Collector(folder, crashdump_emulator.elf)
    device = CrashdumpDevice(crashdump_emulator, collector, request.node.nodeid, timeout)
    request.node.stash[_DEVICE] = device
    try:
        yield device
        _check_at_teardown(request.node, device)
    finally:
        del request.node.stash[_DEVICE]
        device.close()


@pytest.fixture
def crashdump_client(crashdump_device: CrashdumpDevice) -> Client:
    """A client connected to the emulated device's UART."""
    return crashdump_device.client


def _check_at_teardown(item: pytest.Item, device: CrashdumpDevice) -> None:
    """Without expect_crash(), dumps the test did not pull fail it; with
    expect_crash(n), n crashes in all must have been pulled."""
    if item.stash.get(_FAILED, False):
        return  # the failure report has the dumps already
    try:
        new = device.pull()
    except CrashdumpError as e:
        pytest.fail(f"crashdump: cannot check the device for crash dumps: {e}", pytrace=False)
    if device.expected is None and new:
        pytest.fail("crashdump: the device crashed:\n" + _report_text(new), pytrace=False)
    if device.expected is not None and len(device.crashes) != device.expected:
        pytest.fail(f"crashdump: {len(device.crashes)} crash dump(s) where "
                    f"{device.expected} expected" + (":\n" + _report_text(new) if new else ""),
                    pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    device = item.stash.get(_DEVICE, None)
    if device is None or report.when != "call" or not report.failed:
        return
    item.stash[_FAILED] = True
    try:
        device.pull()
        text = _report_text(device.crashes) if device.crashes else \
            "no crash dumps on the device"
    except CrashdumpError as e:
        text = f"could not pull the crash dumps: {e}"
    report.sections.append(("crashdump", text))
    for crash in device.crashes:
        item.user_properties.append(("crashdump", str(crash.report_path)))


__all__ = ["CrashdumpDevice", "crashdump_board", "crashdump_client", "crashdump_device",
           "crashdump_elf", "crashdump_emulator"]
