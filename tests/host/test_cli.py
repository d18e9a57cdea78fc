# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from crashdump import guid_from_name
from crashdump.cli import commands, main

from .fake_device import FakeDevice, FakeServer


def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture, server: FakeServer, *argv: str) -> Any:
    code, out, err = run(capsys, "--port", server.url, "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def test_info_text_and_json(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    code, out, err = run(capsys, "--port", server.url, "info")
    assert code == 0 and err == ""
    assert "fake-device" in out and "frames up to 1024 bytes" in out
    doc = run_json(capsys, server, "info")
    assert doc["name"] == "fake-device" and doc["frame_max"] == 1024
    assert doc["build_id"] == bytes(range(1, 21)).hex()
    assert doc["caps"] == ["sources", "triage", "reset", "fault-cmds", "dedup"]


def test_global_options_after_the_command(capsys: pytest.CaptureFixture,
                                          server: FakeServer) -> None:
    code, out, _ = run(capsys, "source", "list", "--port", server.url, "--json")
    assert code == 0 and json.loads(out) == {"schema": 1, "sources": []}


def test_port_from_environment(capsys: pytest.CaptureFixture, server: FakeServer,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(commands.PORT_ENV, server.url)
    assert run(capsys, "info")[0] == 0


def test_source_life_cycle(capsys: pytest.CaptureFixture, server: FakeServer,
                           device: FakeDevice) -> None:
    created = run_json(capsys, server, "source", "create", "sensor", "--item-size", "16",
                       "--count", "4")
    assert created["guid"] == str(guid_from_name("sensor")) and not created["reattached"]
    code, out, _ = run(capsys, "-p", server.url, "source", "create", "sensor", "--item-size",
                       "16", "--count", "4")
    assert code == 0 and out.startswith("re-attached  'sensor'")

    assert run_json(capsys, server, "source", "write", "sensor", "68690001")["written"] == \
        [{"seq": 0, "len": 4}]
    code, out, _ = run(capsys, "-p", server.url, "source", "write", "sensor", "--text", "hello")
    assert code == 0 and out.strip() == "wrote 5 bytes to 'sensor' as #1"

    code, out, _ = run(capsys, "-p", server.url, "source", "capture", "sensor")
    assert code == 0
    assert out.splitlines() == [
        "#0           4  68 69 00 01" + " " * 38 + "|hi..|",
        "#1           5  68 65 6c 6c 6f" + " " * 35 + "|hello|",
        "captured 2 records #0..#1",
    ]
    cap = run_json(capsys, server, "source", "capture", "sensor")
    assert [r["hex"] for r in cap["records"]] == ["68690001", "68656c6c6f"]
    assert cap["gaps"] == [] and cap["missed_during_capture"] == 0

    for i in range(5):
        run(capsys, "-p", server.url, "source", "write", "sensor", "--text", f"r{i}")
    code, out, _ = run(capsys, "-p", server.url, "source", "read", "sensor", "--max", "1")
    assert code == 0
    assert out.splitlines()[-2:] == ["read 1 record #3", "3 records overwritten before read"]
    read = run_json(capsys, server, "source", "read", str(guid_from_name("sensor")))
    assert [r["text"] for r in read["records"]] == ["r2", "r3", "r4"] and read["overwritten_unread_since_last_read"] == 0

    listing = run_json(capsys, server, "source", "list")
    assert [s["label"] for s in listing["sources"]] == ["sensor"]
    assert run_json(capsys, server, "source", "open", "sensor")["count"] == 4
    assert run_json(capsys, server, "source", "destroy", "sensor") == \
        {"schema": 1, "guid": str(guid_from_name("sensor")), "destroyed": True}
    assert device.sources == []


def test_create_with_explicit_guid(capsys: pytest.CaptureFixture, server: FakeServer,
                                   device: FakeDevice) -> None:
    g = "00112233-4455-6677-8899-aabbccddeeff"
    doc = run_json(capsys, server, "source", "create", "named", "--item-size", "8", "--count",
                   "2", "--guid", g)
    assert doc["guid"] == g and doc["label"] == "named"
    code, _, err = run(capsys, "-p", server.url, "source", "create", "x", "--item-size", "8",
                       "--count", "2", "--guid", "not-a-guid")
    assert code == 2 and err.startswith("error: source create 'x': --guid 'not-a-guid' is not a GUID")


def test_write_file_splits_into_items(capsys: pytest.CaptureFixture, server: FakeServer,
                                      tmp_path: Path) -> None:
    run_json(capsys, server, "source", "create", "blob", "--item-size", "8", "--count", "8")
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(20)))
    doc = run_json(capsys, server, "source", "write", "blob", "--file", str(path))
    assert doc["written"] == [{"seq": 0, "len": 8}, {"seq": 1, "len": 8}, {"seq": 2, "len": 4}]
    raw = tmp_path / "out.bin"
    code, out, _ = run(capsys, "-p", server.url, "source", "capture", "blob", "-o", str(raw),
                       "--raw")
    assert code == 0 and raw.read_bytes() == bytes(range(20))
    assert out.strip() == f"captured 3 records #0..#2 to {raw}"
    as_json = tmp_path / "out.json"
    assert run(capsys, "-p", server.url, "source", "capture", "blob", "-o", str(as_json))[0] == 0
    assert len(json.loads(as_json.read_text())["records"]) == 3


