# SPDX-License-Identifier: Apache-2.0
"""The CLI's command handlers. A device command takes the parsed arguments and
an open Client and returns (JSON document, text for people), which crashdump.cli
prints. From here only the progress bar and --trace go to stderr, except for
`emulate`, which prints its addresses itself because it runs until stopped.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, TextIO, Tuple

from ..errors import (CrashdumpError, DeviceError, DumpFormatError, EmulatorError, ProbeError,
                      ProtocolError, TransportError, TransportTimeoutError)
from ..protocol import render
from ..protocol.client import Capture, Client
from ..protocol.guid import SourceRef, label_from_name, parse_guid, resolve_source
from ..protocol.transport import DEFAULT_BAUD, PortInfo, list_ports
from ..protocol.wire import LABEL_LEN

if TYPE_CHECKING:
    from ..decode.elf import Elf
    from ..dumpfile.parse import Dump
    from ..pull import DumpSource, Offered, Pulled

PORT_ENV = "CRASHDUMP_PORT"
BAUD_ENV = "CRASHDUMP_BAUD"
Result = Tuple[Dict[str, Any], str]  # (JSON document, text for people)


class UsageError(CrashdumpError):
    """The command line asks for something that cannot be done (exit code 2)."""

    def __init__(self, message: str, hint: Optional[str] = None,
                 operation: Optional[str] = None) -> None:
        super().__init__(message, operation=operation)
        self.hint = hint


# ---------------------------------------------------------------- helpers


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


def hint_for(e: BaseException) -> Optional[str]:
    """What the user can do about `e`, if the CLI knows."""
    if isinstance(e, (UsageError, ProbeError)):
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
    if isinstance(e, DumpFormatError):
        return ("give a dump file as `crashdump dump pull` writes it; a damaged copy can be "
                "pulled again while the device still holds the dump")
    if isinstance(e, EmulatorError) and e.hint:
        return e.hint
    if isinstance(e, EmulatorError) and e.returncode in (134, -6):
        return ("is --elf built for this board? debug it with --gdb-port N --paused and "
                "`gdb-multiarch ELF -ex 'target remote :N'`")
    return None


def err(*lines: str) -> None:
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


def pull_files(source: "DumpSource", slots: List["Offered"], output: Path,
               progress: bool = False) -> Iterator["Pulled"]:
    """Pulls each of `slots` from `source` into its file (pull.slot_path), with a
    progress bar per slot if asked."""
    from ..pull import slot_path
    for slot in slots:
        path = slot_path(output, slot.slot, len(slots))
        bar = _ProgressBar(f"slot {slot.slot}", sys.stderr)
        try:
            yield source.pull(slot, path, progress=bar if progress else None)
        except CrashdumpError as e:
            if e.operation is None:
                e.operation = f"dump pull slot {slot.slot}"
            raise
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
        finally:
            bar.close()


def read_dump_file(path: str, operation: str, salvage: bool = False) -> "Dump":
    """A dump file parsed and checked, for commands that take one (salvage:
    see crashdump.dumpfile.parse.parse_dump)."""
    from ..dumpfile.parse import parse_dump
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}", operation=operation) from None
    try:
        return parse_dump(data, salvage=salvage)
    except CrashdumpError as e:
        e.operation = operation
        raise


def open_elf(path: str, operation: Optional[str] = None) -> "Elf":
    """The firmware ELF a command was given, or a clear error."""
    from ..decode.elf import Elf
    if not Path(path).is_file():
        raise UsageError(f"ELF {path} does not exist", operation=operation,
                         hint="--elf takes the firmware image the device runs or ran "
                              "(e.g. build/<board>/boards/<board>/crashdump-demo.elf)")
    try:
        return Elf(path)
    except CrashdumpError as e:
        e.operation = operation
        raise


SYMBOLS_ENV = "CRASHDUMP_SYMBOLS"


class ElfMismatchError(UsageError):
    """The ELF given is not the dump's: not for Arm, or another build."""

    def __init__(self, message: str, operation: str) -> None:
        super().__init__(message, operation=operation,
                         hint="give the ELF the device ran, or a directory holding it "
                              f"(--symbols DIR or ${SYMBOLS_ENV}: found by build-id); "
                              "--force-elf uses this one anyway")


