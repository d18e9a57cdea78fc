# SPDX-License-Identifier: Apache-2.0
"""Turns results into text for people and into JSON-ready dicts for --json.

Pure functions that return strings or dicts; the CLI decides where they go.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from .client import Capture, Gap, ReadResult
from .wire import Caps, DeviceInfo, Range, Record, SourceInfo, ring_stride

HEX_WIDTH = 16  # bytes per hex-dump line


def printable(data: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def hexdump(data: bytes, indent: str = "") -> List[str]:
    """`hex  |printable|` lines of HEX_WIDTH bytes each."""
    lines = []
    for i in range(0, max(len(data), 1), HEX_WIDTH):
        chunk = data[i:i + HEX_WIDTH]
        lines.append(f"{indent}{chunk.hex(' '):<{HEX_WIDTH * 3 - 1}}  |{printable(chunk)}|")
    return lines


def record_lines(records: Iterable[Record], indent: str = "", first_only: bool = False,
                 seq_width: int = 8) -> List[str]:
    """`#seq  len  hex  |printable|`, long items continued on indented lines
    (first_only: their first HEX_WIDTH bytes and how many more there are);
    the sequence column is seq_width wide, or as wide as the longest."""
    records = list(records)
    width = max([seq_width] + [len(str(r.seq)) for r in records])
    lines = []
    for r in records:
        head = f"{indent}#{r.seq:<{width}} {len(r.data):>4}  "
        dump = hexdump(r.data)
        if first_only:
            more = len(r.data) - HEX_WIDTH
            lines.append(head + dump[0] + (f" +{plural(more, 'byte')}" if more > 0 else ""))
            continue
        lines.append(head + dump[0])
        lines.extend(" " * len(head) + line for line in dump[1:])
    return lines


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def seq_span(records: List[Record]) -> str:
    if not records:
        return ""
    return f" #{records[0].seq}" if len(records) == 1 else \
        f" #{records[0].seq}..#{records[-1].seq}"


def caps_names(caps: Caps) -> List[str]:
    return [c.name.lower().replace("_", "-") for c in Caps if c in caps and c.name]


# ---------------------------------------------------------------- JSON
# docs/json.md is the contract. Addresses, register values, CRCs and codes are
# "0x%08x" strings (hex_u32); sizes, counts, sequence numbers and indexes are
# integers; every document is an object that starts with "schema".

JSON_SCHEMA = 1  # raised when a field is removed or changes meaning; new fields keep it


def document(body: Dict[str, Any]) -> Dict[str, Any]:
    """A --json document: the schema version, then body's fields."""
    return {"schema": JSON_SCHEMA, **body}


def hex_u32(value: int) -> str:
    """An address, register value, CRC or code as JSON writes it: 0x%08x."""
    return f"0x{value:08x}"



def record_json(r: Record) -> Dict[str, Any]:
    return {"seq": r.seq, "len": len(r.data), "hex": r.data.hex(),
            "text": r.data.decode("utf-8", errors="replace")}


def source_json(s: SourceInfo) -> Dict[str, Any]:
    return {"guid": str(s.guid), "label": s.label, "item_size": s.item_size, "count": s.count,
            "flags": s.flags, "reattached": s.reattached, "self": s.is_self,
            "head_seq": s.head_seq, "oldest_seq": s.oldest_seq, "held": s.held,
            "overwritten_unread_total": s.lost}


def info_json(i: DeviceInfo) -> Dict[str, Any]:
    return {"name": i.name, "proto_version": i.proto_version, "frame_max": i.frame_max,
            "caps": caps_names(i.caps), "caps_raw": int(i.caps),
            "source_max": i.source_max, "source_used": i.source_used,
            "ring_max_bytes": i.ring_max_bytes, "item_max": i.item_max,
            "triage_max": i.triage_max, "triage_used": i.triage_used,
            "self_guid": str(i.self_guid), "self_item_size": i.self_item_size,
            "self_count": i.self_count, "boot_count": i.boot_count,
            "rx_frames": i.rx_frames, "rx_errors": i.rx_errors, "build_id": i.build_id.hex(),
            "lib_version": i.lib_version}


def read_json(r: ReadResult) -> Dict[str, Any]:
    return {"records": [record_json(x) for x in r.records], "head_seq": r.head_seq,
            "overwritten_unread_since_last_read": r.lost}


