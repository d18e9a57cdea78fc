# SPDX-License-Identifier: Apache-2.0
"""Static checks of the Renode files, the Robot suite and the CI workflows.

Renode cannot run on this machine, so these files are otherwise only read. What
can be checked here is: every file a .resc names exists, nothing is downloaded,
the platforms agree with the boards' headers, the NVMC Python peripheral behaves
(run under CPython with a stand-in for Renode's `request` and system bus), the
Robot suite calls only CLI commands and options the real parser accepts, and the
workflows name the suite, the boards and the same Renode version.
"""
from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from crashdump.cli.parser import build_parser
from crashdump.formats import FaultKind

ROOT = Path(__file__).resolve().parents[2]
RENODE_VERSION = "1.16.1"
BOARDS = sorted(p.parent.name for p in ROOT.glob("boards/*/renode"))
SUITE = ROOT / "tests" / "renode" / "crashdump.robot"
RESOURCE = ROOT / "tests" / "renode" / "crashdump.resource"
WORKFLOWS = ROOT / ".github" / "workflows"
RENODE_FILES = sorted(p for b in BOARDS for p in (ROOT / "boards" / b / "renode").iterdir()) \
    + [SUITE, RESOURCE]

# board -> (UART peripheral in the .repl, header constant of its base, of its IRQ)
UARTS = {"nrf52840dk": ("uart0", "BOARD_UART0_BASE", "BOARD_UART0_IRQN"),
         "stm32f4-discovery": ("usart2", "F4_USART2", "F4_USART2_IRQN")}


def test_both_real_boards_have_renode_files():
    assert BOARDS == sorted(UARTS)


# ---------------------------------------------------------------- parsing helpers


def board_constants(board: str) -> Dict[str, int]:
    """Integer #defines of the board's headers (casts and `u` suffixes removed)."""
    out: Dict[str, int] = {}
    for header in sorted((ROOT / "boards" / board).glob("*.h")):
        for name, value in re.findall(r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*(?:/\*.*)?$",
                                      header.read_text(), re.M):
            expr = re.sub(r"\(\s*\w+\s*\*\s*\)", "", value)
            expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uU][lL]?\b", r"\1", expr)
            try:
                out[name] = int(eval(expr, {"__builtins__": {}}))  # noqa: S307 - our headers
            except Exception:
                pass
    return out


@dataclass
class Peripheral:
    type: str
    address: Optional[int]
    props: Dict[str, str] = field(default_factory=dict)
    irq: Optional[int] = None


def repl_peripherals(path: Path) -> Dict[str, Peripheral]:
    """The `name: Type @ sysbus ADDR` entries of a .repl, with their properties."""
    out: Dict[str, Peripheral] = {}
    current: Optional[Peripheral] = None
    for line in path.read_text().splitlines():
        line = line.split("//")[0].rstrip()
        head = re.match(r"^(\w+):\s*([\w.]+)\s*@\s*(.*)$", line)
        if head:
            addr = re.search(r"sysbus\s*<?\s*(0x[0-9a-fA-F]+|\d+)", head.group(3))
            current = out[head.group(1)] = Peripheral(
                head.group(2), int(addr.group(1), 0) if addr else None)
        elif re.match(r"^\S", line):
            current = None
        elif current is not None:
            irq = re.match(r"^\s+->\s*nvic@(\d+)", line)
            prop = re.match(r"^\s+(\w+):\s*(.+)$", line)
            if irq:
                current.irq = int(irq.group(1))
            elif prop:
                current.props[prop.group(1)] = prop.group(2).strip().strip('"')
    return out


def resc(board: str) -> str:
    return (ROOT / "boards" / board / "renode" / f"{board}.resc").read_text()


# ---------------------------------------------------------------- .repl and .resc


@pytest.mark.parametrize("board", BOARDS)
def test_resc_names_only_files_that_exist(board):
    text = resc(board)
    here = ROOT / "boards" / board / "renode"
    named = re.findall(r"\$ORIGIN/(\S+)", text)
    assert f"{board}.repl" in named
    for name in named:
        assert (here / name).is_file(), f"{board}.resc names $ORIGIN/{name}, which is missing"
    elf = re.search(r"^\$elf\?=@(\S+)$", text, re.M)
    assert elf and elf.group(1) == f"build/{board}/boards/{board}/crashdump-demo.elf"
    for var in ("uart_port", "gdb_port"):
        assert re.search(rf"^\${var}\?=\d+$", text, re.M), f"no default for ${var}"
    assert "emulation CreateServerSocketTerminal $uart_port" in text
    assert "machine StartGdbServer $gdb_port" in text


