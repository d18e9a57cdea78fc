# SPDX-License-Identifier: Apache-2.0
"""Runs a board's firmware in QEMU with its UART on a local TCP port.

    with Emulator("qemu-mps2-an385") as emu:      # builds the demo ELF if missing
        with Client.open(emu.serial_url) as dev:  # socket://127.0.0.1:PORT
            print(dev.info())

QEMU runs headless with the UART on -serial tcp:...,server=on,wait=off,nodelay=on
(wait=off: QEMU does not block for a client, and drops what the firmware prints
while none is connected; nodelay=on avoids ~44 ms of Nagle delay per reply).
Only one client can be connected to the UART at a time.
"""
from __future__ import annotations

import errno
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import EmulatorError

if TYPE_CHECKING:
    import subprocess

# subprocess and tempfile are imported where QEMU or CMake is started: the CLI
# imports this module for BOARDS, and every command would pay for them.

QEMU_LOCKUP_EXIT = 134  # QEMU aborts when the CPU locks up (e.g. a fault in HardFault)

# Where a board's demo firmware is built and found, relative to the source tree.
BUILD_DIR = "build/{board}"
DEMO_ELF = BUILD_DIR + "/boards/{board}/crashdump-demo.elf"


@dataclass(frozen=True)
class Board:
    """A board QEMU can run: our board folder name and QEMU's machine name.
    The firmware is always loaded as an ELF with -kernel (mps2-an505 needs that).
    `arch` (cd_dump_hdr_t.arch names: v6m, v7m, v7em, v8mmain) and `fpu` (the
    demo saves FPU registers) say what a dump from this board must contain, and
    `unmapped_addr` is where the demo's fault injector reads and writes to bus-fault
    (CD_FAULT_BAD_ADDR), so tests decide by property rather than by board name.
    `boot_address` is where the machine reads its vector table: an ELF that loads
    nothing there was built for another board (None: the image is not checked,
    for a test double's firmware)."""

    name: str
    machine: str
    qemu: str = "qemu-system-arm"
    extra_args: Tuple[str, ...] = ()
    arch: str = "v7m"
    fpu: bool = False
    unmapped_addr: int = 0x60000000
    boot_address: Optional[int] = 0x0


# One line per board.
BOARDS: Dict[str, Board] = {b.name: b for b in (
    Board("qemu-mps2-an385", "mps2-an385", arch="v7m"),                 # Cortex-M3
    Board("qemu-mps2-an386", "mps2-an386", arch="v7em", fpu=True),      # Cortex-M4F
    Board("qemu-mps2-an500", "mps2-an500", arch="v7em", fpu=True,       # Cortex-M7
          unmapped_addr=0x70000000),
    Board("qemu-mps2-an505", "mps2-an505", arch="v8mmain",              # Cortex-M33, Secure
          boot_address=0x10000000),
    Board("qemu-microbit", "microbit", arch="v6m"),                     # nRF51, Cortex-M0
)}


