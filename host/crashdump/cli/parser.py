# SPDX-License-Identifier: Apache-2.0
"""The `crashdump` command line: global options, commands and their arguments."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, NoReturn, Optional, Sequence, Tuple

from ..protocol.client import DEFAULT_TIMEOUT
from ..protocol.transport import DEFAULT_BAUD
from . import commands, dump_commands, gdb_commands
from .commands import BAUD_ENV, PORT_ENV


class _Parser(argparse.ArgumentParser):
    """argparse with crashdump's error shape: `error: <command>: <why>` and a
    hint, after the usage line (subcommand parsers inherit the class)."""

    # The last usage error (command, message, hint), for the JSON error document.
    last_error: Optional[Tuple[str, str, str]] = None

    def error(self, message: str, prog: Optional[str] = None) -> "NoReturn":
        prog = prog or self.prog
        if prog == self.prog:
            self.print_usage(sys.stderr)
        hint = f"`{prog} --help` shows what it takes"
        _Parser.last_error = (prog, message, hint)
        self.exit(2, f"error: {prog}: {message}\nhint: {hint}\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        # Unknown arguments are found by the top-level parser; name the
        # subcommand they were given to.
        ns, extras = self.parse_known_args(args, namespace)
        words = [self.prog, getattr(ns, "command", None), getattr(ns, "subcommand", None)]
        prog = " ".join(w for w in words if w)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}", prog)
        # Device options given before a command that opens no port would be
        # ignored silently; the command's own parser does not offer them.
        given = [f"--{o}" for o in DEVICE_OPTIONS
                 if hasattr(ns, o) and o not in getattr(ns, "device_options", DEVICE_OPTIONS)]
        if given:
            self.error(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply: "
                       "this command opens no device port", prog)
        return ns


class _Version(argparse.Action):
    """--version, looking the version up only when asked (the package
    metadata takes as long to load as a command takes to run)."""

    def __init__(self, option_strings: Any, dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from .. import __version__
        print(f"crashdump {__version__}")
        parser.exit()


# The options of commands that talk to a device through a port; other commands
# do not offer them (set_defaults(device_options=...) names those they take).
DEVICE_OPTIONS = ("port", "baud", "timeout", "trace", "dtr", "rts")


def _uint(bits: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text, 0)
        if not 0 <= value < 1 << bits:
            raise argparse.ArgumentTypeError(f"{text} is not in 0..{(1 << bits) - 1}")
        return value
    parse.__name__ = f"u{bits}"
    return parse


# The top-level commands, in the order `crashdump --help` lists them.
COMMANDS = ("info", "reset", "source", "self", "ports", "triage", "emulate", "dump", "probes",
            "decode", "fault", "gdbserver")


class _Skipped:
    """Stands in for the parser of a command not on the command line: whatever
    is added to it is dropped (building every command's arguments would be a
    good part of a command's start-up time)."""

    def __getattr__(self, name: str) -> Callable[..., "_Skipped"]:
        return lambda *args, **kwargs: self


class _Commands:
    """The top-level subparsers action, adding only the commands in `words`."""

    def __init__(self, action: Any, words: Sequence[str]) -> None:
        self.action, self.words = action, words

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self.action.add_parser(name, **kwargs) if name in self.words else _Skipped()


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    """The parser for `crashdump ARGV`: with argv, only the commands named in
    it get their arguments (all of them when none is, for help and errors)."""
    # Options are accepted before and after the command; SUPPRESS keeps a
    # subcommand's unset copy from overwriting a value given before it. Device
    # options are offered only by commands that open a device port.
    general = _Parser(add_help=False)
    g = general.add_argument_group("global options")
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="print one JSON document instead of text")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show a traceback on errors")
    device = _Parser(add_help=False)
    g = device.add_argument_group("device options")
    g.add_argument("--port", "-p", default=argparse.SUPPRESS,
                   help=f"device URL for pyserial: /dev/ttyACM0, COM3, socket://HOST:PORT, "
                        f"rfc2217://HOST:PORT (default: ${PORT_ENV}, else the one likely "
                        f"device `crashdump ports` marks)")
    g.add_argument("--baud", "-b", type=int, default=argparse.SUPPRESS,
                   help=f"baud rate (default: ${BAUD_ENV}, else {DEFAULT_BAUD})")
    g.add_argument("--timeout", "-t", type=float, default=argparse.SUPPRESS,
                   help=f"seconds to wait for each response (default {DEFAULT_TIMEOUT:g})")
    g.add_argument("--trace", action="store_true", default=argparse.SUPPRESS,
                   help="hex-dump all serial traffic to stderr")
    for line in ("dtr", "rts"):
        g.add_argument(f"--{line}", choices=("on", "off"), default=argparse.SUPPRESS,
                       help=f"set {line.upper()} as the port opens (default: on), for boards "
                            "whose reset or boot pin is wired to it")

    parser = _Parser(
        prog="crashdump", parents=[general, device],
        description="Talk to a device running crashdump firmware, or run one in QEMU. "
                    "Device options apply to the commands that talk to a device.")
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    cmds: Any = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if argv is not None and set(argv) & set(COMMANDS):
        cmds = _Commands(cmds, argv)

    def leaf(sub: Any, name: str, func: Callable[..., Any], help: str, *,
             port: bool = True) -> argparse.ArgumentParser:
        """A command; port=False: it opens no device port, so no device options."""
        parents = [general, device] if port else [general]
        p = sub.add_parser(name, parents=parents, help=help, description=help)
        p.set_defaults(func=func, device_options=DEVICE_OPTIONS if port else ())
        return p

    def capture_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("-o", "--output", metavar="FILE",
                       help="write the records to FILE (JSON, as --json prints) instead of "
                            "listing them")
        p.add_argument("--raw", action="store_true",
                       help="with -o: write the items' bytes back to back instead of JSON")

    def max_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--max", type=_uint(16), default=0, metavar="N",
                       help="at most N items (default: as many as fit one frame)")

    src_help = "a source name (its GUID is derived from it) or a GUID"
    leaf(cmds, "info", commands.cmd_info, "show the device's identity, limits and counters")
    p = leaf(cmds, "reset", commands.cmd_reset, "warm-reset the device (rings survive)")
    p.add_argument("--no-wait", action="store_true",
                   help="do not wait for the device to answer again")

    source = cmds.add_parser("source", help="data sources: rings the host creates and uses",
                             description="Data sources: rings the host creates and uses.")
    scmds = source.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    p = leaf(scmds, "create", commands.cmd_source_create,
             "create a data source, or re-attach to an existing one with the same geometry")
    p.add_argument("name", metavar="NAME",
                   help="name of at most 16 bytes (UTF-8): the label `source list` shows "
                        "and, without --guid, what the GUID is derived from")
    p.add_argument("--item-size", type=_uint(16), required=True, metavar="N",
                   help="largest item, bytes")
    p.add_argument("--count", type=_uint(32), required=True, metavar="N", help="items held")
    p.add_argument("--guid", help="use this GUID instead of deriving one from NAME")
    for name, func, help in (("open", commands.cmd_source_open, "describe a data source"),
                             ("destroy", commands.cmd_source_destroy,
                              "destroy a data source and its items")):
        leaf(scmds, name, func, help).add_argument("source", metavar="NAME|GUID", help=src_help)
    p = leaf(scmds, "write", commands.cmd_source_write, "write one item to a data source")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    p.add_argument("data", metavar="DATA", nargs="?", help="item bytes as hex (01ab..)")
    p.add_argument("--text", metavar="STR", help="write STR (UTF-8) as the item")
    p.add_argument("--file", metavar="PATH",
                   help="write the file's bytes; a file larger than the item size is written "
                        "as consecutive items of item-size bytes (the last may be shorter)")
    p = leaf(scmds, "read", commands.cmd_source_read, "remove and show the oldest items")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    max_opt(p)
    p = leaf(scmds, "capture", commands.cmd_source_capture,
             "show every item, oldest first, without removing any")
    p.add_argument("source", metavar="NAME|GUID", help=src_help)
    capture_opts(p)
    leaf(scmds, "list", commands.cmd_source_list, "list the data sources in use")

    self_ = cmds.add_parser("self", help="the firmware's own ring",
                            description="The firmware's own ring.")
    selfcmds = self_.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    max_opt(leaf(selfcmds, "read", commands.cmd_self_read,
                 "remove and show the self ring's oldest items"))
    capture_opts(leaf(selfcmds, "capture", commands.cmd_self_capture,
                      "show every item of the self ring without removing any"))

    leaf(cmds, "ports", commands.cmd_ports,
         "list the serial ports; * marks likely boards (a debug probe's VCOM, USB CDC/ACM)",
         port=False).set_defaults(device=False)

    triage = cmds.add_parser("triage", help="triage ranges", description="Triage ranges.")
    tcmds = triage.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    leaf(tcmds, "list", commands.cmd_triage_list, "list the registered triage ranges")

    p = leaf(cmds, "emulate", commands.cmd_emulate,
             "run a board's firmware in QEMU with its UART on a local TCP port", port=False)
    if not isinstance(p, _Skipped):
        _emulate_arguments(p)
    p.set_defaults(device=False)
    dump_commands.add_commands(cmds, leaf)
    gdb_commands.add_commands(cmds, leaf)
    return parser


def _emulate_arguments(p: argparse.ArgumentParser) -> None:
    from ..harness.emulate import BOARDS  # only for `emulate`: the others start faster
    p.add_argument("board", metavar="BOARD", choices=sorted(BOARDS),
                   help=f"one of: {', '.join(sorted(BOARDS))}")
    p.add_argument("--elf", metavar="PATH",
                   help="firmware to run (default: the board's demo, built if missing)")
    p.add_argument("--serial-port", type=_uint(16), metavar="N",
                   help="TCP port for the UART (default or 0: a free one)")
    p.add_argument("--gdb-port", type=_uint(16), metavar="N",
                   help="also open QEMU's GDB stub on this TCP port (0: a free one)")
    p.add_argument("--build", action="store_true",
                   help="rebuild the demo firmware even if it exists")
    p.add_argument("--paused", action="store_true",
                   help="start with the CPU halted, for a debugger (QEMU -S)")
