# SPDX-License-Identifier: Apache-2.0
"""End-to-end fixtures: the real demo firmware in real QEMU, reached through
pyserial over the emulated UART's TCP socket.

Every test that takes `dev` gets a fresh QEMU process (cold RAM, so the
firmware initialises its storage from scratch) for each board in BOARDS.
Set CRASHDUMP_BOARDS=board1,board2 to narrow or widen the list.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from crashdump import Client
from crashdump.harness.emulate import BOARDS, Emulator, demo_elf, find_root, get_board

ROOT = Path(__file__).resolve().parents[2]
E2E_BOARDS = [b for b in os.environ.get("CRASHDUMP_BOARDS", ",".join(BOARDS)).split(",") if b]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "board" in callspec.params:
                _board_of[item.nodeid] = callspec.params["board"]


@pytest.fixture(params=E2E_BOARDS)
def board(request) -> str:
    return request.param


@pytest.fixture
def elf(board: str) -> Path:
    path = demo_elf(get_board(board), find_root(ROOT))
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it first (scripts/test.sh does)")
    return path


@pytest.fixture
def emu(board: str, elf: Path) -> Iterator[Emulator]:
    with Emulator(board, elf=elf) as e:
        yield e
    # A lockup (QEMU exit 134) must not hide behind a passing test.
    assert not e.locked_up, e.output


@pytest.fixture
def dev(emu: Emulator) -> Iterator[Client]:
    with Client.open(emu.serial_url, timeout=5.0) as c:
        yield c


# ------------------------------------------------------------ time per board

_board_of: Dict[str, str] = {}            # test node id -> its `board` parameter
_board_times: Dict[str, List[float]] = {}  # board -> [seconds, tests]


def pytest_runtest_logreport(report) -> None:
    """Adds each end-to-end test's setup, call and teardown time to its board,
    so the run ends with what each board costs CI (pytest_terminal_summary)."""
    board = _board_of.get(report.nodeid)
    if board is None:
        return
    entry = _board_times.setdefault(board, [0.0, 0])
    entry[0] += report.duration
    if report.when == "setup":
        entry[1] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not _board_times:
        return
    tr = terminalreporter
    tr.section("e2e time per board")
    tr.write_line(f"{'board':<20} {'tests':>5} {'seconds':>8}")
    for board, (seconds, count) in sorted(_board_times.items()):
        tr.write_line(f"{board:<20} {count:>5} {seconds:>8.1f}")
    tr.write_line(f"{'all':<20} {sum(c for _, c in _board_times.values()):>5} "
                  f"{sum(s for s, _ in _board_times.values()):>8.1f}")