class ElfChooser:
    """Which firmware ELF goes with a dump: --elf when it matches the dump's
    build-id, else the ELF with that build-id in the symbol directories
    (--symbols, or $CRASHDUMP_SYMBOLS: paths separated by os.pathsep). An --elf
    that does not match is an error unless --force-elf; no ELF at all is not
    (decode then shows no symbols). Each ELF is opened once."""

    def __init__(self, args: argparse.Namespace, operation: str) -> None:
        from ..decode.elf_index import ElfIndex
        self.path: Optional[str] = args.elf
        self.force: bool = args.force_elf
        dirs = args.symbols or [d for d in os.environ.get(SYMBOLS_ENV, "").split(os.pathsep)
                                if d]
        for d in dirs:
            if not Path(d).is_dir():
                raise UsageError(f"symbol directory {d} does not exist", operation=operation,
                                 hint=f"--symbols (or ${SYMBOLS_ENV}) takes directories "
                                      "searched for the ELF whose build-id the dump carries")
        self.index = ElfIndex(dirs) if dirs else None
        self._open: Dict[str, "Elf"] = {}
        if self.path:  # a wrong path is one error, not one per dump
            self._elf(self.path, operation)

    def _elf(self, path: str, operation: str) -> "Elf":
        if path not in self._open:
            self._open[path] = open_elf(path, operation)
        return self._open[path]

    def choose(self, dump: "Dump", operation: str) -> Tuple[Optional["Elf"], List[str]]:
        """(the ELF for `dump` or None, notes on how it was chosen)."""
        from ..decode.elf_index import elf_problems
        build_id = dump.header.build_id
        problems: List[str] = []
        if self.path:
            elf = self._elf(self.path, operation)
            problems = elf_problems(elf.path.name, elf.machine, elf.build_id, build_id)
            if not problems:
                return elf, []
        found = self.index.find(build_id) if self.index is not None else None
        if found is not None:
            return self._elf(str(found), operation), []
        if problems and not self.force:
            where = f"; none in {self.index.describe()} either" if self.index else ""
            raise ElfMismatchError("; ".join(problems) + where, operation=operation)
        if problems:
            return self._elf(str(self.path), operation), []
        if self.index is None:
            return None, []
        what = f"build-id {build_id.hex()}" if build_id else "the dump's build (it has no build-id)"
        return None, [f"no ELF with {what} in {self.index.describe()}"]

    def close(self) -> None:
        for elf in self._open.values():
            elf.close()


def elf_options(p: argparse.ArgumentParser) -> None:
    """--elf, --symbols and --force-elf, for the commands that read an ELF with a dump."""
    p.add_argument("--elf", metavar="ELF",
                   help="the firmware ELF, for symbols and backtrace; it must match the "
                        "dump's build-id")
    p.add_argument("--symbols", metavar="DIR", action="append",
                   help=f"find the ELF whose build-id the dump carries in DIR, searched "
                        f"recursively (repeatable; default ${SYMBOLS_ENV})")
    p.add_argument("--force-elf", action="store_true",
                   help="use --elf even if it is not an Arm ELF or its build-id differs "
                        "from the dump's (the report warns)")


def print_json(doc: Dict[str, Any], line: bool = False) -> None:
    """Prints a --json document (docs/json.md), indented or as one line."""
    import json  # on use: text output starts faster without it
    print(json.dumps(render.document(doc), indent=None if line else 2), flush=True)


def print_result(args: argparse.Namespace, doc: Dict[str, Any], text: str) -> None:
    """The result of a command: the JSON document with --json, else the text."""
    if args.json:
        print_json(doc)
    else:
        print(text)


def _trace(direction: str, data: bytes) -> None:
    err(*(f"{direction} {line}" for line in render.hexdump(data, indent=" ")))


