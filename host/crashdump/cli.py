"""The `crashdump` command. The only layer that prints, draws progress or exits.

Each command handler returns (JSON document, text); main() prints one of them,
and turns every error into `error: <what failed>: <why>` plus a hint.
Exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from . import __version__, render
from .client import DEFAULT_TIMEOUT, Capture, Client
from .emulate import BOARDS, Emulator, describe_exit
from .errors import (CrashdumpError, DeviceError, EmulatorError, ProtocolError, TransportError,
                     TransportTimeoutError)
from .guid import SourceRef, label_from_name, parse_guid, resolve_source
from .transport import DEFAULT_BAUD

PORT_ENV = "CRASHDUMP_PORT"
Result = Tuple[Any, str]  # (JSON document, text for people)


class UsageError(CrashdumpError):
    """The command line asks for something that cannot be done (exit code 2)."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.hint = hint


_STATUS_HINTS = {
    "UNKNOWN_SOURCE": "`crashdump source list` shows the device's sources; "
                      "`crashdump source create NAME --item-size N --count N` makes one",
    "SOURCE_LIMIT": "destroy one you no longer need: `crashdump source list`, "
                    "`crashdump source destroy NAME`",
    "RING_TOO_LARGE": "count x (4 + item size rounded up to 4) must not exceed the ring "
                      "limit that `crashdump info` shows",
    "ITEM_TOO_LARGE": "`crashdump source open NAME` shows the item size; `crashdump info` "
                      "shows the largest item size a source may have",
    "GEOMETRY": "`crashdump source open NAME` shows its item size and count; destroy it "
                "first to change them",
    "INVAL": "GUIDs must not be all zero; item size, count and data must not be empty",
    "UNKNOWN_CMD": "the firmware does not know this command; is it older than this tool?",
    "UNSUPPORTED": "the firmware was built without this command",
    "MALFORMED": "the host tool and the firmware disagree on the protocol; compare "
                 "`crashdump info` with this tool's version",
}


def _hint(e: BaseException) -> Optional[str]:
    if isinstance(e, UsageError):
        return e.hint
    if isinstance(e, DeviceError):
        return _STATUS_HINTS.get(e.name)
    if isinstance(e, TransportTimeoutError):
        return (f"is the device on {e.port} running crashdump firmware, and does --baud match? "
                "--timeout waits longer; --trace shows the traffic")
    if isinstance(e, TransportError):
        return ("--port takes a serial device (/dev/ttyACM0, COM3), socket://HOST:PORT "
                "(e.g. from `crashdump emulate`) or rfc2217://HOST:PORT")
    if isinstance(e, ProtocolError):
        return "--trace shows the traffic"
    if isinstance(e, EmulatorError) and e.returncode == 134:
        return "debug it with --gdb-port N and `gdb-multiarch -ex 'target remote :N'`"
    return None


# ---------------------------------------------------------------- helpers


def _err(*lines: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)


