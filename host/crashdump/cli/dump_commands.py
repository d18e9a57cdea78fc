# SPDX-License-Identifier: Apache-2.0
"""CLI handlers for crash dumps: `dump status|pull|erase`, `decode`, `fault`.

Device commands follow commands.py: (args, Client) -> (JSON document, text).
`decode` and `fault --list` need no device: they print themselves and return
an exit code. Pulled files: one dump pulled -> FILE; several -> FILE with -slotN
before its extension (pull.slot_path).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ..errors import CrashdumpError, DumpFormatError
from ..protocol.client import Client
from ..protocol.render import hex_u32
from ..protocol.status import describe
from ..protocol.wire import FAULT_KIND_HELP, FaultKind, SlotState
from . import probe_commands
from .commands import (ElfChooser, Result, UsageError, elf_options, err, hint_for, open_client,
                       print_json, print_result, pull_files, read_dump_file)

if TYPE_CHECKING:
    from ..decode.report import Report
    from ..protocol.slots import SlotInfo

# ---------------------------------------------------------------- dump status


def _reason(reason: int) -> str:
    from ..dumpfile.format import Reason  # on use: device commands start without dumpfile
    try:
        return Reason(reason).name.lower()
    except ValueError:
        return f"reason {reason}"


def cmd_dump_status(args: argparse.Namespace, dev: Client) -> Result:
    st = dev.dump_status()
    doc: Dict[str, Any] = {
        "partition_base": hex_u32(st.partition_base), "slot_size": st.slot_size,
        "crashes_dropped": st.dropped, "slots": [_slot_json(s) for s in st.slots],
        "last_crash": None}
    lines = [f"dump partition at 0x{st.partition_base:08x}: {len(st.slots)} slots of "
             f"{st.slot_size} bytes; {st.dropped} crashes dropped",
             f"{'slot':>4}  {'state':<8} {'bytes':>7} {'crash#':>6}  {'reason':<9} "
             f"{'code':>10}  body CRC"]
    for s in st.slots:
        if s.state == SlotState.VALID:
            lines.append(f"{s.index:>4}  {'valid':<8} {s.total_len:>7} {s.crash_count:>6}  "
                         f"{_reason(s.reason):<9} 0x{s.code:08x}  0x{s.body_crc:08x}")
        else:
            lines.append(f"{s.index:>4}  {s.state.name.lower():<8}")
    r = st.record
    if r is None:
        lines.append("last crash: none recorded")
    else:
        doc["last_crash"] = {"crash_count": r.crash_count, "consecutive": r.consecutive,
                             "reason": _reason(r.reason), "code": hex_u32(r.code),
                             "pc": hex_u32(r.pc), "lr": hex_u32(r.lr), "stage": r.stage,
                             "result": r.result, "slot": r.slot}
        if r.result == 0 and r.slot is not None:
            outcome = f"dump in slot {r.slot}"
        else:
            name, message = describe(r.result)
            outcome = f"no dump: {message} ({name})"
        lines.append(f"last crash: #{r.crash_count} ({r.consecutive} in a row), "
                     f"{_reason(r.reason)} 0x{r.code:x}, pc 0x{r.pc:08x} lr 0x{r.lr:08x}, "
                     f"{outcome}")
    return doc, "\n".join(lines)


def _slot_json(s: "SlotInfo") -> Dict[str, Any]:
    """A slot of `dump status`; what describes a dump is null unless it holds one."""
    valid = s.state == SlotState.VALID
    return {"slot": s.index, "state": s.state.name.lower(),
            "total_len": s.total_len if valid else None,
            "crash_count": s.crash_count if valid else None,
            "reason": _reason(s.reason) if valid else None,
            "code": hex_u32(s.code) if valid else None,
            "body_crc": hex_u32(s.body_crc) if valid else None,
            "flags": s.flags if valid else None}


# ---------------------------------------------------------------- dump pull


def cmd_dump_pull(args: argparse.Namespace) -> int:
    """`dump pull`: through a probe with --probe, else over the serial port."""
    if args.probe:
        doc, text = probe_commands.probe_pull(args)
    else:
        for opt in ("target", "pack", "board"):
            if getattr(args, opt):
                raise UsageError(f"--{opt} needs --probe")
        with open_client(args, other=", or give --probe UID to read the dumps from flash "
                                     "through a debug probe (`crashdump probes` lists them)"
                         ) as dev:
            doc, text = serial_pull(args, dev)
    print_result(args, doc, text)
    return 0


def serial_pull(args: argparse.Namespace, dev: Client) -> Result:
    from ..pull.serial import SerialSource, offered
    source = SerialSource(dev)
    if args.slot is not None:
        st = dev.dump_status()
        if args.slot >= len(st.slots):
            raise UsageError(f"slot {args.slot} does not exist (the device has "
                             f"{len(st.slots)})")
        slot = st.slots[args.slot]
        if slot.state != SlotState.VALID:
            raise CrashdumpError(f"slot {args.slot} is {slot.state.name.lower()}, "
                                 f"not a valid dump")
        chosen = [offered(slot)]
    else:
        chosen = source.slots()
        if not chosen:
            return {"pulled": []}, "no dumps on the device"
    docs: List[Dict[str, Any]] = []
    lines: List[str] = []
    for pulled in pull_files(source, chosen, Path(args.output), progress=True):
        rate = pulled.size / pulled.seconds / 1024 if pulled.seconds > 0 else 0.0
        resumed = f", resumed at byte {pulled.resumed_from}" if pulled.resumed_from else ""
        lines.append(f"slot {pulled.slot}: {pulled.size} bytes in {pulled.seconds:.2f} s "
                     f"({rate:.1f} KiB/s{resumed}), verified, written to {pulled.path}")
        docs.append({"slot": pulled.slot, "file": str(pulled.path), "bytes": pulled.size,
                     "seconds": round(pulled.seconds, 3), "resumed_from": pulled.resumed_from,
                     "body_crc": hex_u32(pulled.dump.header.body_crc)})
    return {"pulled": docs}, "\n".join(lines)


# ---------------------------------------------------------------- dump erase


def cmd_dump_erase(args: argparse.Namespace, dev: Client) -> Result:
    if not args.force and not args.verified:
        raise UsageError("refusing to erase a dump the host has not pulled",
                         hint="pull it first (`crashdump dump pull -o FILE`) and pass "
                              "--verified FILE..., or erase anyway with --force")
    if args.slot is not None and args.verified and len(args.verified) > 1:
        raise UsageError("--slot N takes one --verified FILE",
                         hint="without --slot, each file's slot is found by its body CRC")
    st = dev.dump_status()
    if args.slot is not None and args.slot >= len(st.slots):
        raise UsageError(f"slot {args.slot} does not exist (the device has {len(st.slots)})")
    # (slot, body CRC the device must find there, the file that proves the copy)
    plan: List[Tuple[int, int, str]] = []
    for path in args.verified or ():
        crc = _verified_crc(path)
        if args.slot is not None:
            plan.append((args.slot, crc, path))
            continue
        held = [s.index for s in st.slots if s.state == SlotState.VALID and s.body_crc == crc]
        if not held:
            raise UsageError(f"no slot holds the dump in {path} (body CRC 0x{crc:08x})",
                             hint="`crashdump dump status` lists the slots; it may have been "
                                  "erased already")
        plan += [(index, crc, path) for index in held]
    if not args.verified:
        slots = [args.slot] if args.slot is not None else [s.index for s in st.slots]
        plan = [(index, 0, "") for index in slots]
    for index, crc, _ in plan:
        dev.dump_erase(index, crc, force=args.force)
    erased = [index for index, _, _ in plan]
    doc = {"erased": erased, "forced": args.force,
           "verified": [{"slot": index, "file": path} for index, _, path in plan if path]}
    if args.verified:
        text = "\n".join(f"erased slot {index} (verified against {path})"
                          for index, _, path in plan)
    else:
        text = f"erased slot{'s' if len(erased) > 1 else ''} " \
               f"{', '.join(str(i) for i in erased)} (forced)"
    return doc, text


def _verified_crc(path: str) -> int:
    """The body CRC of a pulled dump file, after checking the whole file."""
    from ..dumpfile.parse import parse_dump
    try:
        return parse_dump(Path(path).read_bytes()).header.body_crc
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    except CrashdumpError as e:
        e.operation = f"dump erase: check {path}"
        raise


# ---------------------------------------------------------------- decode and fault


DEFAULT_SECTIONS = ("summary",)
DEFAULT_RECORDS = 10


def parse_sections(text: str) -> Tuple[str, ...]:
    """--sections: names from SECTIONS separated by commas, or `all`."""
    from ..decode.report import SECTIONS
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return SECTIONS
    unknown = [n for n in names if n not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {','.join(SECTIONS)} or all")
    return tuple(names)


def parse_records(text: str) -> Optional[int]:
    """--records: a count, or `all` (None)."""
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count of records or `all`")
    return value


def dump_files(paths: List[str]) -> List[Path]:
    """The files `decode` was given; a directory gives the dump files in it
    (those starting with the dump magic, no `.part` leftovers), sorted."""
    from ..dumpfile.parse import has_magic
    out: List[Path] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            out.append(path)
            continue
        found = []
        for f in sorted(path.iterdir()):
            if f.is_file() and not f.name.endswith(".part"):
                with open(f, "rb") as fh:
                    if has_magic(fh.read(4)):
                        found.append(f)
        if not found:
            raise UsageError(f"no dump files in {given}", operation="decode",
                             hint="dump files start with the magic \"CDMP\"; "
                                  "`crashdump dump pull -o FILE` writes them")
        out += found
    return out


def cmd_decode(args: argparse.Namespace) -> int:
    """Decodes each file; one that fails does not stop the others. Exit code:
    0, or 1 if a dump was damaged or unreadable, 2 for a usage error."""
    files = dump_files(args.file)
    many = len(files) > 1 or any(Path(f).is_dir() for f in args.file)
    width = max(len(str(f)) for f in files)
    chooser = ElfChooser(args, "decode" if many else f"decode {files[0]}")
    docs: List[Dict[str, Any]] = []
    status = 0
    try:
        for n, path in enumerate(files):
            operation = f"decode {path}"
            try:
                start = time.monotonic()
                report = _decode_file(path, chooser, operation)
            except CrashdumpError as e:
                if not many:
                    raise
                status = max(status, 2 if isinstance(e, UsageError) else 1)
                _file_error(e, operation)
                docs.append({"file": str(path), "error": {"message": str(e),
                                                          "type": type(e).__name__}})
                continue
            doc = report.to_json()
            doc.update(file=str(path), decode_seconds=round(time.monotonic() - start, 3))
            docs.append(doc)
            if args.json:
                pass
            elif args.oneline:
                sig = report.signature.text() if report.signature else "?"
                print(f"{str(path):<{width}}  {sig}{'  [damaged]' if report.damage else ''}",
                      flush=True)
            else:
                if many:
                    print(f"{chr(10) if n else ''}==> {path} <==")
                print(report.text(args.sections, args.records), flush=True)
            if report.damage:
                status = max(status, 1)
                what = ", ".join(d.what if d.index is None else f"section {d.index} {d.what}"
                                 for d in report.damage)
                _file_error(DumpFormatError(f"damaged, not decoded: {what}; everything else "
                                            f"is {'in the JSON' if args.json else 'shown'}"),
                            operation)
    finally:
        chooser.close()
    if args.json:
        if args.oneline:
            docs = [{k: d[k] for k in ("file", "signature", "summary", "damaged", "error")
                     if k in d} for d in docs]
        print_json({"dumps": docs} if many else docs[0])
    return status


def _decode_file(path: Path, chooser: ElfChooser, operation: str) -> "Report":
    """One dump, salvaged, with the ELF chooser's pick (and its notes as warnings)."""
    from ..decode.report import build_report
    dump = read_dump_file(str(path), operation, salvage=True)
    elf, notes = chooser.choose(dump, operation)
    report = build_report(dump, elf)
    report.warnings[:0] = notes
    return report