@pytest.mark.parametrize("path", RENODE_FILES, ids=lambda p: p.name)
def test_nothing_is_downloaded(path):
    text = path.read_text().lower()
    for bad in ("http:", "https:", "applysvd", ".svd"):
        assert bad not in text, f"{path.name} mentions {bad}"


@pytest.mark.parametrize("path", RENODE_FILES, ids=lambda p: p.name)
def test_each_file_names_the_renode_version(path):
    head = "\n".join(path.read_text().splitlines()[:6])
    assert f"Renode {RENODE_VERSION}" in head, path


def test_readme_names_the_renode_version():
    assert f"Renode](https://renode.io) **{RENODE_VERSION}**" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("board", BOARDS)
def test_platform_matches_the_board_headers(board):
    c = board_constants(board)
    p = repl_peripherals(ROOT / "boards" / board / "renode" / f"{board}.repl")
    assert p["cpu"].type == "CPU.CortexM" and p["cpu"].props["cpuType"] == "cortex-m4f"
    assert int(p["nvic"].props["systickFrequency"]) == c["BOARD_CPU_HZ"]
    memories = {m.address: int(m.props["size"], 0) for m in p.values()
                if m.type == "Memory.MappedMemory"}
    assert memories.get(c["BOARD_FLASH_BASE"]) == c["BOARD_FLASH_SIZE"]
    assert memories.get(c["BOARD_RAM_BASE"]) == c["BOARD_RAM_SIZE"]
    dump_end = c["BOARD_DUMP_BASE"] + c["BOARD_DUMP_SIZE"]
    assert c["BOARD_FLASH_BASE"] <= c["BOARD_DUMP_BASE"] and \
        dump_end <= c["BOARD_FLASH_BASE"] + c["BOARD_FLASH_SIZE"]
    name, base, irq = UARTS[board]
    assert p[name].address == c[base] and p[name].irq == c[irq]
    if board == "nrf52840dk":
        assert p[name].props["easyDMA"] == "false", "the legacy UART driver needs easyDMA: false"
    # the unmapped address the fault injector reads must not be mapped here
    assert all(not (m.address is not None and m.address <= c["BOARD_UNMAPPED_ADDR"] <
                    m.address + int(m.props.get("size", "0"), 0))
               for m in p.values() if m.type == "Memory.MappedMemory")


@pytest.mark.parametrize("board", BOARDS)
def test_reset_reloads_and_points_vtor_where_flash_is_not_at_0(board):
    c = board_constants(board)
    text = resc(board)
    macro = re.search(r'^macro reset\n"""\n(.*?)\n"""', text, re.M | re.S)
    if c["BOARD_FLASH_BASE"] == 0:
        return  # the CPU finds its vector table at 0x0 after any reset
    assert macro, f"{board}: flash is not at 0x0, so a reset needs the reset macro"
    body = [line.strip() for line in macro.group(1).splitlines()]
    assert "sysbus LoadELF $elf" in body
    vtor = [int(line.split()[-1], 0) for line in body if line.startswith("cpu VectorTableOffset")]
    assert vtor == [c["BOARD_FLASH_BASE"]]
    assert re.search(r"^runMacro \$reset$", text, re.M)


def test_suite_uarts_are_the_ones_the_scripts_connect():
    line = next(ln for ln in RESOURCE.read_text().splitlines() if ln.startswith("&{UARTS}"))
    uarts = dict(cell.split("=", 1) for cell in re.split(r"\s{2,}", line)[1:])
    assert sorted(uarts) == BOARDS
    for board, uart in uarts.items():
        assert re.search(rf"^connector Connect {re.escape(uart)} \w+$", resc(board), re.M)
        assert uart == f"sysbus.{UARTS[board][0]}"


# ---------------------------------------------------------------- the NVMC stand-in

NVMC = ROOT / "boards" / "nrf52840dk" / "renode" / "nvmc.py"
NVMC_BASE = 0x4001E000
FILL = 0x12345678


class Request:
    """What Renode binds as `request` (PeripheralPythonEngine.PythonRequest)."""

    def __init__(self, kind: str, offset: int = 0, value: int = 0) -> None:
        self.IsInit, self.IsRead, self.IsWrite = kind == "init", kind == "read", kind == "write"
        self.Offset, self.Value = offset, value


class Bus:
    def __init__(self) -> None:
        self.words: Dict[int, int] = {}

    def WriteDoubleWord(self, address: int, value: int) -> None:  # noqa: N802 - Renode's name
        assert address % 4 == 0 and 0 <= value <= 0xFFFFFFFF
        self.words[address] = value

    def word(self, address: int) -> int:
        return self.words.get(address, FILL)


