# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

import pytest

from crashdump import BOARDS, Board, Client, Emulator, EmulatorError
from crashdump.cli import main
from crashdump.harness import emulate

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")
FAKE = Board("fake-board", "fake-machine", qemu=str(FAKE_QEMU), boot_address=None)
ROOT = Path(__file__).resolve().parents[2]


def firmware(tmp_path: Path, plan: Dict[str, Any], name: str = "fw.elf") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(plan))
    return path


def tiny_elf(path: Path, load_at: int = 0x0, machine: int = 40, elf_class: int = 1) -> Path:
    """A minimal ELF header with one PT_LOAD of 8 bytes (a vector table) at load_at."""
    header = (b"\x7fELF" + bytes([elf_class, 1, 1]) + bytes(9)
              + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, load_at + 4, 52, 0, 0, 52, 32, 1,
                            0, 0, 0))
    phdr = struct.pack("<IIIIIIII", 1, 84, load_at, load_at, 8, 8, 5, 4)
    path.write_bytes(header + phdr + bytes(8))
    return path


def argv_of(elf: Path) -> list:
    return json.loads(Path(str(elf) + ".argv").read_text())


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); look at its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_board_table() -> None:
    assert BOARDS["qemu-mps2-an385"].machine == "mps2-an385"
    assert BOARDS["qemu-mps2-an385"].qemu == "qemu-system-arm"
    with pytest.raises(EmulatorError, match="unknown board 'nope'"):
        Emulator("nope")


def test_demo_elf_path_is_one_constant() -> None:
    assert emulate.demo_elf(BOARDS["qemu-mps2-an385"], Path("/src")) == \
        Path("/src/build/qemu-mps2-an385/boards/qemu-mps2-an385/crashdump-demo.elf")


def test_start_serves_uart_and_stop_ends_qemu(tmp_path: Path) -> None:
    elf = firmware(tmp_path, {})
    with Emulator(FAKE, elf=elf, gdb_port=0) as emu:
        assert emu.serial_url == f"socket://127.0.0.1:{emu.serial_port}"
        with socket.create_connection(("127.0.0.1", emu.serial_port), timeout=1):
            pass
        argv = argv_of(elf)
        assert argv[:6] == ["-machine", "fake-machine", "-display", "none", "-monitor", "none"]
        assert f"tcp:127.0.0.1:{emu.serial_port},server=on,wait=off,nodelay=on" in argv
        assert argv[argv.index("-gdb") + 1] == f"tcp:127.0.0.1:{emu.gdb_port}"
        assert emu.gdb_address == f"127.0.0.1:{emu.gdb_port}"
        assert argv[argv.index("-kernel") + 1] == str(elf)
        pid = emu.pid
        assert pid is not None and emu.returncode is None
        emu.check()
    assert not pid_alive(pid)
    assert emu.stop() == emu.returncode  # stopping twice is harmless


def test_explicit_serial_port(tmp_path: Path) -> None:
    port = emulate.free_port()
    with Emulator(FAKE, elf=firmware(tmp_path, {}), serial_port=port) as emu:
        assert emu.serial_url == f"socket://127.0.0.1:{port}"
        assert emu.gdb_address is None and "-gdb" not in emu.command


def test_lockup_at_start_is_reported(tmp_path: Path) -> None:
    elf = firmware(tmp_path, {"exit_at_start": 134, "message": "qemu: fatal: Lockup"})
    with pytest.raises(EmulatorError) as e:
        Emulator(FAKE, elf=elf).start()
    assert e.value.returncode == 134
    assert "firmware locked up" in str(e.value) and "qemu: fatal: Lockup" in str(e.value)


def test_lockup_while_running(tmp_path: Path) -> None:
    with Emulator(FAKE, elf=firmware(tmp_path, {"run_for": 0.3, "exit": 134})) as emu:
        assert emu.wait(timeout=5) == 134
        assert emu.locked_up
        with pytest.raises(EmulatorError, match="locked up"):
            emu.check()


def test_missing_qemu_and_missing_firmware(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="no-such-qemu not found"):
        Emulator(Board("b", "m", qemu="no-such-qemu", boot_address=None),
                 elf=firmware(tmp_path, {})).start()
    with pytest.raises(EmulatorError, match="no firmware at"):
        Emulator(FAKE, elf=tmp_path / "absent.elf").start()


def fake_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source tree with a fake `cmake` on PATH that 'builds' the demo ELF."""
    root = tmp_path / "src"
    (root / "firmware/include/crashdump").mkdir(parents=True)
    (root / "firmware/include/crashdump/cd_format.h").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cmake = bin_dir / "cmake"
    elf = emulate.demo_elf(FAKE, root)
    cmake.write_text(f"""#!/bin/sh