def _file_error(e: CrashdumpError, operation: str) -> None:
    """One dump's error, as the CLI prints errors, while the others go on."""
    err(f"error: {operation}: {e}")
    hint = hint_for(e)
    if hint:
        err(f"hint: {hint}")


def cmd_fault(args: argparse.Namespace) -> int:
    if args.list or args.kind is None:
        if args.kind is None and not args.list:
            raise UsageError("give a fault KIND or --list")
        if args.json:
            print_json({"kinds": [{"kind": k.name.lower(), "value": int(k),
                                   "description": FAULT_KIND_HELP[k]} for k in FaultKind]})
        else:
            for k in FaultKind:
                print(f"{k.name.lower():<16} {int(k):>2}  {FAULT_KIND_HELP[k]}")
        return 0
    kind = parse_kind(args.kind)
    with open_client(args) as dev:
        took = dev.fault(kind, wait=max(args.timeout * 5, 10.0))
    text = f"fault {kind.name.lower()} injected; device answering again after {took:.2f} s"
    print_result(args, {"kind": kind.name.lower(), "seconds": round(took, 3)}, text)
    return 0


def parse_kind(text: str) -> FaultKind:
    try:
        return FaultKind(int(text, 0))
    except ValueError:
        pass
    try:
        return FaultKind[text.upper().replace("-", "_")]
    except KeyError:
        raise UsageError(f"unknown fault kind {text!r}",
                         hint="`crashdump fault --list` names the kinds") from None