def open_client(args: argparse.Namespace, other: str = "") -> Client:
    """The device the options name: --port, else $CRASHDUMP_PORT, else the one
    likely device among the serial ports (named on stderr). `other` adds
    another way to the hint when there is none (`dump pull --probe`)."""
    port = args.port or os.environ.get(PORT_ENV) or _only_likely_port(other)
    return Client.open(port, baud=_baud(args), timeout=args.timeout,
                       trace=_trace if args.trace else None,
                       dtr=_LINE_STATES.get(args.dtr), rts=_LINE_STATES.get(args.rts))


_LINE_STATES = {"on": True, "off": False}


def _baud(args: argparse.Namespace) -> int:
    if args.baud is not None:
        return int(args.baud)
    text = os.environ.get(BAUD_ENV)
    if not text:
        return DEFAULT_BAUD
    try:
        baud = int(text, 10)
    except ValueError:
        baud = 0
    if baud <= 0:
        raise UsageError(f"{BAUD_ENV}={text!r} is not a baud rate",
                         hint=f"set it to a number such as {DEFAULT_BAUD}, or pass --baud N")
    return baud


def _only_likely_port(other: str) -> str:
    ports = list_ports()
    likely = [p for p in ports if p.likely]
    if len(likely) == 1:
        err(f"using {port_line(likely[0])} (the one likely device; --port chooses another)")
        return likely[0].device
    how = f"pass --port URL (/dev/ttyACM0, socket://127.0.0.1:PORT from `crashdump emulate`, " \
          f"...) or set {PORT_ENV}{other}"
    if likely:
        raise UsageError(f"no port given, and {len(likely)} serial ports look like devices: "
                         + ", ".join(p.device for p in likely),
                         hint=f"{how}; `crashdump ports` lists them:\n" +
                              "\n".join(f"  {port_line(p)}" for p in likely))
    if not ports:
        raise UsageError("no port given, and this machine has no serial ports", hint=how)
    raise UsageError(f"no port given, and none of the serial ports "
                     f"({', '.join(p.device for p in ports)}) looks like a board (a debug "
                     "probe's VCOM or a USB CDC/ACM device)", hint=how)


def port_line(p: PortInfo) -> str:
    """`/dev/ttyACM0 (J-Link - CDC, 1366:1015, serial 000123)`."""
    about = [x for x in (p.description, p.vid_pid,
                         f"serial {p.serial_number}" if p.serial_number else None) if x]
    return f"{p.device} ({', '.join(about)})" if about else p.device


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
            import json
            Path(path).write_text(json.dumps(render.document(render.capture_json(capture)),
                                             indent=2) + "\n")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


# ---------------------------------------------------------------- commands


def cmd_info(args: argparse.Namespace, dev: Client) -> Result:
    info = dev.info()
    return render.info_json(info), render.info_text(info)


def cmd_reset(args: argparse.Namespace, dev: Client) -> Result:
    took = dev.reset(wait=not args.no_wait)
    text = "reset sent" if args.no_wait else f"device reset; answering again after {took:.2f} s"
    return {"reset": True, "waited": not args.no_wait, "seconds": round(took, 3)}, text


def cmd_source_create(args: argparse.Namespace, dev: Client) -> Result:
    label = args.name.encode("utf-8")
    if len(label) > LABEL_LEN:
        # The device keeps 16 bytes of label; `source list` would show a cut name
        # that derives another GUID, so it could not be used to address the source.
        raise UsageError(f"the name {args.name!r} has {len(label)} bytes; a source's label "
                         f"holds {LABEL_LEN}",
                         hint=f"use a name of at most {LABEL_LEN} bytes (UTF-8): it is "
                              "the label `source list` shows and how the source is addressed")
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


def cmd_source_open(args: argparse.Namespace, dev: Client) -> Result:
    src = dev.source_open(resolve_source(args.source))
    return render.source_json(src), render.source_text(src)