def get_board(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise EmulatorError(f"unknown board {name!r} (known: {', '.join(sorted(BOARDS))})",
                            operation="emulate") from None


def find_root(start: Optional[Path] = None) -> Path:
    """The crashdump source tree: the first of `start` (default: the current
    directory) and its parents, then this package's own tree, that holds
    firmware/include/crashdump/cd_format.h."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (candidate / "firmware/include/crashdump/cd_format.h").is_file():
            return candidate
    raise EmulatorError(f"no crashdump source tree at or above {here}; run from inside one "
                        "or pass the firmware with --elf")


def demo_elf(board: Board, root: Path) -> Path:
    return root / DEMO_ELF.format(board=board.name)


def _run(cmd: Sequence[str], what: str) -> None:
    import subprocess
    try:
        done = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        raise EmulatorError(f"{cmd[0]} not found; install it (scripts/setup.sh does)",
                            operation=what) from None
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-30:])
        raise EmulatorError(f"{' '.join(cmd)} exited with {done.returncode}:\n{tail}",
                            returncode=done.returncode, operation=what)


def build_demo(board: Board, root: Path,
               on_status: Optional[Callable[[str], None]] = None) -> Path:
    """Configures (once) and builds the board's demo firmware, with the
    test-only fault commands the emulated demo is for; returns its ELF."""
    build_dir = root / BUILD_DIR.format(board=board.name)
    what = f"build {board.name}"
    if not (build_dir / "CMakeCache.txt").is_file():
        if on_status:
            on_status(f"configuring {build_dir}")
        _run(["cmake", "-S", str(root), "-B", str(build_dir), f"-DBOARD={board.name}",
              "-DCD_FAULT_CMDS=ON"], what)
    if on_status:
        on_status(f"building {board.name} demo firmware in {build_dir}")
    _run(["cmake", "--build", str(build_dir)], what)
    elf = demo_elf(board, root)
    if not elf.is_file():
        raise EmulatorError(f"the build finished but {elf} does not exist", operation=what)
    return elf


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def describe_exit(returncode: int) -> str:
    if returncode in (QEMU_LOCKUP_EXIT, -6):  # -6: SIGABRT as Popen reports it
        return f"QEMU exited with {returncode}: the firmware locked up (fault in a fault handler)"
    return f"QEMU exited with {returncode}"


def qemu_reason(output: str) -> str:
    """QEMU's own error line from what it printed: its messages start with the
    program's name ("qemu-system-arm: ...", "qemu: fatal: ..."); a lockup adds a
    register dump after it, whose last line says nothing."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("qemu"):
            return line
    return lines[-1] if lines else "no output"


_ELF_MACHINES = {3: "x86", 8: "MIPS", 20: "PowerPC", 40: "Arm", 62: "x86-64",
                 183: "AArch64", 243: "RISC-V"}


def check_firmware(board: Board, elf: Path) -> None:
    """Raises EmulatorError unless elf is a 32-bit Arm ELF that loads something at
    the board's vector table. QEMU loads anything else as a raw image or leaves
    the vector table empty, and the CPU locks up at its first instruction with
    a register dump that does not say why."""
    if board.boot_address is None:
        return
    try:
        with open(elf, "rb") as f:
            head = f.read(52)
            if head[:4] != b"\x7fELF":
                raise _bad_elf(elf, board, "is not an ELF file")
            machine, = struct.unpack_from("<H" if head[5] == 1 else ">H", head, 18)
            if machine != 40:
                name = _ELF_MACHINES.get(machine, f"machine {machine}")
                raise _bad_elf(elf, board, f"is an ELF for {name}, not Arm")
            if head[4] != 1 or head[5] != 1:
                raise _bad_elf(elf, board, "is not a 32-bit little-endian ELF, so not for "
                                           "Cortex-M")
            phoff, = struct.unpack_from("<I", head, 28)
            phentsize, phnum = struct.unpack_from("<HH", head, 42)
            f.seek(phoff)
            table = f.read(phentsize * min(phnum, 256))
    except OSError as e:
        raise EmulatorError(f"cannot read {elf}: {e.strerror or e}", operation="emulate") from None
    except struct.error:
        raise _bad_elf(elf, board, "is a truncated ELF file") from None
    loads = []
    for off in range(0, len(table) - 31, max(phentsize, 32)):
        ptype, _, _, paddr, filesz = struct.unpack_from("<IIIII", table, off)
        if ptype == 1 and filesz:  # PT_LOAD with bytes in the file
            loads.append((paddr, filesz))
    if not any(a <= board.boot_address and board.boot_address + 8 <= a + n for a, n in loads):
        first = f" (its image starts at {min(loads)[0]:#010x})" if loads else ""
        raise _bad_elf(elf, board, f"loads nothing at {board.boot_address:#010x}, where "
                                   f"{board.machine} reads its vector table{first}: it is "
                                   "built for another board")
    built_for = _elf_cpu_arch(elf)
    if built_for is not None and _ARCH_RANK[built_for] > _ARCH_RANK[board.arch]:
        raise _bad_elf(elf, board, f"is built for ARM{_ARCH_NAMES[built_for]}, which the "
                                   f"{board.machine}'s ARM{_ARCH_NAMES[board.arch]} core "
                                   "cannot run")


# Cortex-M architectures by what they can run: each runs the code of those before it.
_ARCH_RANK = {"v6m": 0, "v8mbase": 1, "v7m": 2, "v7em": 3, "v8mmain": 4}
_ARCH_NAMES = {"v6m": "v6-M", "v8mbase": "v8-M Baseline", "v7m": "v7-M", "v7em": "v7E-M",
               "v8mmain": "v8-M Mainline"}
# Tag_CPU_arch values of the Arm EABI build attributes for M-profile cores.
_EABI_CPU_ARCH = {10: "v7m", 11: "v6m", 12: "v6m", 13: "v7em", 16: "v8mbase", 17: "v8mmain"}


def _elf_cpu_arch(elf: Path) -> Optional[str]:
    """The M-profile architecture the ELF's build attributes name, or None when
    it names none we know (no attributes, another profile, an unreadable file):
    then only the checks above apply."""
    try:
        from elftools.elf.elffile import ELFFile
        with open(elf, "rb") as f:
            section = ELFFile(f).get_section_by_name(".ARM.attributes")
            if section is None or not hasattr(section, "iter_subsections"):
                return None
            tags = {a.tag: a.value for sub in section.iter_subsections()
                    for subsub in sub.iter_subsubsections() for a in subsub.iter_attributes()}
    except Exception:  # noqa: BLE001 -- advisory: a file pyelftools cannot read is QEMU's call
        return None
    if tags.get("TAG_CPU_ARCH_PROFILE") not in (ord("M"), None):
        return None
    return _EABI_CPU_ARCH.get(tags.get("TAG_CPU_ARCH"))


def _bad_elf(elf: Path, board: Board, why: str) -> EmulatorError:
    return EmulatorError(f"{elf} {why}", operation="emulate",
                         hint=f"--elf takes firmware built for {board.name}, e.g. "
                              f"{DEMO_ELF.format(board=board.name)}")


def check_port_free(port: int, what: str) -> None:
    """Raises EmulatorError if something listens on 127.0.0.1:port already.
    QEMU would fail to bind it, while a connection test would reach the other
    listener and take it for QEMU's."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as QEMU binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            reason = "is already in use" if e.errno == errno.EADDRINUSE else \
                f"cannot be bound: {e.strerror or e}"
            raise EmulatorError(f"TCP port {port} for {what} {reason} on 127.0.0.1",
                                operation="emulate",
                                hint="pick another port, or leave the option out for a free "
                                     "one") from None


class Emulator:
    """One QEMU process running one firmware image.

    Life cycle: Emulator(...) -> start() (or `with`) -> use serial_url /
    gdb_address -> stop(). Without `elf`, the board's demo firmware is used,
    built first if it does not exist (or always, with build=True). A serial
    port of None or 0 and a gdb port of 0 are picked free; a gdb port of None
    means no GDB stub.
    """

    def __init__(self, board: Union[str, Board], elf: Union[str, Path, None] = None,
                 serial_port: Optional[int] = None, gdb_port: Optional[int] = None, *,
                 root: Union[str, Path, None] = None, build: bool = False,
                 paused: bool = False, extra_args: Sequence[str] = (),
                 on_status: Optional[Callable[[str], None]] = None) -> None:
        self.board = board if isinstance(board, Board) else get_board(board)
        self.elf = Path(elf) if elf is not None else None
        self.serial_port = serial_port or None
        self.gdb_port = gdb_port
        self.root = Path(root) if root is not None else None
        self.build = build
        self.paused = paused
        self.extra_args = tuple(extra_args)
        self.on_status = on_status
        self.command: List[str] = []
        self._proc: Optional[subprocess.Popen] = None
        self._log_path: Optional[Path] = None
        self._output = ""

    # ------------------------------------------------------------ addresses

    @property
    def serial_url(self) -> str:
        """The UART as a pyserial URL: socket://127.0.0.1:PORT."""
        return f"socket://127.0.0.1:{self.serial_port}"

    @property
    def gdb_address(self) -> Optional[str]:
        """The GDB stub as host:port (for `target remote`), or None if not enabled."""
        return None if self.gdb_port is None else f"127.0.0.1:{self.gdb_port}"

    @property
    def pid(self) -> Optional[int]:
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> Optional[int]:
        return None if self._proc is None else self._proc.poll()

    @property
    def locked_up(self) -> bool:
        """True once QEMU has exited because the firmware locked up."""
        return self.returncode == QEMU_LOCKUP_EXIT

    @property
    def output(self) -> str:
        """What QEMU printed so far (its own messages, not the UART)."""
        if self._log_path is not None and self._log_path.exists():
            return self._log_path.read_text(errors="replace")
        return self._output

    # ------------------------------------------------------------ life cycle

    def start(self, timeout: float = 10.0) -> "Emulator":
        """Starts QEMU and returns once its UART port accepts connections."""
        if self._proc is not None:
            raise EmulatorError("already started", operation="emulate")
        if self.elf is None or self.build:
            root = self.root or find_root()
            elf = demo_elf(self.board, root)
            if self.build or not elf.is_file():
                elf = build_demo(self.board, root, self.on_status)
            self.elf = elf
        if not self.elf.is_file():
            raise EmulatorError(f"no firmware at {self.elf}", operation="emulate")
        check_firmware(self.board, self.elf)
        auto_serial, auto_gdb = self.serial_port is None, self.gdb_port == 0
        if not auto_serial:
            check_port_free(self.serial_port, "the UART (--serial-port)")
        if self.gdb_port and not auto_gdb:
            check_port_free(self.gdb_port, "the GDB stub (--gdb-port)")
        attempt = 1
        while True:
            try:
                self._launch(timeout)
                return self
            except EmulatorError as e:
                # A port picked free may be taken by someone else before QEMU binds it.
                if not ((auto_serial or auto_gdb) and "in use" in str(e) and attempt < 3):
                    raise
            attempt += 1
            self._proc = None
            if auto_serial:
                self.serial_port = None
            if auto_gdb:
                self.gdb_port = 0

    def _launch(self, timeout: float) -> None:
        if self.serial_port is None:
            self.serial_port = free_port()
        if self.gdb_port == 0:
            self.gdb_port = free_port()
        self.command = [
            self.board.qemu, "-machine", self.board.machine,
            "-display", "none", "-monitor", "none",
            "-serial", f"tcp:127.0.0.1:{self.serial_port},server=on,wait=off,nodelay=on",
            "-kernel", str(self.elf),
        ]
        if self.gdb_port is not None:
            self.command += ["-gdb", f"tcp:127.0.0.1:{self.gdb_port}"]
        if self.paused:
            self.command.append("-S")
        self.command += [*self.board.extra_args, *self.extra_args]

        import subprocess
        import tempfile
        fd, name = tempfile.mkstemp(prefix=f"crashdump-{self.board.name}-", suffix=".log")
        self._log_path = Path(name)
        try:
            # Own session: a Ctrl-C in the terminal reaches us, and we stop QEMU.
            self._proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=fd,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        except FileNotFoundError:
            self._discard_log()
            raise EmulatorError(f"{self.board.qemu} not found; install qemu-system-arm "
                                "(scripts/setup.sh does)", operation="emulate") from None
        finally:
            os.close(fd)
        self._wait_listening(timeout)

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rc = self.returncode
            if rc is not None:
                output = self.output
                self.stop()
                raise EmulatorError(f"{describe_exit(rc)} while starting: {qemu_reason(output)}",
                                    returncode=rc, operation="emulate")
            try:
                with socket.create_connection(("127.0.0.1", self.serial_port), timeout=0.2):
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                self.stop()
                raise EmulatorError(f"QEMU's UART port {self.serial_port} did not open within "
                                    f"{timeout:g} s", operation="emulate")
            time.sleep(0.05)

    def check(self) -> None:
        """Raises EmulatorError if QEMU has exited, with QEMU's reason."""
        rc = self.returncode
        if rc is not None:
            raise self.exit_error(rc)

    def exit_error(self, returncode: int) -> EmulatorError:
        """The error for QEMU having exited with returncode, with its own reason."""
        output = self.output
        reason = f": {qemu_reason(output)}" if output.strip() else ""
        return EmulatorError(describe_exit(returncode) + reason, returncode=returncode,
                             operation="emulate")

    def wait(self, timeout: Optional[float] = None) -> int:
        """Blocks until QEMU exits; returns its exit code."""
        if self._proc is None:
            raise EmulatorError("not started", operation="emulate")
        import subprocess
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise EmulatorError(f"QEMU still running after {timeout:g} s",
                                operation="emulate") from None

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        """Stops QEMU (SIGTERM, then SIGKILL) and returns its exit code, or
        None if it was never started. Safe to call more than once."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            import subprocess
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._discard_log()
        return proc.returncode

    def _discard_log(self) -> None:
        if self._log_path is not None:
            self._output = self.output
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def __enter__(self) -> "Emulator":
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