class Peripheral_:
    def __init__(self, bus: Bus) -> None:
        self.machine = type("Machine", (), {"SystemBus": bus})()

    def GetMachine(self):  # noqa: N802 - Renode's name
        return self.machine


class Nvmc:
    """nvmc.py run the way Renode runs it: the whole file per access, one scope."""

    def __init__(self) -> None:
        self.code = compile(NVMC.read_text(), str(NVMC), "exec")
        self.bus = Bus()
        self.scope: Dict[str, object] = {"self": Peripheral_(self.bus)}
        self.run(Request("init"))

    def run(self, request: Request) -> Request:
        self.scope["request"] = request
        exec(self.code, self.scope)  # noqa: S102 - the project's own file
        return request

    def read(self, offset: int) -> int:
        return self.run(Request("read", offset)).Value

    def write(self, offset: int, value: int) -> None:
        self.run(Request("write", offset, value))


def test_nvmc_ready_always_and_config_stored():
    n = Nvmc()
    assert n.read(0x400) == 1 and n.read(0x408) == 1
    assert n.read(0x504) == 0
    for mode in (2, 1, 0):
        n.write(0x504, mode)
        assert n.read(0x504) == mode
    assert n.bus.words == {}


def test_nvmc_erasepage_fills_the_page_with_ff_in_erase_mode_only():
    n = Nvmc()
    page = 0xE8000
    n.write(0x508, page + 0x10)  # CONFIG is 0: the hardware ignores the erase
    n.write(0x504, 1)
    n.write(0x508, page + 0x10)
    assert n.bus.words == {}
    n.write(0x504, 2)
    n.write(0x508, page + 0x10)  # any address inside the page erases the page
    assert set(n.bus.words) == set(range(page, page + 0x1000, 4))
    assert set(n.bus.words.values()) == {0xFFFFFFFF}
    assert n.bus.word(page - 4) == FILL and n.bus.word(page + 0x1000) == FILL
    assert n.read(0x400) == 1


def test_nvmc_ignores_pages_outside_flash_and_resets_config_on_init():
    n = Nvmc()
    n.write(0x504, 2)
    n.write(0x508, 0x100000)
    assert n.bus.words == {}
    n.run(Request("init"))  # Renode re-runs init on a machine reset
    assert n.read(0x504) == 0


def test_nvmc_geometry_matches_the_board_and_the_driver():
    c = board_constants("nrf52840dk")
    n = Nvmc()
    assert n.scope["PAGE_SIZE"] == c["BOARD_DUMP_ERASE_SIZE"]
    assert n.scope["FLASH_SIZE"] == c["BOARD_FLASH_SIZE"]
    driver = (ROOT / "firmware" / "ports" / "flash" / "flash_nvmc.c").read_text()
    assert re.search(r"#define CD_NVMC_BASE 0x4001E000u", driver)
    offsets = dict(re.findall(r"#define NVMC_(\w+) .*CD_NVMC_BASE \+ (0x[0-9A-Fa-f]+)u", driver))
    assert {k: int(v, 16) for k, v in offsets.items()} == \
        {k: n.scope[k] for k in ("READY", "CONFIG", "ERASEPAGE")}
    line = re.search(r"^machine PyDevFromFile \$ORIGIN/nvmc\.py (\S+) (\S+) True \"nvmc\"$",
                     resc("nrf52840dk"), re.M)
    assert line and int(line.group(1), 0) == NVMC_BASE and int(line.group(2), 0) == 0x1000


def test_nvmc_uses_no_python3_only_syntax():
    # Renode runs Python peripherals in IronPython 2.7
    tree = ast.parse(NVMC.read_text())
    py3_only = (ast.JoinedStr, ast.AnnAssign, ast.NamedExpr, ast.Nonlocal, ast.AsyncFunctionDef)
    assert not [type(n).__name__ for n in ast.walk(tree) if isinstance(n, py3_only)]


# ---------------------------------------------------------------- the Robot suite


def cli_calls() -> List[Tuple[str, List[str]]]:
    """(where, argv) of every `Crashdump ...` / `Crashdump Json ...` keyword call,
    with Robot variables replaced by a placeholder that any argument accepts;
    the keywords' own pass-through of @{args} is not a call."""
    calls = []
    for path in (SUITE, RESOURCE):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            cells = re.split(r"\s{2,}|\t", line.strip())
            for i, cell in enumerate(cells):
                if cell in ("Crashdump", "Crashdump Json", "Decode Json") and i + 1 < len(cells) \
                        and not any(c.startswith("@{") for c in cells[i + 1:]):
                    argv = [re.sub(r"\$\{[^}]*\}", "1", c) for c in cells[i + 1:]]
                    if cell == "Crashdump Json":
                        argv.insert(0, "--json")
                    elif cell == "Decode Json":
                        argv[:0] = ["--json", "decode"]
                    calls.append((f"{path.name}:{n}", argv))
                    break
    return calls


