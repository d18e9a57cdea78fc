"""End-to-end fixtures: the real demo firmware in real QEMU, reached through
pyserial over the emulated UART's TCP socket.

Every test that takes `dev` gets a fresh QEMU process (cold RAM, so the
firmware initialises its storage from scratch) for each board in BOARDS.
Set CRASHDUMP_BOARDS=board1,board2 to narrow or widen the list.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from crashdump import Client
from crashdump.emulate import BOARDS, Emulator, demo_elf, find_root, get_board

ROOT = Path(__file__).resolve().parents[2]
E2E_BOARDS = [b for b in os.environ.get("CRASHDUMP_BOARDS", ",".join(BOARDS)).split(",") if b]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


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