@pytest.mark.parametrize("args,message", [
    (["--text", "x" * 9], "error: source write 'small': 9 bytes do not fit one item of source "
                          "'small' (items hold up to 8 bytes)"),
    (["zz"], "error: source write 'small': DATA 'zz' is not hex"),
    (["00", "--text", "x"], "error: source write 'small': give exactly one of DATA (hex), --text STR "
                            "or --file PATH"),
    ([], "error: source write 'small': give exactly one of"),
])
def test_write_usage_errors(capsys: pytest.CaptureFixture, server: FakeServer,
                            args: List[str], message: str) -> None:
    run_json(capsys, server, "source", "create", "small", "--item-size", "8", "--count", "2")
    code, out, err = run(capsys, "-p", server.url, "source", "write", "small", *args)
    assert code == 2 and out == ""
    assert err.startswith(message)
    assert "\nhint: " in err or len(err.splitlines()) == 1


def test_device_error_is_one_line_with_status_name_and_hint(capsys: pytest.CaptureFixture,
                                                            server: FakeServer) -> None:
    code, out, err = run(capsys, "-p", server.url, "source", "open", "missing")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "error: source open 'missing': unknown data source (UNKNOWN_SOURCE)"
    assert lines[1].startswith("hint: ") and len(lines) == 2
    assert "Traceback" not in err


@pytest.mark.parametrize("argv,message", [
    (["source", "create", "big", "--item-size", "256", "--count", "1000"],
     "ring too large (RING_TOO_LARGE)"),
    (["source", "create", "big", "--item-size", "4096", "--count", "1"],
     "item too large (ITEM_TOO_LARGE)"),
])
def test_create_errors(capsys: pytest.CaptureFixture, server: FakeServer, argv: List[str],
                       message: str) -> None:
    code, _, err = run(capsys, "-p", server.url, *argv)
    assert code == 1 and err.splitlines()[0] == f"error: source create 'big': {message}"


