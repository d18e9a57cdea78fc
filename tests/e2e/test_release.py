# SPDX-License-Identifier: Apache-2.0
"""The release configuration (the default: no fault injection commands) in
QEMU: it links, runs, serves the protocol, does not advertise FAULT and
answers it with UNSUPPORTED, and keeps running."""
from __future__ import annotations

from pathlib import Path

import pytest

from crashdump import Caps, Client, DeviceError
from crashdump.harness.emulate import Emulator, demo_elf, find_root, get_board
from crashdump.protocol.wire import FaultKind

ROOT = Path(__file__).resolve().parents[2]


def release_elf(board: str) -> Path:
    test_elf = demo_elf(get_board(board), find_root(ROOT))
    # build/<board>/boards/<board>/crashdump-demo.elf -> build/<board>-release/...
    rel = test_elf.relative_to(ROOT / "build" / board)
    path = ROOT / "build" / f"{board}-release" / rel
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it first (scripts/test.sh does)")
    return path


def test_release_build_has_no_fault_commands(board: str) -> None:
    with Emulator(board, elf=release_elf(board)) as emu:
        with Client.open(emu.serial_url, timeout=5.0) as dev:
            info = dev.info()
            assert not info.caps & Caps.FAULT_CMDS
            assert info.caps & Caps.DUMP
            with pytest.raises(DeviceError) as e:
                dev.fault(FaultKind.BAD_READ, wait=1.0)
            assert e.value.name == "UNSUPPORTED"
            # Still running, same boot: nothing crashed.
            assert dev.info().boot_count == info.boot_count
            dev.source_create("rel", item_size=8, count=2)
            dev.source_write("rel", b"ok")
            assert [r.data for r in dev.source_capture("rel").records] == [b"ok"]
    assert not emu.locked_up, emu.output