def gap_json(g: Gap) -> Dict[str, Any]:
    return {"from_seq": g.from_seq, "count": g.count}


def capture_json(c: Capture) -> Dict[str, Any]:
    return {"records": [record_json(x) for x in c.records], "head_seq": c.end_seq,
            "overwritten_unread_total": c.lost, "gaps": [gap_json(g) for g in c.gaps],
            "missed_during_capture": c.missed}


def range_json(r: Range) -> Dict[str, Any]:
    return {"addr": hex_u32(r.addr), "len": r.len}


# ---------------------------------------------------------------- text


def info_text(i: DeviceInfo) -> str:
    rows = [
        ("name", i.name or "(none)"),
        ("protocol", f"version {i.proto_version}, frames up to {i.frame_max} bytes"),
        ("build id", i.build_id.hex() or "(none)"),
        ("library", f"crashdump {i.lib_version}"),
        ("capabilities", ", ".join(caps_names(i.caps)) or "(none)"),
        ("sources", f"{i.source_used} of {i.source_max} in use; rings up to "
                    f"{i.ring_max_bytes} bytes, items up to {i.item_max} bytes"),
        ("self ring", f"{i.self_guid}: {plural(i.self_count, 'item')} of "
                      f"{i.self_item_size} bytes"),
        ("triage", f"{i.triage_used} of {plural(i.triage_max, 'range')}"),
        ("boot count", str(i.boot_count)),
        ("frames", f"{i.rx_frames} received, {i.rx_errors} dropped since boot"),
    ]
    return "\n".join(f"{k:<13} {v}" for k, v in rows)


def source_name(s: SourceInfo) -> str:
    return f"{s.label!r} {s.guid}" if s.label else str(s.guid)


def source_text(s: SourceInfo, heading: str = "source") -> str:
    """A source's description; `heading` names the first row ("created", ...)."""
    held = s.held
    span = "" if not held else f" (#{s.oldest_seq}..#{(s.head_seq - 1) & 0xFFFFFFFF})"
    kind = " (the firmware's self ring)" if s.is_self else ""
    rows = [
        (heading, source_name(s) + kind),
        ("geometry", f"{plural(s.count, 'item')} of up to {s.item_size} bytes "
                     f"({s.count * ring_stride(s.item_size)} bytes of ring)"),
        ("held", f"{plural(held, 'item')}{span}, next #{s.head_seq}"),
        ("lost", f"{plural(s.lost, 'item')} overwritten before read"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def source_table(sources: List[SourceInfo]) -> str:
    if not sources:
        return "no data sources"
    lines = [f"{'GUID':<36}  {'LABEL':<16}  {'SIZE':>5}  {'COUNT':>6}  {'HELD':>6}  {'LOST':>6}"]
    for s in sources:
        label = s.label + (" (self)" if s.is_self else "")
        lines.append(f"{str(s.guid):<36}  {label:<16}  {s.item_size:>5}  {s.count:>6}  "
                     f"{s.held:>6}  {s.lost:>6}")
    return "\n".join(lines)


def read_text(r: ReadResult) -> str:
    lines = record_lines(r.records)
    lines.append(f"read {plural(len(r.records), 'record')}{seq_span(r.records)}"
                 if r.records else "no records (ring empty)")
    if r.lost:
        lines.append(f"{plural(r.lost, 'record')} overwritten before read")
    return "\n".join(lines)


def capture_summary(c: Capture, where: Optional[str] = None) -> List[str]:
    what = f"captured {plural(len(c.records), 'record')}{seq_span(c.records)}"
    lines = [what + (f" to {where}" if where else "") if c.records else "no records (ring empty)"]
    for g in c.gaps:
        lines.append(f"{plural(g.count, 'record')} (#{g.from_seq}..#"
                     f"{(g.from_seq + g.count - 1) & 0xFFFFFFFF}) overwritten during capture")
    if c.lost:
        lines.append(f"{plural(c.lost, 'record')} overwritten before read since the ring "
                     "was created")
    return lines


def capture_text(c: Capture) -> str:
    return "\n".join(record_lines(c.records) + capture_summary(c))


def range_text(ranges: List[Range]) -> str:
    if not ranges:
        return "no triage ranges"
    return "\n".join(f"0x{r.addr:08x}  {plural(r.len, 'byte')}" for r in ranges)
