# SPDX-License-Identifier: Apache-2.0
"""CLI handler for `crashdump gdbserver FILE --elf ELF [--port N | --pipe]`.

Loads and checks the dump and the ELF (the same checks as `decode`: a corrupt
dump or a missing ELF is an error, a build-id mismatch a warning), then serves
them to GDB. Everything this command says goes to stderr: in --pipe mode,
stdout belongs to the remote protocol.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from ..decode.elf import Elf
from ..dump import Dump
from ..gdbserver import Target, listen, serve_pipe, serve_tcp
from .commands import UsageError, err, open_elf, read_dump_file


def _trace(direction: str, payload: bytes) -> None:
    err(f"rsp {direction} {payload[:200]!r}{'...' if len(payload) > 200 else ''}")


def load_target(args: argparse.Namespace, operation: str) -> Target:
    dump = read_dump_file(args.file, operation)
    elf = open_elf(args.elf, operation)
    target = Target(dump, elf)
    for w in dump.warnings + build_id_warnings(dump, elf) + target.warnings:
        err(f"warning: {w}")
    return target


def build_id_warnings(dump: Dump, elf: Elf) -> list:
    dump_id, elf_id = dump.header.build_id, elf.build_id
    if not dump_id:
        return ["the dump carries no build-id: cannot check that the ELF matches"]
    if elf_id is None:
        return [f"{elf.path.name} has no GNU build-id: cannot check that it matches the dump"]
    if elf_id != dump_id:
        return [f"build-id mismatch: the dump is from build {dump_id.hex()}, {elf.path.name} "
                f"is {elf_id.hex()}: GDB's symbols and backtrace are probably wrong"]
    return []


def cmd_gdbserver(args: argparse.Namespace) -> int:
    operation = f"gdbserver {args.file}"
    if args.pipe == (args.gdb_port is not None):
        raise UsageError("give exactly one of --port N or --pipe", operation=operation,
                         hint="--port 0 listens on a free TCP port; --pipe is for "
                              "`target remote | crashdump gdbserver FILE --elf ELF --pipe`")
    target = load_target(args, operation)
    trace = _trace if args.trace else None
    if args.pipe:
        serve_pipe(target, sys.stdin.buffer, sys.stdout.buffer, trace)
        return 0
    try:
        sock = listen(args.gdb_port)
    except OSError as e:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.gdb_port}: {e.strerror or e}",
                         operation=operation,
                         hint="--port 0 picks a free port") from None
    with sock:
        port = sock.getsockname()[1]
        print(f"serving {args.file} to GDB on 127.0.0.1:{port}; in GDB:\n"
              f"  target remote 127.0.0.1:{port}", flush=True)
        serve_tcp(target, sock, trace)
    return 0


def _tcp_port(text: str) -> int:
    value = int(text, 0)
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (0..65535)")
    return value


def add_commands(cmds: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `gdbserver` to the top-level subparsers. Built without leaf()'s
    shared global options: here --port is the TCP port GDB connects to, not a
    device URL (a dump needs no device); --debug and --trace are kept."""
    help = ("serve a pulled dump to GDB (registers, stack, triage ranges, code) for "
            "post-mortem debugging")
    p = cmds.add_parser("gdbserver", help=help, description=help)
    p.set_defaults(func=cmd_gdbserver, device=False)
    p.add_argument("file", metavar="FILE", help="a dump file from `crashdump dump pull`")
    p.add_argument("--elf", metavar="ELF", required=True,
                   help="the firmware ELF the device ran (symbols, code, read-only data)")
    p.add_argument("--port", type=_tcp_port, metavar="N", dest="gdb_port",
                   help="listen for GDB on 127.0.0.1:N (0: a free port, printed)")
    p.add_argument("--pipe", action="store_true",
                   help="speak the remote protocol on stdin/stdout, for "
                        "`target remote | crashdump gdbserver FILE --elf ELF --pipe`")
    p.add_argument("--trace", action="store_true", default=argparse.SUPPRESS,
                   help="log every packet to stderr")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show a traceback on errors")
