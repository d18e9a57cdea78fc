# SPDX-License-Identifier: Apache-2.0
"""The CLI's error contract: every subcommand given a bad input says
`error: <the command typed>: <why>` and a hint, with no traceback; errors name
the command and fault kind the user typed; bad URLs and long source names are
refused clearly; output into a closed pipe (`| head`) ends quietly."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from crashdump.cli import main
from crashdump.cli.parser import build_parser
from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.parse import FaultRegs, MemBlock, Regs

from .fake_device import FakeServer


def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def leaf_commands(parser: argparse.ArgumentParser, path: Tuple[str, ...] = ()
                  ) -> Iterator[Tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path
        return
    for name, sub in subs[0].choices.items():
        yield from leaf_commands(sub, path + (name,))


NO_PORT = "socket://127.0.0.1"   # a URL without its port
# One bad input per subcommand; {dev} is a fake device's URL, {tmp} a scratch
# directory holding not-a-dump.cdmp (text) and long.cdmp (a valid dump).
BAD_INPUTS = {
    ("info",): ["--port", NO_PORT, "info"],
    ("reset",): ["--port", "socket://127.0.0.1:99999", "reset"],
    ("source", "create"): ["--port", "{dev}", "source", "create", "a-name-of-17-byte",
                           "--item-size", "8", "--count", "2"],
    ("source", "open"): ["--port", "{dev}", "source", "open", "missing"],
    ("source", "destroy"): ["--port", "{dev}", "source", "destroy", "missing"],
    ("source", "write"): ["--port", "{dev}", "source", "write", "missing", "00"],
    ("source", "read"): ["--port", "{dev}", "source", "read", "missing"],
    ("source", "capture"): ["--port", "{dev}", "source", "capture", "missing"],
    ("source", "list"): ["--port", "rfc2217://localhost", "source", "list"],
    ("self", "read"): ["--port", "{tmp}/no-such-tty", "self", "read"],
    ("self", "capture"): ["--port", NO_PORT, "self", "capture"],
    ("triage", "list"): ["--port", "socket://127.0.0.1:abc", "triage", "list"],
    ("emulate",): ["emulate", "qemu-mps2-an385", "--elf", "{tmp}/not-a-dump.cdmp"],
    ("dump", "status"): ["--port", NO_PORT, "dump", "status"],
    ("dump", "pull"): ["dump", "pull", "-o", "{tmp}/out.cdmp"],
    ("dump", "erase"): ["--port", "{dev}", "dump", "erase", "--slot", "0", "--verified",
                        "{tmp}/absent.cdmp"],
    ("probes",): ["probes", "unexpected-argument"],
    ("ports",): ["ports", "--port", "/dev/ttyACM0"],
    ("decode",): ["decode", "{tmp}/not-a-dump.cdmp"],
    ("fault",): ["--port", "{dev}", "fault", "no_such_kind"],
    ("gdbserver",): ["gdbserver", "{tmp}/long.cdmp", "--elf", "{tmp}/not-a-dump.cdmp",
                     "--pipe"],
}


def test_every_subcommand_has_a_bad_input_case() -> None:
    assert sorted(leaf_commands(build_parser())) == sorted(BAD_INPUTS)


@pytest.mark.parametrize("command", sorted(BAD_INPUTS), ids=" ".join)
def test_bad_input_gives_error_and_hint_without_traceback(
        command: Tuple[str, ...], capsys: pytest.CaptureFixture, server: FakeServer,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRASHDUMP_PORT", raising=False)
    (tmp_path / "not-a-dump.cdmp").write_text("hello\n")
    (tmp_path / "long.cdmp").write_bytes(build_dump(
        regs=Regs(r=(0,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0)))
    argv = [a.format(dev=server.url, tmp=tmp_path) for a in BAD_INPUTS[command]]
    code, out, err = run(capsys, *argv)
    assert code in (1, 2), (code, out, err)
    assert "Traceback" not in err and "internal error" not in err
    lines = err.splitlines()
    typed = " ".join(command)
    errors = [x for x in lines if x.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0].startswith((f"error: {typed}", f"error: crashdump {typed}")), err
    assert any(x.startswith("hint: ") and len(x) > 10 for x in lines), err


def test_errors_name_the_command_typed_not_the_step(capsys: pytest.CaptureFixture,
                                                    server: FakeServer) -> None:
    # `source write` opens the source first; the error is the write's.
    code, _, err = run(capsys, "-p", server.url, "source", "write", "missing", "00")
    assert code == 1
    assert err.startswith("error: source write 'missing': unknown data source"), err
    # The fake device has no fault command: the error names the kind as typed, by name.
    for kind in ("bad_read", "1", "BAD-READ"):
        code, _, err = run(capsys, "-p", server.url, "fault", kind)
        assert code == 1 and err.startswith("error: fault bad_read: "), err


@pytest.mark.parametrize("url,why", [
    ("socket://127.0.0.1", "the URL has no TCP port; write socket://127.0.0.1:PORT"),
    ("socket://127.0.0.1:", "the URL has no TCP port; write socket://127.0.0.1:PORT"),
    ("socket://", "the URL has no TCP port; write socket://127.0.0.1:PORT"),
    ("socket://[::1]", "the URL has no TCP port; write socket://[::1]:PORT"),
    ("rfc2217://dev.local", "the URL has no TCP port; write rfc2217://dev.local:PORT"),
    ("socket://127.0.0.1:70000", "'70000' is not a TCP port (1..65535); write "
                                 "socket://127.0.0.1:PORT"),
    ("socket://127.0.0.1:x", "'x' is not a TCP port (1..65535)"),
])
def test_network_url_without_a_valid_port(capsys: pytest.CaptureFixture, url: str,
                                          why: str) -> None:
    code, _, err = run(capsys, "--port", url, "info")
    assert code == 1
    assert err.splitlines()[0].startswith(f"error: info: cannot open {url}: {why}"), err
    assert err.splitlines()[1].startswith("hint: --port takes")


def test_source_names_longer_than_the_label_are_refused(capsys: pytest.CaptureFixture,
                                                        server: FakeServer) -> None:
    code, _, err = run(capsys, "-p", server.url, "source", "create", "sensor-temperature-1",
                       "--item-size", "8", "--count", "2")
    assert code == 2
    assert err.splitlines()[0] == ("error: source create 'sensor-temperature-1': the name "
                                   "'sensor-temperature-1' has 20 bytes; a source's label "
                                   "holds 16")
    code, _, err = run(capsys, "-p", server.url, "source", "create", "ééééééééé",
                       "--item-size", "8", "--count", "2")  # 9 characters, 18 bytes
    assert code == 2 and "has 18 bytes" in err
    # A 16-byte name is created, listed under that label, and the label addresses it.
    assert run(capsys, "-p", server.url, "source", "create", "sensor-temp-0001",
               "--item-size", "8", "--count", "2")[0] == 0
    code, out, _ = run(capsys, "-p", server.url, "source", "list")
    labels = [line.split()[1] for line in out.splitlines()[1:]]
    assert "sensor-temp-0001" in labels
    for label in labels:
        if label != "(self)" and not label.startswith("self"):
            assert run(capsys, "-p", server.url, "source", "open", label)[0] == 0, label


def big_dump(path: Path) -> Path:
    records: List[bytes] = [b"log line %05d " % i + b"x" * 40 for i in range(3000)]
    path.write_bytes(build_dump(
        regs=Regs(r=(0,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0),
        fault=FaultRegs(cfsr=1 << 25), stack=MemBlock(0x20000F00, bytes(256)),
        rings=[build_ring(records, item_size=64, count=3000)]))
    return path


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    dump = big_dump(tmp_path / "big.cdmp")
    # Like `crashdump decode big.cdmp | head -1`: the reader leaves after one line,
    # while the report (far larger than a pipe's buffer) is still being written.
    proc = subprocess.Popen([sys.executable, "-m", "crashdump", "decode", str(dump),
                             "--sections", "all", "--records", "all"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert first.startswith(b"crash: ")
    assert err == "", err
    assert code == 141  # 128 + SIGPIPE, as a tool killed by SIGPIPE reports it


def test_broken_pipe_from_elsewhere_is_still_reported(capsys: pytest.CaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A BrokenPipeError that is not stdout's (a socket) is an error, not a quiet exit."""
    import crashdump.cli as cli

    def broken(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    class Parser:
        def parse_args(self, argv: object = None) -> argparse.Namespace:
            return argparse.Namespace(command="emulate", func=broken, device=False)

    monkeypatch.setattr(cli, "build_parser", lambda argv=None: Parser())
    monkeypatch.setattr(cli, "_stdout_gone", lambda: False)
    code = main(["emulate"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: emulate: internal error: BrokenPipeError")


# ---------------------------------------------------------------- options where they act

PORTLESS = [["decode", "x.cdmp"], ["probes"], ["emulate", "qemu-mps2-an385"],
            ["gdbserver", "x.cdmp", "--elf", "x.elf", "--pipe"]]


DEVICE_OPTIONS = [["--port", "socket://127.0.0.1:1"], ["--baud", "9600"], ["--timeout", "3"],
                  ["--trace"]]


@pytest.mark.parametrize("command,option", [
    (c, o) for c in PORTLESS for o in DEVICE_OPTIONS
    if not (c[0] == "gdbserver" and o[0] == "--trace")],  # its own --trace logs packets
    ids=lambda x: x[0])
def test_device_options_are_refused_where_they_do_not_act(
        capsys: pytest.CaptureFixture, command: List[str], option: List[str]) -> None:
    for argv in (option + command, command + option):  # before or after the command
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "", err
        assert f"error: crashdump {command[0]}: " in err, err
        assert "Traceback" not in err


def test_help_lists_device_options_only_where_they_act(capsys: pytest.CaptureFixture) -> None:
    parser = build_parser()
    for command in leaf_commands(parser):
        with pytest.raises(SystemExit):
            parser.parse_args([*command, "--help"])
        out = capsys.readouterr().out
        takes_port = command[0] not in ("decode", "probes", "emulate", "gdbserver", "ports")
        assert ("--port" in out) == takes_port, (command, out)
        assert ("--baud" in out) == takes_port and ("--timeout" in out) == takes_port, command
        assert ("--dtr" in out) == takes_port and ("--rts" in out) == takes_port, command
        assert ("--trace" in out) == (takes_port or command[0] == "gdbserver"), command
        assert "--json" in out and "--debug" in out, command


def test_device_options_still_work_before_a_device_command(capsys: pytest.CaptureFixture,
                                                           server: FakeServer) -> None:
    code, out, err = run(capsys, "--port", server.url, "--timeout", "2", "info")
    assert code == 0, err
    code, out, err = run(capsys, "info", "--port", server.url, "--trace")
    assert code == 0 and "tx " in err and "rx " in err, err
