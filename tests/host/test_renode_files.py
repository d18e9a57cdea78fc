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
from typing import Dict, List, Optional, Set, Tuple

import pytest

from crashdump.cli.parser import build_parser
from crashdump.protocol.wire import FaultKind

ROOT = Path(__file__).resolve().parents[2]
RENODE_VERSION = "1.16.1"  # what CI pins (.github/workflows/renode.yml)
# the versions whose sources every choice in the Renode files was checked against
KNOWN_VERSIONS = ("1.15.3", "1.16.0", "1.16.1")
KNOWN_TEXT = f"Renode {KNOWN_VERSIONS[0]}, {KNOWN_VERSIONS[1]} and {KNOWN_VERSIONS[2]}"
BOARDS = sorted(p.parent.name for p in ROOT.glob("boards/*/renode") if p.parent.name != "common")
SUITE = ROOT / "tests" / "renode" / "crashdump.robot"
# the keyword library's suite (crashdump.robot.CrashdumpLibrary in a real Renode)
LIBRARY_SUITE = ROOT / "tests" / "renode" / "library.robot"
SUITES = (SUITE, LIBRARY_SUITE)
SUITE_NAMES = [p.relative_to(ROOT).as_posix() for p in SUITES]
RESOURCE = ROOT / "tests" / "renode" / "crashdump.resource"
WORKFLOWS = ROOT / ".github" / "workflows"
RENODE_FILES = sorted(p for b in BOARDS + ["common"] for p in (ROOT / "boards" / b / "renode").iterdir()) \
    + [*SUITES, RESOURCE]

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
def test_each_file_names_the_renode_versions(path):
    head = " ".join(" ".join(path.read_text().splitlines()[:6]).replace("#", " ").replace("//", " ")
                    .replace("...", " ").split())
    assert KNOWN_TEXT in head, path


def test_readme_names_the_renode_versions():
    readme = (ROOT / "README.md").read_text()
    assert f"Renode](https://renode.io) **{', '.join(KNOWN_VERSIONS[:-1])} and " \
        f"{KNOWN_VERSIONS[-1]}**" in readme
    assert f"CI runs {RENODE_VERSION}" in readme


@pytest.mark.parametrize("board", BOARDS)
def test_platform_matches_the_board_headers(board):
    c = board_constants(board)
    p = repl_peripherals(ROOT / "boards" / board / "renode" / f"{board}.repl")
    assert p["cpu"].type == "CPU.CortexM" and p["cpu"].props["cpuType"] == "cortex-m4f"
    assert int(p["nvic"].props["systickFrequency"]) == c["BOARD_CPU_HZ"]
    memories = {m.address: int(m.props["size"], 0) for m in p.values()
                if m.type == "Memory.MappedMemory"}
    # flash: MappedMemory up to the dump partition, which is nor_flash.py to the end
    assert memories.get(c["BOARD_FLASH_BASE"]) == c["BOARD_DUMP_BASE"] - c["BOARD_FLASH_BASE"]
    assert c["BOARD_DUMP_BASE"] + c["BOARD_DUMP_SIZE"] == c["BOARD_FLASH_BASE"] + c["BOARD_FLASH_SIZE"]
    # (test_renode_pydev.py checks the .resc registers nor_flash.py over the partition)
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


def renode_types(version: str) -> Dict[str, Set[str]]:
    """Type -> constructor parameter names, from tests/renode/renode-peripherals-VERSION.txt
    (produced from that version's sources; see the file's header)."""
    out: Dict[str, Set[str]] = {}
    for line in (ROOT / "tests" / "renode" / f"renode-peripherals-{version}.txt").read_text() \
            .splitlines():
        if line and not line.startswith("#"):
            name, *params = line.split()
            out[name] = set(params)
    return out


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
@pytest.mark.parametrize("board", BOARDS)
def test_every_repl_type_and_property_exists_in_each_known_version(board, version):
    types = renode_types(version)
    assert len(types) > 500, "the type list looks truncated"
    for name, p in repl_peripherals(ROOT / "boards" / board / "renode" / f"{board}.repl").items():
        assert p.type in types, f"{board}.repl: {name} is a {p.type}, which Renode {version} lacks"
        unknown = set(p.props) - types[p.type]
        assert not unknown, f"{board}.repl: {name} ({p.type}) sets {sorted(unknown)}, which " \
            f"Renode {version}'s {p.type} does not take (it takes {sorted(types[p.type])})"


def test_the_type_lists_tell_a_renamed_type():
    # the rename that broke the nRF52840 platform on 1.15.3 must show in the lists
    assert "Miscellaneous.NRF52840_CLOCK" in renode_types("1.15.3")
    assert "Miscellaneous.NRF_CLOCK" not in renode_types("1.15.3")
    assert "Miscellaneous.NRF_CLOCK" in renode_types("1.16.0")


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


# ---------------------------------------------------------------- the Robot suite


def cli_calls() -> List[Tuple[str, List[str]]]:
    """(where, argv) of every `Crashdump ...` / `Crashdump Json ...` keyword call,
    with Robot variables replaced by a placeholder that any argument accepts;
    the keywords' own pass-through of @{args} is not a call."""
    calls = []
    for path in (*SUITES, RESOURCE):
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
    probe = [[a for a in argv if a != "--json"] for _, argv in cli_calls() if "--probe" in argv]
    assert probe and all(a[:2] == ["dump", "pull"] and ("--elf" in a or "--board" in a)
                         for a in probe)
    assert any("--board" in a and "--elf" not in a for a in probe), "no probe pull without the ELF"


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


