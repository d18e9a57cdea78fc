# SPDX-License-Identifier: Apache-2.0
"""Every command's --json document against docs/json.md, the contract.

The tables of docs/json.md are read as a schema: each `### name` section lists
an object's fields with their types. A document must have exactly the fields
its section lists (optional ones may be absent), each of its type, "schema"
first; every command of the CLI must be in the page's command table.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Tuple

import pytest

from crashdump.cli import build_parser, main
from crashdump.dumpfile.build import build_dump
from crashdump.dumpfile.parse import Additional, MemBlock, Regs
from crashdump.harness.emulate import BOARDS

from .fake_device import FakeDevice, FakeServer
from .test_cli_errors import leaf_commands
from .test_dump_cli import DumpDevice, make_dump
from .test_emulate import FAKE, firmware
from .test_gdbserver import dump_file, host_elf

DOC = Path(__file__).resolve().parents[2] / "docs" / "json.md"

Field = Tuple[str, str, bool]  # name, type, optional


def read_contract() -> Tuple[Dict[str, str], Dict[str, List[Field]]]:
    """(command -> document name, object name -> fields) from docs/json.md."""
    text = DOC.read_text()
    commands: Dict[str, str] = {}
    table = text.split("## Commands", 1)[1].split("## Documents", 1)[0]
    for row in re.findall(r"^\| (.+?) \| \*(\w+)\* \|$", table, re.M):
        for command in re.findall(r"`([^`]+)`", row[0]):
            commands[command] = row[1]
    objects: Dict[str, List[Field]] = {}
    for name, body in re.findall(r"^### (\w+)\n(.*?)(?=^### |\Z)", text, re.M | re.S):
        objects[name] = [(f, t.strip(), "*optional*" in meaning) for f, t, meaning in
                         re.findall(r"^\| `(\w+)` \| ([^|]+?) \|(.*)\|$", body, re.M)]
    return commands, objects


COMMANDS, OBJECTS = read_contract()
_HEX32 = re.compile(r"^0x[0-9a-f]{8}$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PRIMITIVES: Dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "hex32": lambda v: isinstance(v, str) and bool(_HEX32.match(v)),
    "hex": lambda v: isinstance(v, str) and bool(re.match(r"^([0-9a-f]{2})*$", v)),
    "guid": lambda v: isinstance(v, str) and bool(_GUID.match(v)),
}


def check_value(value: Any, kind: str, where: str) -> None:
    if kind.endswith(" or null"):
        if value is not None:
            check_value(value, kind[:-len(" or null")], where)
        return
    if kind.startswith("[") and kind.endswith("]") and " or " in kind:
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for i, item in enumerate(value):
            check_value(item, kind[1:-1], f"{where}[{i}]")
        return
    if " or " in kind:  # one of several objects
        errors = []
        for alternative in kind.split(" or "):
            try:
                check_value(value, alternative, where)
                return
            except AssertionError as e:
                errors.append(str(e))
        raise AssertionError(" / ".join(errors))
    if kind.startswith("[") and kind.endswith("]"):
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for i, item in enumerate(value):
            check_value(item, kind[1:-1], f"{where}[{i}]")
        return
    if kind.startswith("{") and kind.endswith("}"):
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        for key, item in value.items():
            check_value(item, kind[1:-1], f"{where}.{key}")
        return
    if kind.startswith("*") and kind.endswith("*"):
        check_object(value, kind.strip("*"), where, top=False)
        return
    assert kind in _PRIMITIVES, f"docs/json.md: unknown type {kind!r} ({where})"
    assert _PRIMITIVES[kind](value), f"{where}: {value!r} is not of type {kind}"


def check_object(doc: Any, name: str, where: str = "", top: bool = True) -> None:
    """Checks doc against the object `name` of docs/json.md; a top-level
    document starts with "schema": 1, nested objects have no schema field."""
    where = where or name
    assert name in OBJECTS, f"docs/json.md has no section {name!r}"
    assert isinstance(doc, dict), f"{where}: {doc!r} is not an object"
    fields = [f for f in OBJECTS[name] if top or f[0] != "schema"]
    if top:
        assert list(doc)[:1] == ["schema"] and doc["schema"] == 1, f"{where}: no schema first"
    known = {f for f, _, _ in fields}
    assert not set(doc) - known, f"{where}: fields docs/json.md does not list: " \
                                 f"{sorted(set(doc) - known)}"
    for field, kind, optional in fields:
        if field not in doc:
            assert optional, f"{where}: {field!r} is missing"
            continue
        check_value(doc[field], kind, f"{where}.{field}")


def test_the_contract_parses() -> None:
    assert OBJECTS["info"][0] == ("schema", "int", False)
    assert ("output", "string", True) in OBJECTS["capture"]
    referenced = set(re.findall(r"\*(\w+)\*", "".join(t for o in OBJECTS.values()
                                                        for _, t, _ in o)))
    assert referenced - {"optional"} <= set(OBJECTS)
    assert set(COMMANDS.values()) <= set(OBJECTS)


def test_the_checker_finds_what_differs() -> None:
    good = {"schema": 1, "reset": True, "waited": False, "seconds": 0.5}
    check_object(good, "reset")
    for bad in ({**good, "extra": 1}, {k: v for k, v in good.items() if k != "waited"},
                {**good, "seconds": "0.5"}, {"reset": True, "waited": False, "seconds": 1}):
        with pytest.raises(AssertionError):
            check_object(bad, "reset")
    with pytest.raises(AssertionError):
        check_value("0x2000", "hex32", "x")
    check_value(None, "hex32 or null", "x")


def test_every_command_is_in_the_contract() -> None:
    leaves = {" ".join(c) for c in leaf_commands(build_parser())}
    # `dump pull --probe`, `fault --list`, `gdbserver --gdb-port N` are forms of these.
    assert {c.split(" -")[0].replace(" KIND", "") for c in COMMANDS} == leaves


# ---------------------------------------------------------------- running them

def run_json(capsys: pytest.CaptureFixture, *argv: str, code: int = 0) -> Any:
    got = main(["--json", *argv])
    out, err = capsys.readouterr()
    assert got == code, err
    return json.loads(out)


@pytest.fixture
def dump_dev() -> Any:
    server = FakeServer(DumpDevice())
    yield server
    server.close()


def test_device_commands(capsys: pytest.CaptureFixture, server: FakeServer,
                         device: FakeDevice, tmp_path: Path) -> None:
    device.triage = [(0x20000000, 16)]
    p = ["--port", server.url]
    check_object(run_json(capsys, *p, "info"), COMMANDS["info"])
    check_object(run_json(capsys, *p, "source", "create", "s", "--item-size", "8", "--count",
                          "2"), COMMANDS["source create"])
    check_object(run_json(capsys, *p, "source", "open", "s"), COMMANDS["source open"])
    for text in ("a", "b", "c"):
        check_object(run_json(capsys, *p, "source", "write", "s", "--text", text),
                     COMMANDS["source write"])
    check_object(run_json(capsys, *p, "source", "capture", "s"), COMMANDS["source capture"])
    saved = tmp_path / "cap.json"
    doc = run_json(capsys, *p, "source", "capture", "s", "-o", str(saved))
    check_object(doc, COMMANDS["source capture"])
    assert doc["output"] == str(saved)
    check_object(json.loads(saved.read_text()), "capture")
    doc = run_json(capsys, *p, "source", "read", "s")
    check_object(doc, COMMANDS["source read"])
    assert doc["overwritten_unread_since_last_read"] == 1
    doc = run_json(capsys, *p, "source", "list")
    check_object(doc, COMMANDS["source list"])
    assert doc["sources"][0]["overwritten_unread_total"] == 1
    check_object(run_json(capsys, *p, "self", "read"), COMMANDS["self read"])
    check_object(run_json(capsys, *p, "self", "capture"), COMMANDS["self capture"])
    check_object(run_json(capsys, *p, "triage", "list"), COMMANDS["triage list"])
    check_object(run_json(capsys, *p, "source", "destroy", "s"), COMMANDS["source destroy"])
    check_object(run_json(capsys, *p, "reset"), COMMANDS["reset"])


def test_errors(capsys: pytest.CaptureFixture, server: FakeServer, tmp_path: Path) -> None:
    doc = run_json(capsys, "--port", server.url, "source", "open", "missing", code=1)
    check_object(doc, "error")
    assert doc["error"]["status_name"] == "UNKNOWN_SOURCE" and doc["error"]["hint"]
    doc = run_json(capsys, "decode", str(tmp_path / "absent.cdmp"), code=2)
    check_object(doc, "error")
    assert doc["error"]["status"] is None and doc["error"]["exit_code"] == 2


def test_dump_commands(capsys: pytest.CaptureFixture, dump_dev: FakeServer,
                       tmp_path: Path) -> None:
    p = ["--port", dump_dev.url]
    doc = run_json(capsys, *p, "dump", "status")
    check_object(doc, COMMANDS["dump status"])
    empty = doc["slots"][1]
    assert empty["state"] == "empty" and empty["reason"] is None and empty["code"] is None
    doc = run_json(capsys, *p, "dump", "pull", "-o", str(tmp_path / "crash.cdmp"))
    check_object(doc, COMMANDS["dump pull"])
    files = [d["file"] for d in doc["pulled"]]
    check_object(run_json(capsys, *p, "dump", "erase", "--verified", *files),
                 COMMANDS["dump erase"])
    doc = run_json(capsys, "decode", files[0])
    check_object(doc, COMMANDS["decode"])
    assert doc["rings"] and doc["rings"][0]["records"]


def test_decode_of_a_dump_with_triage_and_additional_data(capsys: pytest.CaptureFixture,
                                                         tmp_path: Path) -> None:
    f = tmp_path / "d.cdmp"
    f.write_bytes(build_dump(regs=Regs(r=(1,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0),
                             triage=[MemBlock(0x20000000, b"DEMO" * 4)],
                             additional=[Additional(uuid.UUID(int=7), b"blob")], code=5))
    doc = run_json(capsys, "decode", str(f))
    check_object(doc, "decode")
    assert doc["registers"] and doc["triage"] and doc["additional"]
    assert doc["header"]["code"] == "0x00000005"
    check_object(run_json(capsys, "decode", str(f), "--oneline"), "decode_line")
    bad = tmp_path / "bad.cdmp"
    bad.write_bytes(b"CDMP" + bytes(10))
    doc = run_json(capsys, "decode", str(f), str(bad), code=1)
    check_object(doc, "decode_many")
    assert "error" in doc["dumps"][1]
    check_object(run_json(capsys, "decode", str(f), str(bad), "--oneline", code=1), "decode_lines")


def test_fault_commands(capsys: pytest.CaptureFixture, server: FakeServer,
                        device: FakeDevice, monkeypatch: pytest.MonkeyPatch) -> None:
    check_object(run_json(capsys, "fault", "--list"), COMMANDS["fault --list"])
    real = device.handle

    def handle(cmd: int, payload: bytes) -> Any:  # the fake takes the fault, and lives on
        return (0, b"") if cmd == 0x50 else real(cmd, payload)

    monkeypatch.setattr(device, "handle", handle)
    check_object(run_json(capsys, "--port", server.url, "fault", "bad_read"),
                 COMMANDS["fault KIND"])


def test_ports_and_probes(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from serial.tools.list_ports_common import ListPortInfo
    acm = ListPortInfo("/dev/ttyACM0")
    acm.vid, acm.pid, acm.serial_number = 0x1366, 0x1015, "42"
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [acm, ListPortInfo("COM1")])
    check_object(run_json(capsys, "ports"), COMMANDS["ports"])
    from pyocd.probe.aggregator import DebugProbeAggregator
    probes = [SimpleNamespace(unique_id=i, description="CMSIS-DAP", vendor_name="Arm",
                              product_name=None) for i in ("066d", "0240")]
    monkeypatch.setattr(DebugProbeAggregator, "get_all_connected_probes",
                        staticmethod(lambda *a, **kw: probes))
    doc = run_json(capsys, "probes")
    check_object(doc, COMMANDS["probes"])
    assert len(doc["probes"]) == 2


def test_emulate(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> None:
    monkeypatch.setitem(BOARDS, FAKE.name, FAKE)
    elf = firmware(tmp_path, {"run_for": 0.3, "exit": 0})
    assert main(["--json", "emulate", FAKE.name, "--elf", str(elf)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1  # one line, printed as soon as it serves
    check_object(json.loads(out), COMMANDS["emulate"])


def test_gdbserver(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "crashdump", "gdbserver",
                             str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port",
                             "0", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        check_object(json.loads(proc.stdout.readline()), COMMANDS["gdbserver --gdb-port N"])
    finally:
        proc.kill()
        proc.communicate()


class FlashSession:
    """Stands in for ProbeSession: a flash image of the qemu-mps2-an385 dump
    partition with a valid dump in slot 1 and a torn one in slot 2."""

    base, slot = 0x003E0000, 4096

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.image = bytearray(b"\xff" * 128 * 1024)
        dump = make_dump(2)
        self.image[self.slot:self.slot + len(dump)] = dump
        self.image[2 * self.slot:2 * self.slot + 200] = dump[:200]
        self.was_running = True

    def __enter__(self) -> "FlashSession":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def read(self, addr: int, size: int) -> bytes:
        off = addr - self.base
        return bytes(self.image[off:off + size]) if 0 <= off else b"\xff" * size

    def reading(self) -> Any:
        import contextlib
        return contextlib.nullcontext()


def test_probe_pull(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                    tmp_path: Path) -> None:
    monkeypatch.setattr("crashdump.probe.session.ProbeSession", FlashSession)
    doc = run_json(capsys, "dump", "pull", "--probe", "fake", "--board", "qemu-mps2-an385",
                   "-o", str(tmp_path / "crash.cdmp"))
    check_object(doc, COMMANDS["dump pull --probe"])
    assert [p["addr"] for p in doc["pulled"]] == ["0x003e1000"]
    assert [s["addr"] for s in doc["skipped"]] == ["0x003e2000"]


def test_usage_errors_are_json_errors_too(capsys: pytest.CaptureFixture) -> None:
    doc = run_json(capsys, "source", "create", "x", "--count", "1", code=2)
    check_object(doc, "error")
    assert doc["error"]["operation"] == "source create"
    assert "--item-size" in doc["error"]["message"] and doc["error"]["exit_code"] == 2