class _ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label, self.stream = label, stream
        self.enabled = stream.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = min(30, 30 * done // total)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _trace(direction: str, data: bytes) -> None:
    _err(*(f"{direction} {line}" for line in render.hexdump(data, indent=" ")))


def _open(args: argparse.Namespace) -> Client:
    port = args.port or os.environ.get(PORT_ENV)
    if not port:
        raise UsageError("no port given",
                         hint=f"pass --port URL (/dev/ttyACM0, socket://127.0.0.1:PORT from "
                              f"`crashdump emulate`, ...) or set {PORT_ENV}")
    return Client.open(port, baud=args.baud, timeout=args.timeout,
                       trace=_trace if args.trace else None)


def _data_arg(args: argparse.Namespace) -> bytes:
    given = [x for x in (args.data, args.text, args.file) if x is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of DATA (hex), --text STR or --file PATH")
    if args.text is not None:
        return args.text.encode("utf-8")
    if args.file is not None:
        try:
            return Path(args.file).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {args.file}: {e.strerror or e}") from None
    try:
        return bytes.fromhex(args.data.replace(":", " "))
    except ValueError:
        raise UsageError(f"DATA {args.data!r} is not hex",
                         hint="write text with --text STR, a file with --file PATH") from None


def _save(path: str, capture: Capture, raw: bool) -> None:
    try:
        if raw:
            Path(path).write_bytes(b"".join(r.data for r in capture.records))
        else:
            Path(path).write_text(json.dumps(render.capture_json(capture), indent=2) + "\n")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


# ---------------------------------------------------------------- commands


def _cmd_info(args: argparse.Namespace, dev: Client) -> Result:
    info = dev.info()
    return render.info_json(info), render.info_text(info)


def _cmd_reset(args: argparse.Namespace, dev: Client) -> Result:
    took = dev.reset(wait=not args.no_wait)
    text = "reset sent" if args.no_wait else f"device reset; answering again after {took:.2f} s"
    return {"reset": True, "waited": not args.no_wait, "seconds": round(took, 3)}, text


def _cmd_source_create(args: argparse.Namespace, dev: Client) -> Result:
    ref = resolve_source(args.name)
    if args.guid is not None:
        guid = parse_guid(args.guid)
        if guid is None:
            raise UsageError(f"--guid {args.guid!r} is not a GUID",
                             hint="write it as 00112233-4455-6677-8899-aabbccddeeff")
        ref = SourceRef(guid, b"", args.name)
    src = dev.source_create(ref, args.item_size, args.count, label=label_from_name(args.name))
    verb = "re-attached" if src.reattached else "created"
    return render.source_json(src), render.source_text(src, verb)


def _cmd_source_open(args: argparse.Namespace, dev: Client) -> Result:
    src = dev.source_open(resolve_source(args.source))
    return render.source_json(src), render.source_text(src)


def _cmd_source_write(args: argparse.Namespace, dev: Client) -> Result:
    data = _data_arg(args)
    ref = resolve_source(args.source)
    size = dev.source_open(ref).item_size
    if len(data) > size and args.file is None:
        raise UsageError(f"{len(data)} bytes do not fit one item of source {ref} "
                         f"(items hold up to {size} bytes)",
                         hint="--file PATH splits a larger file into items")
    chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    written = [(dev.source_write(ref, chunk), len(chunk)) for chunk in chunks]
    seqs = [s for s, _ in written]
    where = f"#{seqs[0]}" if len(seqs) == 1 else \
        f"{len(seqs)} items #{seqs[0]}..#{seqs[-1]}"
    doc = {"guid": str(ref.guid), "written": [{"seq": s, "len": n} for s, n in written]}
    return doc, f"wrote {render.plural(len(data), 'byte')} to {ref} as {where}"


def _cmd_source_read(args: argparse.Namespace, dev: Client) -> Result:
    result = dev.source_read(resolve_source(args.source), max_items=args.max)
    return render.read_json(result), render.read_text(result)


def _capture_result(args: argparse.Namespace, run: Callable[[Any], Capture]) -> Result:
    bar = _ProgressBar("capture", sys.stderr)
    try:
        capture = run(bar)
    finally:
        bar.close()
    doc = render.capture_json(capture)
    if args.output:
        _save(args.output, capture, args.raw)
        doc = dict(doc, output=args.output)
        return doc, "\n".join(render.capture_summary(capture, where=args.output))
    return doc, render.capture_text(capture)


def _cmd_source_capture(args: argparse.Namespace, dev: Client) -> Result:
    ref = resolve_source(args.source)
    return _capture_result(args, lambda bar: dev.source_capture(ref, progress=bar))


def _cmd_source_destroy(args: argparse.Namespace, dev: Client) -> Result:
    ref = resolve_source(args.source)
    dev.source_destroy(ref)
    return {"guid": str(ref.guid), "destroyed": True}, f"destroyed {ref}"


def _cmd_source_list(args: argparse.Namespace, dev: Client) -> Result:
    sources = dev.source_list()
    return [render.source_json(s) for s in sources], render.source_table(sources)


def _cmd_self_read(args: argparse.Namespace, dev: Client) -> Result:
    result = dev.self_read(max_items=args.max)
    return render.read_json(result), render.read_text(result)


def _cmd_self_capture(args: argparse.Namespace, dev: Client) -> Result:
    return _capture_result(args, lambda bar: dev.self_capture(progress=bar))


def _cmd_triage_list(args: argparse.Namespace, dev: Client) -> Result:
    ranges = dev.triage_list()
    return [render.range_json(r) for r in ranges], render.range_text(ranges)


class _Stop(Exception):
    """SIGTERM or SIGHUP arrived while `emulate` runs."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def _cmd_emulate(args: argparse.Namespace) -> int:
    emu = Emulator(args.board, elf=args.elf, serial_port=args.serial_port,
                   gdb_port=args.gdb_port, build=args.build, paused=args.paused,
                   on_status=lambda msg: _err(msg))
    # `kill PID` must stop QEMU too: it runs in its own session, so nothing else would.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with emu:
            doc = {"board": emu.board.name, "machine": emu.board.machine, "elf": str(emu.elf),
                   "serial_url": emu.serial_url, "gdb": emu.gdb_address, "pid": emu.pid,
                   "command": emu.command}
            if args.json:
                print(json.dumps(doc), flush=True)
            else:
                print(f"{emu.board.name} ({emu.board.machine}) running {emu.elf}")
                print(f"serial  {emu.serial_url}")
                if emu.gdb_address:
                    print(f"gdb     {emu.gdb_address}  (gdb-multiarch -ex 'target remote "
                          f"{emu.gdb_address}' {emu.elf})")
                print(f"QEMU pid {emu.pid}; Ctrl-C stops it", flush=True)
            rc = emu.wait()
            if rc != 0:
                raise EmulatorError(describe_exit(rc), returncode=rc, operation="emulate")
            _err("QEMU exited")
    except (KeyboardInterrupt, _Stop):
        _err("stopping QEMU")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0


# ---------------------------------------------------------------- parser


def _uint(bits: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text, 0)
        if not 0 <= value < 1 << bits:
            raise argparse.ArgumentTypeError(f"{text} is not in 0..{(1 << bits) - 1}")
        return value
    parse.__name__ = f"u{bits}"
    return parse


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before and after the command; SUPPRESS keeps a
    # subcommand's unset copy from overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument("--port", "-p", default=argparse.SUPPRESS,
                   help=f"device URL for pyserial: /dev/ttyACM0, COM3, socket://HOST:PORT, "
                        f"rfc2217://HOST:PORT (default: ${PORT_ENV})")
    g.add_argument("--baud", "-b", type=int, default=argparse.SUPPRESS,
                   help=f"baud rate (default {DEFAULT_BAUD})")
    g.add_argument("--timeout", "-t", type=float, default=argparse.SUPPRESS,
                   help=f"seconds to wait for each response (default {DEFAULT_TIMEOUT:g})")
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="print one JSON document instead of text")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show a traceback on errors")
    g.add_argument("--trace", action="store_true", default=argparse.SUPPRESS,
                   help="hex-dump all serial traffic to stderr")

    parser = argparse.ArgumentParser(
        prog="crashdump", parents=[common],
        description="Talk to a device running crashdump firmware, or run one in QEMU.")
    parser.add_argument("--version", action="version", version=f"crashdump {__version__}")
    cmds = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def leaf(sub: Any, name: str, func: Callable[..., Any], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    def capture_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("-o", "--output", metavar="FILE",
                       help="write the records to FILE (JSON, as --json prints) instead of "
                            "listing them")
        p.add_argument("--raw", action="store_true",
                       help="with -o: write the items' bytes back to back instead of JSON")

    src_help = "a source name (its GUID is derived from it) or a GUID"
    leaf(cmds, "info", _cmd_info, "show the device's identity, limits and counters")
    p = leaf(cmds, "reset", _cmd_reset, "warm-reset the device (rings survive)")
    p.add_argument("--no-wait", action="store_true",
                   help="do not wait for the device to answer again")

    source = cmds.add_parser("source", help="data sources: rings the host creates and uses",
                             description="Data sources: rings the host creates and uses.")
    scmds = source.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    p = leaf(scmds, "create", _cmd_source_create,
             "create a data source, or re-attach to an existing one with the same geometry")
    p.add_argument("name", metavar="NAME",
                   help="name; its first 16 bytes become the label and, without --guid, "
                        "it gives the GUID")
    p.add_argument("--item-size", type=_uint(16), required=True, metavar="N",
                   help="largest item, bytes")
    p.add_argument("--count", type=_uint(32), required=True, metavar="N", help="items held")
    p.add_argument("--guid", help="use this GUID instead of deriving one from NAME")
    for name, func, help in (("open", _cmd_source_open, "describe a data source"),
                             ("destroy", _cmd_source_destroy,
                              "destroy a data source and its items")):
        leaf(scmds, name, func, help).add_argument("source", metavar="NAME|GUID", help=src_help)
    p = leaf(scmds, "write", _cmd_source_write, "write one item to a data source")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    p.add_argument("data", metavar="DATA", nargs="?", help="item bytes as hex (01ab..)")
    p.add_argument("--text", metavar="STR", help="write STR (UTF-8) as the item")
    p.add_argument("--file", metavar="PATH",
                   help="write the file's bytes; a file larger than the item size is written "
                        "as consecutive items of item-size bytes (the last may be shorter)")
    p = leaf(scmds, "read", _cmd_source_read, "remove and show the oldest items")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    p.add_argument("--max", type=_uint(16), default=0, metavar="N",
                   help="at most N items (default: as many as fit one frame)")
    p = leaf(scmds, "capture", _cmd_source_capture,
             "show every item, oldest first, without removing any")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    capture_opts(p)
    leaf(scmds, "list", _cmd_source_list, "list the data sources in use")

    self_ = cmds.add_parser("self", help="the firmware's own ring",
                            description="The firmware's own ring.")
    selfcmds = self_.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    p = leaf(selfcmds, "read", _cmd_self_read, "remove and show the self ring's oldest items")
    p.add_argument("--max", type=_uint(16), default=0, metavar="N",
                   help="at most N items (default: as many as fit one frame)")
    capture_opts(leaf(selfcmds, "capture", _cmd_self_capture,
                      "show every item of the self ring without removing any"))

    triage = cmds.add_parser("triage", help="triage ranges", description="Triage ranges.")
    tcmds = triage.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    leaf(tcmds, "list", _cmd_triage_list, "list the registered triage ranges")

    p = leaf(cmds, "emulate", _cmd_emulate,
             "run a board's firmware in QEMU with its UART on a local TCP port")
    p.add_argument("board", metavar="BOARD", choices=sorted(BOARDS),
                   help=f"one of: {', '.join(sorted(BOARDS))}")
    p.add_argument("--elf", metavar="PATH",
                   help="firmware to run (default: the board's demo, built if missing)")
    p.add_argument("--serial-port", type=_uint(16), metavar="N",
                   help="TCP port for the UART (default: a free one)")
    p.add_argument("--gdb-port", type=_uint(16), metavar="N",
                   help="also open QEMU's GDB stub on this TCP port (0: a free one)")
    p.add_argument("--build", action="store_true",
                   help="rebuild the demo firmware even if it exists")
    p.add_argument("--paused", action="store_true",
                   help="start with the CPU halted, for a debugger (QEMU -S)")
    p.set_defaults(device=False)
    return parser


_DEFAULTS: Dict[str, Any] = {"port": None, "baud": DEFAULT_BAUD, "timeout": DEFAULT_TIMEOUT,
                             "json": False, "debug": False, "trace": False, "device": True}


def _operation(args: argparse.Namespace) -> str:
    return " ".join(x for x in (args.command, getattr(args, "subcommand", None)) if x)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version or a usage error (argparse printed it)
        return e.code if isinstance(e.code, int) else 2
    for key, value in _DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    try:
        if not args.device:
            return args.func(args)
        with _open(args) as dev:
            doc, text = args.func(args, dev)
        print(json.dumps(doc, indent=2) if args.json else text)
        return 0
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 -- the one place that turns errors into messages
        return _report(e, args)


def _report(e: Exception, args: argparse.Namespace) -> int:
    if args.debug:
        traceback.print_exc()
    if isinstance(e, CrashdumpError):
        what, why = e.operation or _operation(args), str(e)
    else:
        what, why = _operation(args), f"internal error: {type(e).__name__}: {e}"
    lines = why.splitlines() or [""]
    _err(f"error: {what}: {lines[0]}", *lines[1:])
    hint = _hint(e) if isinstance(e, CrashdumpError) else \
        "this is a bug in crashdump; run again with --debug and report the traceback"
    if hint:
        _err(f"hint: {hint}")
    if args.json:
        err: Dict[str, Any] = {"operation": what, "message": why, "type": type(e).__name__}
        if isinstance(e, DeviceError):
            err.update(status=e.status, status_name=e.name)
        print(json.dumps({"error": err}, indent=2))
    return 2 if isinstance(e, UsageError) else 1