# ---------------------------------------------------------------- parser


def add_commands(cmds: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `dump`, `decode` and `fault` to the top-level subparsers."""
    dump = cmds.add_parser("dump", help="crash dumps stored on the device",
                           description="Crash dumps stored on the device.")
    dcmds = dump.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    leaf(dcmds, "status", cmd_dump_status, "list the dump slots and the last crash record")
    p = leaf(dcmds, "pull", cmd_dump_pull,
             "copy valid dumps to files, verified: over the serial port (resumes from "
             "FILE.part) or through a debug probe (--probe)")
    p.add_argument("-o", "--output", metavar="FILE", required=True,
                   help="output file; when several dumps are pulled, FILE with -slotN before "
                        "its extension (crash.cdmp -> crash-slot0.cdmp, crash-slot2.cdmp)")
    p.add_argument("--slot", type=int, metavar="N", help="only slot N")
    probe_commands.add_pull_options(p)
    p.set_defaults(device=False)
    leaf(cmds, "probes", probe_commands.cmd_probes,
         "list the debug probes pyOCD sees", port=False).set_defaults(device=False)
    p = leaf(dcmds, "erase", cmd_dump_erase,
             "erase dump slots the host has pulled (or any, with --force)")
    p.add_argument("--slot", type=int, metavar="N",
                   help="only slot N (default: the slots of the --verified files; with "
                        "--force, all)")
    p.add_argument("--verified", metavar="FILE", nargs="+",
                   help="pulled copies (e.g. crash*.cdmp): each erases the slot holding the "
                        "same dump, checked by the device against the file's body CRC")
    p.add_argument("--force", action="store_true", help="erase without proof of a pulled copy")
    p = leaf(cmds, "decode", cmd_decode,
             "decode pulled dump files: a one-screen summary (cause, backtrace, ring tails), "
             "other sections on request", port=False)
    p.add_argument("file", metavar="FILE|DIR", nargs="+",
                   help="dump files from `crashdump dump pull`; a directory gives the dump "
                        "files in it, sorted")
    elf_options(p)
    view = p.add_mutually_exclusive_group()
    view.add_argument("--sections", metavar="LIST", type=parse_sections,
                      default=DEFAULT_SECTIONS,
                      help="what to show, in this order: summary, backtrace, threads, "
                           "registers, rings, triage, additional (comma-separated) or all "
                           "(default: summary)")
    view.add_argument("--oneline", action="store_true",
                      help="one line per dump: its crash signature (a short hash of build-id, "
                           "cause and top functions, then those parts)")
    p.add_argument("--records", metavar="N|all", type=parse_records, default=DEFAULT_RECORDS,
                   help=f"the newest N records of each ring in the rings section (default "
                        f"{DEFAULT_RECORDS}); --json always has all")
    p.set_defaults(device=False)
    p = leaf(cmds, "fault", cmd_fault,
             "inject a fault (test firmware) and wait for the device to come back")
    p.add_argument("kind", metavar="KIND", nargs="?", help="a kind name or number (see --list)")
    p.add_argument("--list", action="store_true", help="list the fault kinds")
    p.set_defaults(device=False)