def test_every_fault_kind_is_tested_or_said_to_be_impossible_in_renode():
    """A kind the firmware gains must be tested in Renode or listed, with the
    reason, among those Renode cannot raise (the suite's comment)."""
    text = SUITE.read_text()
    tested = set(re.findall(r"^\s+Fault Is Dumped And Decoded\s{2,}(\w+)\s{2,}", text, re.M))
    tested.add(re.search(r"^\$\{FAULT\}\s+(\w+)$", text, re.M).group(1))
    impossible = {k for line in re.findall(r"^# - ([\w, ]+):", text, re.M)
                  for k in re.split(r",\s*|\s+and\s+", line) if k}
    kinds = {k.lower() for k in FaultKind.__members__}
    assert not tested & impossible
    assert tested | impossible == kinds, sorted(kinds ^ (tested | impossible))
    injectors = (ROOT / "firmware" / "arch" / "cortex-m" / "cd_fault_inject_s.S").read_text()
    for kind in tested:
        assert re.search(rf"^CD_FUNC cd_fault_do_{kind}$", injectors, re.M), kind
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "reads unmapped addresses as zero" in readme and "divide by zero" in readme


def suite_blocks(section: str, path: Path = SUITE) -> Dict[str, str]:
    """The test cases (or keywords) of a suite file: name -> body."""
    parts = path.read_text().split(f"*** {section} ***")
    if len(parts) < 2:
        return {}
    text = parts[1].split("\n*** ")[0]
    return {b.splitlines()[0]: b for b in re.split(r"\n(?=\S)", text.strip()) if b}


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_every_suite_test_checks_the_flash_and_asks_the_device_after_the_probe(suite):
    keywords = suite_blocks("Keywords", suite)
    for name, body in suite_blocks("Test Cases", suite).items():
        # a keyword called as a step, or for its value (${x}=    Keyword)
        calls = body + "".join(keywords[k] for k in keywords
                               if re.search(rf"^\s+(\S+=\s+)?{re.escape(k)}\b", body, re.M))
        assert "Flash Was Used Like Flash" in calls, f"{name}: no NOR flash check"
        lines = calls.splitlines()
        for i, line in enumerate(lines):
            if "--probe" in line or "probe=" in line or "Pyocd Commander" in line:
                assert any("Device Still Runs" in later or "IsPaused" in later
                           for later in lines[i + 1:]), f"{name}: nothing asks the device after {line.strip()}"


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


def test_every_renode_suite_is_known():
    assert sorted((ROOT / "tests" / "renode").glob("*.robot")) == sorted(SUITES)


def test_renode_workflow_runs_the_suite_for_every_board():
    path = WORKFLOWS / "renode.yml"
    text = path.read_text()
    doc = load_yaml(path)
    if doc is None:
        boards = re.search(r"^\s+board: \[(.*)\]$", text, re.M).group(1)
        assert sorted(b.strip() for b in boards.split(",")) == BOARDS
        for needed in ("uses: antmicro/renode-test-action@v5",
                       f"renode-revision: v{RENODE_VERSION}",
                       "tests-to-run: " + " ".join(SUITE_NAMES),
                       "renode-arguments: --variable BOARD:${{ matrix.board }} --variable "
                       "DUMP_DIR:${{ github.workspace }}/renode-results/dumps/${{ matrix.board }}",
                       "uses: actions/upload-artifact@v4",
                       "-DBOARD=${{ matrix.board }}", ".venv/bin/pip install",
                       "python3 -m pip install"):
            assert needed in text, needed
        return
    job = doc["jobs"]["renode"]
    assert sorted(job["strategy"]["matrix"]["board"]) == BOARDS
    steps = job["steps"]
    action = next(s for s in steps if str(s.get("uses", "")).startswith("antmicro/renode-test-action@"))
    assert action["with"]["renode-revision"] == f"v{RENODE_VERSION}"
    # every suite; the keyword library's imports crashdump in renode-test's Python
    assert action["with"]["tests-to-run"].split() == SUITE_NAMES
    assert any("python3 -m pip install" in str(s.get("run", "")) for s in steps[:steps.index(action)])
    assert action["with"]["renode-arguments"] == (
        "--variable BOARD:${{ matrix.board }} --variable "
        "DUMP_DIR:${{ github.workspace }}/renode-results/dumps/${{ matrix.board }}")
    # the dumps go under what is uploaded, and the suite's default agrees
    assert "/renode-results/dumps/" in action["with"]["renode-arguments"]
    assert re.search(r"^\$\{DUMP_DIR\}\s+\$\{ROOT\}/renode-results/dumps/\$\{BOARD\}$",
                     RESOURCE.read_text(), re.M)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == action["with"]["artifacts-path"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "-DBOARD=${{ matrix.board }}" in runs and ".venv/bin/pip install" in runs
    assert steps.index(action) > max(i for i, s in enumerate(steps) if "run" in s)