echo "$@" >> {tmp_path}/cmake.log
if [ "$1" = "--build" ]; then mkdir -p {elf.parent} && echo '{{}}' > {elf}; fi
if [ "$1" = "-S" ]; then mkdir -p "$4" && touch "$4/CMakeCache.txt"; fi
""")
    cmake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return root


def test_builds_demo_firmware_when_missing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = fake_tree(tmp_path, monkeypatch)
    status: list = []
    with Emulator(FAKE, root=root, on_status=status.append) as emu:
        assert emu.elf == emulate.demo_elf(FAKE, root)
    build_dir = root / "build/fake-board"
    assert (tmp_path / "cmake.log").read_text().splitlines() == [
        f"-S {root} -B {build_dir} -DBOARD=fake-board -DCD_FAULT_CMDS=ON",
        f"--build {build_dir}",
    ]
    assert any("building fake-board" in s for s in status)
    with Emulator(FAKE, root=root) as emu:  # present now: no second build
        pass
    assert len((tmp_path / "cmake.log").read_text().splitlines()) == 2


def test_build_failure_shows_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fake_tree(tmp_path, monkeypatch)
    (tmp_path / "bin" / "cmake").write_text("#!/bin/sh\necho 'main.c:1: error: oops'\nexit 2\n")
    with pytest.raises(EmulatorError, match="exited with 2:\nmain.c:1: error: oops") as e:
        Emulator(FAKE, root=root).start()
    assert e.value.operation == "build fake-board"


def test_find_root() -> None:
    assert emulate.find_root(ROOT / "docs") == ROOT


def test_cli_emulate_prints_url_and_reports_lockup(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(BOARDS, FAKE.name, FAKE)
    elf = firmware(tmp_path, {"run_for": 0.3, "exit": 0})
    assert main(["--json", "emulate", FAKE.name, "--elf", str(elf)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["serial_url"].startswith("socket://127.0.0.1:") and doc["board"] == FAKE.name
    elf = firmware(tmp_path, {"run_for": 0.3, "exit": 134}, name="crash.elf")
    assert main(["emulate", FAKE.name, "--elf", str(elf)]) == 1
    out, err = capsys.readouterr()
    assert "serial  socket://127.0.0.1:" in out
    assert err.startswith("error: emulate: QEMU exited with 134: the firmware locked up")


def test_cli_emulate_stops_qemu_on_sigterm(tmp_path: Path) -> None:
    """`crashdump emulate ... &` then `kill %1` must not leave QEMU running."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qemu-system-arm").symlink_to(FAKE_QEMU)
    elf = tiny_elf(tmp_path / "fw.elf")
    Path(str(elf) + ".plan").write_text("{}")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen([sys.executable, "-m", "crashdump", "emulate", "qemu-mps2-an385",
                             "--elf", str(elf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "qemu-mps2-an385 (mps2-an385) running" in first
    qemu_pid = int(Path(str(elf) + ".pid").read_text())
    assert pid_alive(qemu_pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    deadline = time.monotonic() + 5
    while pid_alive(qemu_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(qemu_pid)


def demo_elf_or_skip() -> Path:
    elf = emulate.demo_elf(BOARDS["qemu-mps2-an385"], ROOT)
    if shutil.which("qemu-system-arm") is None or not elf.is_file():
        pytest.skip(f"needs qemu-system-arm and a built {elf.relative_to(ROOT)}")
    return elf


@pytest.mark.e2e
def test_real_qemu_smoke() -> None:
    elf = demo_elf_or_skip()
    with Emulator("qemu-mps2-an385", elf=elf) as emu:
        with Client.open(emu.serial_url) as dev:
            info = dev.info()
            assert info.proto_version == 1 and info.name
            dev.source_create("smoke", item_size=16, count=4)
            seq = dev.source_write("smoke", b"survives reset")
            dev.reset()
            assert dev.info().boot_count == info.boot_count + 1
            assert [(r.seq, r.data) for r in dev.source_capture("smoke").records] == \
                [(seq, b"survives reset")]


AN385 = BOARDS["qemu-mps2-an385"]


def test_an_image_that_is_not_an_arm_elf_is_refused_before_qemu_starts(tmp_path: Path) -> None:
    board = Board(AN385.name, AN385.machine, qemu=str(FAKE_QEMU))
    cases = [(firmware(tmp_path, {}), "is not an ELF file"),
             (tiny_elf(tmp_path / "x86.elf", machine=62), "is an ELF for x86-64, not Arm"),
             (tiny_elf(tmp_path / "wide.elf", elf_class=2),
              "is not a 32-bit little-endian ELF, so not for Cortex-M"),
             (tiny_elf(tmp_path / "stm32.elf", load_at=0x08000000),
              "loads nothing at 0x00000000, where mps2-an385 reads its vector table (its image "
              "starts at 0x08000000): it is built for another board")]
    for elf, why in cases:
        with pytest.raises(EmulatorError) as e:
            Emulator(board, elf=elf).start()
        assert str(e.value) == f"{elf} {why}"
        assert "qemu-mps2-an385" in (e.value.hint or "")
        assert not Path(str(elf) + ".argv").exists()  # QEMU never ran
    # The right shape passes the check (and the fake QEMU runs it).
    elf = tiny_elf(tmp_path / "good.elf")
    Path(str(elf) + ".plan").write_text("{}")
    with Emulator(board, elf=elf) as emu:
        assert emu.returncode is None


def test_an505_boots_from_its_secure_flash(tmp_path: Path) -> None:
    an505 = BOARDS["qemu-mps2-an505"]
    board = Board(an505.name, an505.machine, qemu=str(FAKE_QEMU),
                  boot_address=an505.boot_address)
    with pytest.raises(EmulatorError, match="loads nothing at 0x10000000"):
        Emulator(board, elf=tiny_elf(tmp_path / "an385.elf")).start()


def test_a_busy_serial_port_is_reported_before_qemu_starts(tmp_path: Path) -> None:
    elf = firmware(tmp_path, {})
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        with pytest.raises(EmulatorError) as e:
            Emulator(FAKE, elf=elf, serial_port=port).start()
        assert str(e.value) == (f"TCP port {port} for the UART (--serial-port) is already in "
                                "use on 127.0.0.1")
        with pytest.raises(EmulatorError, match="for the GDB stub"):
            Emulator(FAKE, elf=elf, gdb_port=port).start()
    assert not Path(str(elf) + ".argv").exists()


def test_qemu_error_line_is_reported_not_the_register_dump(tmp_path: Path) -> None:
    dump = ("qemu: fatal: Lockup: can't escalate 3 to HardFault (current priority -1)\n\n"
            "R00=00000000 R01=00000000\nXPSR=40000003 -Z-- A handler\nFPSCR: 00000000")
    with pytest.raises(EmulatorError) as e:
        Emulator(FAKE, elf=firmware(tmp_path, {"exit_at_start": 134, "message": dump})).start()
    assert str(e.value).endswith("while starting: qemu: fatal: Lockup: can't escalate 3 to "
                                 "HardFault (current priority -1)")
    assert emulate.qemu_reason("warming up\nqemu-system-arm: -serial tcp:...: Failed to bind "
                               "socket: Address already in use\n") == \
        "qemu-system-arm: -serial tcp:...: Failed to bind socket: Address already in use"


def test_cli_emulate_says_why_qemu_exited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(BOARDS, FAKE.name, FAKE)
    elf = firmware(tmp_path, {"run_for": 0.3, "exit": 1})
    fake = FAKE_QEMU.read_text()
    assert "sys.exit(plan.get(\"exit\", 0))" in fake
    assert main(["emulate", FAKE.name, "--elf", str(elf)]) == 1
    assert "error: emulate: QEMU exited with 1" in capsys.readouterr().err
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        assert main(["emulate", FAKE.name, "--elf", str(elf), "--serial-port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no URL of the other listener
    assert err.splitlines() == [
        f"error: emulate: TCP port {port} for the UART (--serial-port) is already in use on "
        "127.0.0.1", "hint: pick another port, or leave the option out for a free one"]


@pytest.mark.e2e
def test_real_qemu_wrong_elf_and_busy_port(tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    elf = demo_elf_or_skip()
    assert main(["emulate", "qemu-mps2-an385", "--elf", sys.executable]) == 1
    err = capsys.readouterr().err
    assert f"{sys.executable} is an ELF for" in err and "not Arm" in err
    with Emulator("qemu-mps2-an385", elf=elf) as first:
        assert main(["emulate", "qemu-mps2-an385", "--elf", str(elf),
                     "--serial-port", str(first.serial_port)]) == 1
        out, err = capsys.readouterr()
        assert first.serial_url not in out
        assert f"TCP port {first.serial_port} for the UART (--serial-port) is already in use" \
            in err


def test_an_elf_for_a_bigger_core_is_refused(tmp_path: Path) -> None:
    """The an385 demo (ARMv7-M) loads at the micro:bit's vector address too, but
    its Thumb-2 code would lock up the Cortex-M0: the build attributes tell."""
    elf = emulate.demo_elf(AN385, ROOT)
    if not elf.is_file():
        pytest.skip(f"needs a built {elf.relative_to(ROOT)}")
    microbit = BOARDS["qemu-microbit"]
    board = Board(microbit.name, microbit.machine, qemu=str(FAKE_QEMU), arch=microbit.arch)
    with pytest.raises(EmulatorError) as e:
        Emulator(board, elf=elf).start()
    assert str(e.value) == (f"{elf} is built for ARMv7-M, which the microbit's ARMv6-M core "
                            "cannot run")
    # ...while a bigger core runs it (the check passes; the fake QEMU then needs a plan)
    an386 = BOARDS["qemu-mps2-an386"]
    emulate.check_firmware(Board(an386.name, an386.machine, arch=an386.arch), elf)
