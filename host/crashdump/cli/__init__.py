# SPDX-License-Identifier: Apache-2.0
"""The `crashdump` command. The only layer that prints, draws progress or exits.

main() parses the command line, runs one command handler (crashdump.cli.commands),
prints its result as text or, with --json, as one JSON document, and turns every
error into `error: <what failed>: <why>` plus a hint; a traceback only with --debug.
Exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted, 141 (128 + SIGPIPE)
when the reader of stdout went away (`crashdump decode d.cdmp | head`): then it
exits quietly, as Unix tools do.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict, Optional, Sequence

from ..errors import CrashdumpError, DeviceError
from ..protocol.client import DEFAULT_TIMEOUT
from ..protocol.guid import resolve_source
from .commands import UsageError, err, hint_for, open_client, print_json, print_result
from .dump_commands import parse_kind
from .parser import _Parser, build_parser

__all__ = ["main", "build_parser", "UsageError"]

_DEFAULTS: Dict[str, Any] = {"port": None, "baud": None, "timeout": DEFAULT_TIMEOUT,
                             "json": False, "debug": False, "trace": False, "dtr": None,
                             "rts": None, "device": True}


def _operation(args: argparse.Namespace) -> str:
    """The command as the user typed it, with what it acts on: `source write
    'log'`, `fault bad_read`."""
    words = [x for x in (args.command, getattr(args, "subcommand", None)) if x]
    source = getattr(args, "source", None)
    if isinstance(source, str):
        words.append(str(resolve_source(source)))
    elif args.command == "source" and isinstance(getattr(args, "name", None), str):
        words.append(repr(args.name))
    elif args.command == "fault" and isinstance(getattr(args, "kind", None), str):
        try:
            words.append(parse_kind(args.kind).name.lower())
        except UsageError:
            words.append(args.kind)
    return " ".join(words)


def _what(e: CrashdumpError, args: argparse.Namespace) -> str:
    """What failed: the command the user typed, or the library's name for the
    failing step when that only adds detail to it (`dump pull slot 2` under
    `dump pull`). A step of another name (the `source open` that `source
    write` starts with, `fault 1` for `fault bad_read`) is not what the user
    asked for, so the typed command is named instead."""
    typed, step = _operation(args), e.operation
    if step and (step == typed or (step.startswith(typed) and step[len(typed)] in " :")):
        return step
    return typed


EXIT_BROKEN_PIPE = 141


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        if not _stdout_gone():
            raise
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _stdout_gone() -> bool:
    """True if stdout is a pipe whose reader has closed it (so a BrokenPipeError
    came from our output, not from a socket)."""
    try:
        import select
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() (Windows), no real stdout
        return True


def _silence_stdout() -> None:
    """Points stdout at /dev/null so the interpreter's final flush of what is
    still buffered does not print "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _main(argv: Optional[Sequence[str]]) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    _Parser.last_error = None
    try:
        args = parser.parse_args(words)
    except SystemExit as e:  # --help, --version or a usage error (argparse printed it)
        code = e.code if isinstance(e.code, int) else 2
        if code == 2 and _Parser.last_error and "--json" in words:
            prog, message, hint = _Parser.last_error
            print_json({"error": error_json(prog.replace("crashdump ", "", 1), message,
                                            "UsageError", hint, code)})
        return code
    for key, value in _DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    try:
        if not args.device:
            return args.func(args)
        with open_client(args) as dev:
            doc, text = args.func(args, dev)
        print_result(args, doc, text)
        return 0
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError as e:
        if _stdout_gone():
            raise  # main() exits quietly
        return _report(e, args)
    except Exception as e:  # noqa: BLE001 -- the one place that turns errors into messages
        return _report(e, args)


def _report(e: Exception, args: argparse.Namespace) -> int:
    if args.debug:
        import traceback
        traceback.print_exc()
    if isinstance(e, CrashdumpError):
        what, why = _what(e, args), str(e)
    else:
        what, why = _operation(args), f"internal error: {type(e).__name__}: {e}"
    lines = why.splitlines() or [""]
    err(f"error: {what}: {lines[0]}", *lines[1:])
    if isinstance(e, CrashdumpError):
        path = " ".join(x for x in (args.command, getattr(args, "subcommand", None)) if x)
        hint = hint_for(e) or f"`crashdump {path} --help` shows what it takes"
    else:
        hint = "this is a bug in crashdump; run again with --debug and report the traceback"
    if hint:
        err(f"hint: {hint}")
    code = 2 if isinstance(e, UsageError) else 1
    if args.json:
        print_json({"error": error_json(what, why, type(e).__name__, hint, code, e)})
    return code


def error_json(operation: str, message: str, kind: str, hint: Optional[str], exit_code: int,
               e: Optional[BaseException] = None) -> Dict[str, Any]:
    """The "error" object of docs/json.md; status and status_name only for an
    error status the device answered."""
    device = isinstance(e, DeviceError)
    return {"operation": operation, "message": message, "type": kind, "hint": hint,
            "exit_code": exit_code, "status": e.status if device else None,
            "status_name": e.name if device else None}
