# SPDX-License-Identifier: Apache-2.0
"""CLI handler for `crashdump gdbserver FILE --elf ELF|--symbols DIR [--gdb-port N | --pipe]`.

Loads and checks the dump and the ELF (a damaged dump, a missing ELF, or one
of another build or not for Arm is an error unless --force-elf; the ELF is
found by build-id in --symbols directories as for `decode`), then serves
them to GDB. Everything this command says goes to stderr: in --pipe mode,
stdout belongs to the remote protocol.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Callable

from .commands import (SYMBOLS_ENV, ElfChooser, UsageError, elf_options, err, print_json,
                       read_dump_file)

if TYPE_CHECKING:  # imported when the command runs: other commands start faster without them
    from ..gdbserver import Target


def _trace(direction: str, payload: bytes) -> None:
    err(f"rsp {direction} {payload[:200]!r}{'...' if len(payload) > 200 else ''}")


def load_target(args: argparse.Namespace, operation: str) -> "Target":
    from ..decode.report import elf_warnings
    from ..gdbserver import Target
    dump = read_dump_file(args.file, operation)
    elf, notes = ElfChooser(args, operation).choose(dump, operation)
    if elf is None:
        raise UsageError(notes[0] if notes else "no ELF given", operation=operation,
                         hint=f"GDB needs the firmware's code: --elf ELF, or --symbols DIR "
                              f"(or ${SYMBOLS_ENV}) to find it by the dump's build-id")
    target = Target(dump, elf)
    for w in dump.warnings + elf_warnings(dump, elf) + target.warnings:
        err(f"warning: {w}")
    return target


def cmd_gdbserver(args: argparse.Namespace) -> int:
    from ..gdbserver import listen, serve_pipe, serve_tcp
    operation = f"gdbserver {args.file}"
    if args.old_port is not None:
        err("warning: gdbserver --port is deprecated (it is the device URL elsewhere); "
            "use --gdb-port")
        if args.gdb_port is None:
            args.gdb_port = args.old_port
    if args.pipe == (args.gdb_port is not None):
        raise UsageError("give exactly one of --gdb-port N or --pipe", operation=operation,
                         hint="--gdb-port 0 listens on a free TCP port; --pipe is for "
                              "`target remote | crashdump gdbserver FILE --elf ELF --pipe`")
    if args.pipe and (args.json or args.persist or args.bind != DEFAULT_BIND):
        raise UsageError("--json, --persist and --bind are for TCP (--gdb-port)",
                         operation=operation,
                         hint="with --pipe, stdin and stdout belong to GDB, and the session "
                              "ends with GDB")
    target = load_target(args, operation)
    trace = _trace if args.trace else None
    if args.pipe:
        serve_pipe(target, sys.stdin.buffer, sys.stdout.buffer, trace)
        return 0
    try:
        sock = listen(args.gdb_port, args.bind)
    except OSError as e:
        raise UsageError(f"cannot listen on {_address(args.bind, args.gdb_port)}: "
                         f"{e.strerror or e}", operation=operation,
                         hint="--gdb-port 0 picks a free port; --bind takes a local address "
                              "(127.0.0.1, 0.0.0.0 for all interfaces, ::1)") from None
    with sock:
        port = sock.getsockname()[1]
        address = _address(args.bind, port)
        if args.json:
            print_json({"file": args.file, "elf": args.elf, "host": args.bind, "port": port,
                        "address": address, "persist": args.persist}, line=True)
        else:
            wildcard = args.bind in _WILDCARDS
            local = _address("127.0.0.1", port) if wildcard else address
            print(f"serving {args.file} to GDB on {address}"
                  f"{' (all interfaces)' if wildcard else ''}; in GDB:\n"
                  f"  target remote {local}", flush=True)

        def on_session(event: str, peer: str) -> None:
            if event == "connected":
                err(f"GDB connected from {peer}")
            else:
                err(f"GDB session from {peer} ended" +
                    ("; waiting for the next (Ctrl-C stops)" if args.persist else ""))

        if args.persist:
            _stop_on_signals()
        try:
            serve_tcp(target, sock, trace, persist=args.persist, on_session=on_session)
        except KeyboardInterrupt:
            if not args.persist:
                raise
            err("stopped")  # the way a persistent server ends: not an error
    return 0


def _stop_on_signals() -> None:
    """A persistent server ends on Ctrl-C (SIGINT) or SIGTERM, also when it
    was started with SIGINT ignored (a background job of a script)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


DEFAULT_BIND = "127.0.0.1"
_WILDCARDS = ("0.0.0.0", "::", "")


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _tcp_port(text: str) -> int:
    value = int(text, 0)
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (0..65535)")
    return value


def add_commands(cmds: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `gdbserver` to the top-level subparsers. Built without leaf()'s
    shared options: it opens no device port, so of the device options only
    --trace (here: log every packet) is kept, beside --json and --debug."""
    help = ("serve a pulled dump to GDB (registers, stack, triage ranges, code) for "
            "post-mortem debugging")
    p = cmds.add_parser("gdbserver", help=help, description=help)
    p.set_defaults(func=cmd_gdbserver, device=False, device_options=("trace",))
    p.add_argument("file", metavar="FILE", help="a dump file from `crashdump dump pull`")
    elf_options(p)
    p.add_argument("--gdb-port", type=_tcp_port, metavar="N",
                   help="listen for GDB on TCP port N (0: a free port, printed)")
    p.add_argument("--port", type=_tcp_port, dest="old_port", help=argparse.SUPPRESS)
    p.add_argument("--bind", metavar="ADDR", default=DEFAULT_BIND,
                   help=f"the local address to listen on (default {DEFAULT_BIND}; 0.0.0.0 or "
                        ":: for all interfaces: anyone who reaches it can read the dump)")
    p.add_argument("--persist", action="store_true",
                   help="serve one GDB session after another until interrupted (default: "
                        "exit when the first one ends)")
    p.add_argument("--pipe", action="store_true",
                   help="speak the remote protocol on stdin/stdout, for "
                        "`target remote | crashdump gdbserver FILE --elf ELF --pipe`")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="print where it listens as one JSON line: host, port, address")
    p.add_argument("--trace", action="store_true", default=argparse.SUPPRESS,
                   help="log every packet to stderr")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show a traceback on errors")