def test_suite_calls_the_commands_it_is_meant_to():
    used = {" ".join(a for a in argv if not a.startswith("-"))[:40] for _, argv in cli_calls()}
    commands = {" ".join(argv[:2]) for _, argv in cli_calls()}
    for needed in ("source create", "source write", "source read", "source capture", "reset 1",
                   "fault 1", "dump pull", "dump status", "--json info", "--json decode"):
        assert any(c.startswith(needed.replace(" 1", "")) for c in commands | used), needed
    probe = [argv for _, argv in cli_calls() if "--probe" in argv]
    assert probe and all(a[:2] == ["dump", "pull"] and "--elf" in a for a in probe)


@pytest.mark.parametrize("where,argv", cli_calls(), ids=[w for w, _ in cli_calls()])
def test_suite_cli_calls_parse(where, argv, capsys):
    # the suite adds these device options to every call but `Decode Json`'s
    # (crashdump.resource): commands that open no port refuse them
    command = next(a for a in argv if not a.startswith("-"))
    full = argv if command in ("decode", "probes", "emulate", "gdbserver") else \
        ["--port", "socket://127.0.0.1:3456", "--timeout", "10"] + argv
    try:
        args = build_parser().parse_args(full)
    except SystemExit:
        pytest.fail(f"{where}: crashdump {shlex.join(argv)}: {capsys.readouterr().err}")
    assert callable(getattr(args, "func", None)), f"{where}: {argv} is not a whole command"


def test_suite_fault_kind_exists_and_names_its_injector():
    kind = re.search(r"^\$\{FAULT\}\s+(\w+)$", SUITE.read_text(), re.M).group(1)
    assert kind.upper() in FaultKind.__members__
    injectors = (ROOT / "firmware" / "arch" / "cortex-m" / "cd_fault_inject_s.S").read_text()
    assert re.search(rf"^CD_FUNC cd_fault_do_{kind}$", injectors, re.M)


# ---------------------------------------------------------------- workflows


def load_yaml(path: Path):
    """The parsed workflow, or None without PyYAML (not a project dependency)."""
    text = path.read_text()
    assert "\t" not in text, f"{path.name}: tabs are not YAML indentation"
    try:
        import yaml
    except ImportError:
        return None
    return yaml.safe_load(text)


def test_qemu_workflow_runs_the_readme_test_command():
    path = WORKFLOWS / "qemu.yml"
    doc = load_yaml(path)
    assert (ROOT / ".ci" / "run").is_file()
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
    if doc is None:
        assert re.search(r"^\s+run: bash \.ci/run$", path.read_text(), re.M)
        assert re.search(r"^\s+runs-on: ubuntu-latest$", path.read_text(), re.M)
        return
    steps = doc["jobs"]["qemu"]["steps"]
    assert doc["jobs"]["qemu"]["runs-on"] == "ubuntu-latest"
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_renode_workflow_runs_the_suite_for_every_board():
    path = WORKFLOWS / "renode.yml"
    text = path.read_text()
    doc = load_yaml(path)
    if doc is None:
        boards = re.search(r"^\s+board: \[(.*)\]$", text, re.M).group(1)
        assert sorted(b.strip() for b in boards.split(",")) == BOARDS
        for needed in ("uses: antmicro/renode-test-action@v5",
                       f"renode-revision: v{RENODE_VERSION}",
                       "tests-to-run: tests/renode/crashdump.robot",
                       "renode-arguments: --variable BOARD:${{ matrix.board }}",
                       "uses: actions/upload-artifact@v4",
                       "-DBOARD=${{ matrix.board }}", ".venv/bin/pip install"):
            assert needed in text, needed
        return
    job = doc["jobs"]["renode"]
    assert sorted(job["strategy"]["matrix"]["board"]) == BOARDS
    steps = job["steps"]
    action = next(s for s in steps if str(s.get("uses", "")).startswith("antmicro/renode-test-action@"))
    assert action["with"]["renode-revision"] == f"v{RENODE_VERSION}"
    assert action["with"]["tests-to-run"] == "tests/renode/crashdump.robot"
    assert action["with"]["renode-arguments"] == "--variable BOARD:${{ matrix.board }}"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == action["with"]["artifacts-path"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "-DBOARD=${{ matrix.board }}" in runs and ".venv/bin/pip install" in runs
    assert steps.index(action) > max(i for i, s in enumerate(steps) if "run" in s)