def test_source_limit_message(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    for i in range(4):
        run_json(capsys, server, "source", "create", f"s{i}", "--item-size", "4", "--count", "1")
    code, _, err = run(capsys, "-p", server.url, "source", "create", "s4", "--item-size", "4",
                       "--count", "1")
    assert code == 1
    assert err.splitlines()[0] == \
        "error: source create 's4': data source limit reached (SOURCE_LIMIT)"


def test_json_error_document(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    code, out, err = run(capsys, "-p", server.url, "--json", "source", "destroy", "nope")
    assert code == 1 and err.startswith("error: source destroy 'nope'")
    assert json.loads(out) == {"schema": 1, "error": {
        "operation": "source destroy 'nope'", "message": "unknown data source (UNKNOWN_SOURCE)",
        "type": "DeviceError", "status": -4, "status_name": "UNKNOWN_SOURCE", "exit_code": 1,
        "hint": "`crashdump source list` shows the device's sources; `crashdump source create "
                "NAME --item-size N --count N` makes one"}}


def test_timeout_names_the_port(capsys: pytest.CaptureFixture, server: FakeServer,
                                device: FakeDevice) -> None:
    device.silent = True
    code, _, err = run(capsys, "-p", server.url, "--timeout", "0.2", "info")
    assert code == 1
    assert err.splitlines()[0] == f"error: info: no response from {server.url} within 0.2 s"
    assert "Traceback" not in err


def test_debug_shows_traceback(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    code, _, err = run(capsys, "-p", server.url, "--debug", "source", "open", "missing")
    assert code == 1
    assert err.startswith("Traceback (most recent call last):")
    assert "error: source open 'missing': unknown data source (UNKNOWN_SOURCE)" in err


def test_internal_error_is_one_line_without_debug(capsys: pytest.CaptureFixture,
                                                  server: FakeServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("crashdump.protocol.client.Client.info", broken)
    code, _, err = run(capsys, "-p", server.url, "info")
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[0] == "error: info: internal error: RuntimeError: boom"
    code, _, err = run(capsys, "-p", server.url, "--debug", "info")
    assert code == 1 and "Traceback" in err and "RuntimeError: boom" in err


def test_refused_port(capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "-p", "socket://127.0.0.1:1", "info")
    assert code == 1
    assert err.splitlines()[0] == "error: info: cannot open socket://127.0.0.1:1: " \
                                  "Connection refused"


def test_usage_errors(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(commands.PORT_ENV, raising=False)
    code, _, err = run(capsys, "info")
    assert code == 2 and err.startswith("error: info: no port given, and this machine has no "
                                        "serial ports\nhint: pass --port URL")
    assert run(capsys, "source", "create", "x", "--count", "1")[0] == 2  # no --item-size
    assert run(capsys, "source", "create", "x", "--item-size", "70000", "--count", "1")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "emulate", "no-such-board")[0] == 2
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "emulate" in out


def test_reset_and_self_and_triage(capsys: pytest.CaptureFixture, server: FakeServer,
                                   device: FakeDevice) -> None:
    device.triage = [(0x20000000, 16)]
    device.self_ring.write(b"tick 1")
    assert run_json(capsys, server, "reset")["reset"] is True
    assert device.boot_count == 2
    code, out, _ = run(capsys, "-p", server.url, "self", "capture")
    assert code == 0 and "|tick 1|" in out
    assert [r["text"] for r in run_json(capsys, server, "self", "read")["records"]] == ["tick 1"]
    code, out, _ = run(capsys, "-p", server.url, "self", "read")
    assert out.strip() == "no records (ring empty)"
    assert run_json(capsys, server, "triage", "list")["ranges"] == \
        [{"addr": "0x20000000", "len": 16}]


def test_trace_hex_dumps_traffic(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    code, _, err = run(capsys, "-p", server.url, "--trace", "info")
    assert code == 0
    assert err.splitlines()[0].startswith("tx  ")
    assert any(line.startswith("rx  ") for line in err.splitlines())


def test_long_items_wrap_in_hex_dump(capsys: pytest.CaptureFixture, server: FakeServer) -> None:
    run_json(capsys, server, "source", "create", "wide", "--item-size", "40", "--count", "1")
    run(capsys, "-p", server.url, "source", "write", "wide", "--text", "A" * 40)
    code, out, _ = run(capsys, "-p", server.url, "source", "capture", "wide")
    lines = out.splitlines()
    assert lines[0].startswith("#0          40  41 41") and lines[0].endswith("|" + "A" * 16 + "|")
    assert lines[2].startswith(" " * 16 + "41") and lines[2].endswith("|" + "A" * 8 + "|")
    assert str(uuid.UUID(int=0)) not in out


def test_device_commands_load_no_dump_decoder_probe_or_gdb_server() -> None:
    """Start-up time is most of a device command's time: `crashdump info`
    must not import pyOCD, the dump parser, the decoder or the GDB server."""
    import subprocess
    import sys
    heavy = ("pyocd", "crashdump.dumpfile", "crashdump.decode", "crashdump.gdbserver",
             "crashdump.probe", "crashdump.pull", "crashdump.harness", "crashdump.protocol.slots",
             "subprocess", "importlib.metadata")
    code = ("import sys; from crashdump.cli import build_parser; "
            "argv = ['--port', 'loop://', 'info']; build_parser(argv).parse_args(argv); "
            "print('\\n'.join(sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "host")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    assert "crashdump.protocol.client" in out
    assert [m for m in out if m.startswith(heavy)] == []


def test_a_command_line_builds_only_its_commands() -> None:
    """build_parser(argv) gives the commands argv names the same arguments as
    the full parser, and leaves the others out; COMMANDS lists them all."""
    import argparse
    from crashdump.cli.parser import COMMANDS, build_parser

    def commands(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
        return next(a for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction)).choices

    full = commands(build_parser())
    assert tuple(full) == COMMANDS
    assert tuple(commands(build_parser(["--json", "bogus"]))) == COMMANDS
    for name in COMMANDS:
        alone = commands(build_parser(["-p", "x", name, "--help"]))
        assert list(alone) == [name]
        assert alone[name].format_help() == full[name].format_help()