def cmd_source_write(args: argparse.Namespace, dev: Client) -> Result:
    data = _data_arg(args)
    ref = resolve_source(args.source)
    size = dev.source_open(ref).item_size
    if len(data) > size and args.file is None:
        raise UsageError(f"{len(data)} bytes do not fit one item of source {ref} "
                         f"(items hold up to {size} bytes)",
                         hint="--file PATH splits a larger file into items",
                         operation=f"source write {ref}")
    chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    written = [(dev.source_write(ref, chunk), len(chunk)) for chunk in chunks]
    seqs = [s for s, _ in written]
    where = f"#{seqs[0]}" if len(seqs) == 1 else \
        f"{len(seqs)} items #{seqs[0]}..#{seqs[-1]}"
    doc = {"guid": str(ref.guid), "written": [{"seq": s, "len": n} for s, n in written]}
    return doc, f"wrote {render.plural(len(data), 'byte')} to {ref} as {where}"


def cmd_source_read(args: argparse.Namespace, dev: Client) -> Result:
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


def cmd_source_capture(args: argparse.Namespace, dev: Client) -> Result:
    ref = resolve_source(args.source)
    return _capture_result(args, lambda bar: dev.source_capture(ref, progress=bar))


def cmd_source_destroy(args: argparse.Namespace, dev: Client) -> Result:
    ref = resolve_source(args.source)
    dev.source_destroy(ref)
    return {"guid": str(ref.guid), "destroyed": True}, f"destroyed {ref}"


def cmd_source_list(args: argparse.Namespace, dev: Client) -> Result:
    sources = dev.source_list()
    return {"sources": [render.source_json(s) for s in sources]}, render.source_table(sources)


def cmd_self_read(args: argparse.Namespace, dev: Client) -> Result:
    result = dev.self_read(max_items=args.max)
    return render.read_json(result), render.read_text(result)


def cmd_self_capture(args: argparse.Namespace, dev: Client) -> Result:
    return _capture_result(args, lambda bar: dev.self_capture(progress=bar))


def cmd_ports(args: argparse.Namespace) -> int:
    ports = list_ports()
    doc = {"ports": [{"device": p.device, "description": p.description or None,
                      "vid_pid": p.vid_pid, "serial_number": p.serial_number,
                      "manufacturer": p.manufacturer, "likely": p.likely is not None,
                      "why_likely": p.likely} for p in ports]}
    if not ports:
        text = "no serial ports found"
    else:
        width = max(len(p.device) for p in ports)
        lines = [f"  {'device':<{width}}  {'VID:PID':<9}  {'serial':<20}  description"]
        lines += [f"{'*' if p.likely else ' '} {p.device:<{width}}  {p.vid_pid or '-':<9}  "
                  f"{p.serial_number or '-':<20}  {p.description or '-'}"
                  + (f" [{p.likely}]" if p.likely else "") for p in ports]
        n = sum(1 for p in ports if p.likely)
        lines.append("* likely a board: used without --port" if n == 1 else
                     f"* likely boards: {n}; choose one with --port" if n else
                     "no likely board (a debug probe's VCOM or a USB CDC/ACM device): "
                     "choose a port with --port")
        text = "\n".join(lines)
    print_result(args, doc, text)
    return 0


def cmd_triage_list(args: argparse.Namespace, dev: Client) -> Result:
    ranges = dev.triage_list()
    return {"ranges": [render.range_json(r) for r in ranges]}, render.range_text(ranges)


class _Stop(Exception):
    """SIGTERM or SIGHUP arrived while `emulate` runs."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def cmd_emulate(args: argparse.Namespace) -> int:
    from ..harness.emulate import Emulator
    emu = Emulator(args.board, elf=args.elf, serial_port=args.serial_port,
                   gdb_port=args.gdb_port, build=args.build, paused=args.paused,
                   on_status=lambda msg: err(msg))
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
                print_json(doc, line=True)
            else:
                print(f"{emu.board.name} ({emu.board.machine}) running {emu.elf}")
                print(f"serial  {emu.serial_url}")
                if emu.gdb_address:
                    print(f"gdb     {emu.gdb_address}  (gdb-multiarch {emu.elf} "
                          f"-ex 'target remote {emu.gdb_address}')")
                print(f"QEMU pid {emu.pid}; Ctrl-C stops it", flush=True)
            rc = emu.wait()
            if rc != 0:
                raise emu.exit_error(rc)
            err("QEMU exited")
    except (KeyboardInterrupt, _Stop):
        err("stopping QEMU")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0
