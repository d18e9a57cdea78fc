# SPDX-License-Identifier: Apache-2.0
"""Crash dump files: parse (bytes -> dataclasses) and build (for tests and tools).

The layout is cd_format.h's "crash dumps" part (docs/dump-format.md): a 128-byte
cd_dump_hdr_t at offset 0, then n_sections sections, each a 12-byte
cd_dump_section_t and `len` data bytes zero-padded to a multiple of 4.
A dump is valid only if magic, version, hdr_len, hdr_crc and body_crc all match.

parse_dump() raises DumpFormatError naming what is wrong and the byte offset
(``error.offset``) for anything that makes the file not a dump: wrong magic,
unknown version, truncation, a header/body/section CRC mismatch, a section
running past the end. Problems inside one section whose CRC matched (a ring
header scribbled over in RAM before the crash, a section of the wrong size) are
errors with strict=True and otherwise warnings in Dump.warnings, with the
section kept only as raw bytes: a dump of a memory-corruption crash is still
worth decoding. Unknown section types are always skipped with a warning.
With salvage=True, damage the CRCs find no longer refuses the whole file once
the header is intact: a section whose CRC does not match is not decoded and is
listed in Dump.damage, as is a body CRC mismatch no section explains and a
truncated file; the other sections are decoded as usual. Commands that must
trust every byte (pull, erase) keep the default.
build_dump() and build_ring() (valid dumps from dataclasses) live in build.py.
"""
from __future__ import annotations

import dataclasses
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from ..errors import DumpFormatError
from ..protocol.wire import (GUID_LEN, SEQ_MASK, SLOT_HDR_LEN, Record, decode_text, ring_stride,
                             seq_diff)
from .format import (DUMP_F_FPU, DUMP_HDR, DUMP_HDR_CRC_LEN, DUMP_MAGIC, DUMP_MEM, DUMP_REGS,
                     DUMP_RING, DUMP_SECTION, DUMP_THREAD, DUMP_VERSION, DUMP_FAULT, DUMP_FPU,
                     RING_HDR, RING_HDR_CRC_LEN, RING_MAGIC, RING_VERSION, SEC_F_INTERRUPTED,
                     SEC_F_SELF, SEC_F_TRUNCATED, THREAD_F_CURRENT, THREAD_F_SP_OUT, Arch, Reason,
                     SecType)

HDR_LEN = DUMP_HDR.size          # 128
SECTION_HDR_LEN = DUMP_SECTION.size  # 12
_MAGIC_BYTES = struct.pack("<I", DUMP_MAGIC)


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC, as zlib and the firmware compute it."""
    return zlib.crc32(data) & 0xFFFFFFFF


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def format_error(what: str, offset: int) -> DumpFormatError:
    """A DumpFormatError whose message ends with the offset, which it also carries."""
    e = DumpFormatError(f"{what} at offset {offset}")
    e.offset = offset  # type: ignore[attr-defined]
    return e


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Header:
    version: int
    hdr_len: int
    total_len: int
    body_crc: int
    crash_count: int
    boot_count: int
    reason: int
    code: int
    params: Tuple[int, int, int, int]
    flags: int
    stage: int
    cpuid: int
    arch: int
    build_id: bytes
    component: str
    hdr_crc: int

    @property
    def reason_name(self) -> str:
        try:
            return Reason(self.reason).name.lower()
        except ValueError:
            return f"reason {self.reason}"

    @property
    def arch_name(self) -> str:
        names = {Arch.V6M: "ARMv6-M", Arch.V7M: "ARMv7-M", Arch.V7EM: "ARMv7E-M",
                 Arch.V8MBASE: "ARMv8-M baseline", Arch.V8MMAIN: "ARMv8-M mainline"}
        return names.get(self.arch, f"arch {self.arch}")  # type: ignore[call-overload]


@dataclass(frozen=True)
class Section:
    """One section as framed in the file; `offset` is that of its 12-byte header."""

    type: int
    flags: int
    offset: int
    data: bytes
    crc: int

    @property
    def type_name(self) -> str:
        try:
            return SecType(self.type).name
        except ValueError:
            return f"type {self.type}"


@dataclass(frozen=True)
class Regs:
    r: Tuple[int, ...]        # r0-r12
    sp: int
    lr: int
    pc: int
    xpsr: int
    msp: int = 0
    psp: int = 0
    exc_return: int = 0
    control: int = 0
    primask: int = 0
    basepri: int = 0
    faultmask: int = 0
    msplim: int = 0
    psplim: int = 0
    valid: int = 0

    def core(self) -> List[int]:
        """r0-r15 as a list (r13 = sp, r14 = lr, r15 = pc)."""
        return list(self.r) + [self.sp, self.lr, self.pc]


@dataclass(frozen=True)
class FaultRegs:
    cfsr: int = 0
    hfsr: int = 0
    dfsr: int = 0
    mmfar: int = 0
    bfar: int = 0
    afsr: int = 0
    shcsr: int = 0
    ccr: int = 0
    sfsr: int = 0     # SecureFault status (v8-M, firmware running Secure), else 0
    sfar: int = 0


@dataclass(frozen=True)
class Fpu:
    s: Tuple[int, ...]        # s0-s31 as raw 32-bit values
    fpscr: int


@dataclass(frozen=True)
class MemBlock:
    """Stack or triage memory: `data` read from `addr`; status != 0 means the
    range could not be read safely (CD_E_TRIAGE_RANGE) and data is empty."""

    addr: int
    data: bytes
    status: int = 0
    length: Optional[int] = None   # the mem header's len; None = len(data)
    truncated: bool = False

    @property
    def end(self) -> int:
        return self.addr + len(self.data)

    def read(self, addr: int, size: int) -> Optional[bytes]:
        off = addr - self.addr
        if off < 0 or off + size > len(self.data):
            return None
        return self.data[off:off + size]


@dataclass(frozen=True)
class Ring:
    guid: uuid.UUID
    label: str
    item_size: int
    count: int
    stride: int
    head: int
    tail: int
    lost: int                 # overwritten-before-read count folded in by reads
    idx: int
    is_self: bool
    truncated: bool           # the section was cut: some slots are missing
    records: List[Record] = field(default_factory=list)
    addr: int = 0             # where the ring lay in RAM (0: unknown)
    raw: bytes = field(default=b"", repr=False)  # the ring's bytes as they were in RAM
    overwritten: int = 0      # items between tail and the oldest held item: never read
    missing: int = 0          # held items whose slot was cut off by truncation or bad

    @property
    def total_lost(self) -> int:
        return self.lost + self.overwritten


@dataclass(frozen=True)
class Thread:
    """A registered thread (THREAD section): its stack bounds, saved SP and
    saved-context layout, and the top of its stack (empty for the current
    thread, whose stack is the dump's STACK section)."""

    id: int
    name: str
    stack_lo: int
    stack_hi: int
    sp: int
    flags: int
    context: int
    stack: MemBlock

    @property
    def current(self) -> bool:
        return bool(self.flags & THREAD_F_CURRENT)

    @property
    def sp_out(self) -> bool:
        """The SP lies outside the thread's stack: it overflowed (or is stale)."""
        return bool(self.flags & THREAD_F_SP_OUT)

    @property
    def used(self) -> int:
        """Stack bytes in use at the crash (from sp to the top), 0 if sp is out."""
        return self.stack_hi - self.sp if self.stack_lo <= self.sp <= self.stack_hi else 0


@dataclass(frozen=True)
class Additional:
    guid: uuid.UUID
    data: bytes


@dataclass(frozen=True)
class Damage:
    """A part of a dump that failed its check and was not decoded (salvage mode):
    section `index` (None: the body as a whole), `what` names it, `reason` says
    what is wrong."""

    index: Optional[int]
    what: str
    offset: int
    length: int
    reason: str

    def __str__(self) -> str:
        where = f"{self.length} bytes at offset {self.offset}"
        if self.index is None:
            return f"{self.what} ({where}): {self.reason}"
        return f"section {self.index} ({self.what}, {where}): {self.reason}"


@dataclass
class Dump:
    header: Header
    sections: List[Section] = field(default_factory=list)
    regs: Optional[Regs] = None
    fault: Optional[FaultRegs] = None
    fpu: Optional[Fpu] = None
    stack: Optional[MemBlock] = None
    interrupted: Optional[MemBlock] = None  # PSP stack of the thread a handler interrupted
    threads: List[Thread] = field(default_factory=list)
    rings: List[Ring] = field(default_factory=list)
    triage: List[MemBlock] = field(default_factory=list)
    additional: List[Additional] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    damage: List[Damage] = field(default_factory=list)   # salvage mode only

    def memory(self) -> List[MemBlock]:
        """Every memory block with bytes: the stacks first (the crash's, the
        interrupted thread's, the other threads'), then triage ranges."""
        blocks = [b for b in (self.stack, self.interrupted) if b is not None]
        blocks += [t.stack for t in self.threads]
        return [b for b in blocks + self.triage if b.data]

    @property
    def current_thread(self) -> Optional[Thread]:
        return next((t for t in self.threads if t.current), None)

    def read(self, addr: int, size: int) -> Optional[bytes]:
        for block in self.memory():
            got = block.read(addr, size)
            if got is not None:
                return got
        return None

    def read_u32(self, addr: int) -> Optional[int]:
        raw = self.read(addr, 4)
        return None if raw is None else struct.unpack("<I", raw)[0]


# ---------------------------------------------------------------- parsing


def has_magic(data: bytes) -> bool:
    """True if data starts like a dump (its first 4 bytes are the magic)."""
    return data[:4] == _MAGIC_BYTES


def parse_header(data: bytes) -> Header:
    """Checks and decodes the 128-byte header (not the body)."""
    have = len(data)
    if data[:4] != _MAGIC_BYTES[:min(4, have)] or have == 0:
        found = data[:4].hex() or "nothing"
        raise format_error(f"not a crash dump: magic is {found}, expected "
                           f"{_MAGIC_BYTES.hex()} (\"CDMP\")", 0)
    if have < HDR_LEN:
        raise format_error(f"truncated: {have} bytes, shorter than the {HDR_LEN}-byte header",
                           have)
    f = DUMP_HDR.unpack(data[:HDR_LEN])
    if f["version"] != DUMP_VERSION:
        raise format_error(f"unknown dump version {f['version']} (this tool reads version "
                           f"{DUMP_VERSION})", 4)
    if f["hdr_len"] != HDR_LEN:
        raise format_error(f"header length {f['hdr_len']}, expected {HDR_LEN}", 6)
    computed = crc32(data[:DUMP_HDR_CRC_LEN])
    if computed != f["hdr_crc"]:
        raise format_error(f"header CRC mismatch (stored 0x{f['hdr_crc']:08x}, computed "
                           f"0x{computed:08x})", DUMP_HDR_CRC_LEN)
    if f["total_len"] < HDR_LEN:
        raise format_error(f"total length {f['total_len']} is shorter than the header", 8)
    build_id_len = min(f["build_id_len"], len(f["build_id"]))
    return Header(version=f["version"], hdr_len=f["hdr_len"], total_len=f["total_len"],
                  body_crc=f["body_crc"], crash_count=f["crash_count"],
                  boot_count=f["boot_count"], reason=f["reason"], code=f["code"],
                  params=struct.unpack("<4I", f["param"]), flags=f["flags"], stage=f["stage"],
                  cpuid=f["cpuid"], arch=f["arch"], build_id=f["build_id"][:build_id_len],
                  component=decode_text(f["component"]), hdr_crc=f["hdr_crc"])


def parse_dump(data: Union[bytes, bytearray, memoryview], *, strict: bool = False,
               salvage: bool = False) -> Dump:
    """Parses a whole dump. Raises DumpFormatError (see the module docstring);
    with salvage=True only for a bad header, listing other damage in Dump.damage."""
    data = bytes(data)
    header = parse_header(data)
    total = header.total_len
    dump = Dump(header=header)
    if len(data) < total:
        what = f"the file has {len(data)} bytes, the header says {total}"
        if not salvage:
            raise format_error(f"truncated: {what}", len(data))
        dump.damage.append(Damage(None, "end of the dump", len(data), total - len(data),
                                  f"missing: {what}"))
        total = len(data)
    computed = crc32(data[HDR_LEN:total])
    body_ok = computed == header.body_crc
    if not body_ok and not salvage:
        raise format_error(f"body CRC mismatch over bytes {HDR_LEN}..{total} (stored "
                           f"0x{header.body_crc:08x}, computed 0x{computed:08x})", HDR_LEN)
    if len(data) > total:
        dump.warnings.append(f"{len(data) - total} bytes after the dump's end (offset {total}) "
                             f"ignored")
    n_sections = DUMP_HDR.unpack(data[:HDR_LEN])["n_sections"]
    pos = HDR_LEN
    for i in range(n_sections):
        try:
            section = _frame_section(data, pos, total, i, n_sections)
        except DumpFormatError as e:
            if not salvage:
                raise
            # The section table is broken here: nothing after it can be framed.
            dump.damage.append(Damage(None, f"sections {i}..{n_sections - 1}", pos,
                                      total - pos, f"{e}: not decoded"))
            pos = total
            break
        pos = min(total, pos + SECTION_HDR_LEN + _pad4(len(section.data)))
        if crc32(section.data) != section.crc:
            if not salvage:
                raise format_error(f"section {i} ({section.type_name}) CRC mismatch",
                                   section.offset)
            dump.damage.append(Damage(i, section.type_name, section.offset,
                                      SECTION_HDR_LEN + len(section.data),
                                      "CRC mismatch: not decoded"))
            continue
        dump.sections.append(section)
        try:
            _decode_section(dump, section)
        except DumpFormatError as e:
            if strict:
                raise
            dump.warnings.append(f"section {i} ({section.type_name}) skipped: {e}")
    if pos != total:
        dump.warnings.append(f"{total - pos} bytes after the last section (offset {pos}) "
                             f"not described by any section")
    if not body_ok and not dump.damage:
        dump.damage.append(Damage(None, "body", HDR_LEN, total - HDR_LEN,
                                  f"CRC mismatch (stored 0x{header.body_crc:08x}, computed "
                                  f"0x{computed:08x}) although every section's CRC matches: "
                                  f"section headers or padding are damaged"))
    if header.flags & DUMP_F_FPU and dump.fpu is None and not dump.damage:
        dump.warnings.append("header says an FPU section is present but there is none")
    return dump


def _frame_section(data: bytes, pos: int, total: int, i: int, n_sections: int) -> Section:
    """Section i's header and data at pos (its CRC not checked)."""
    if pos + SECTION_HDR_LEN > total:
        raise format_error(f"section {i} of {n_sections}: header runs past the end of the "
                           f"dump ({total} bytes)", pos)
    s = DUMP_SECTION.unpack(data[pos:pos + SECTION_HDR_LEN])
    start = pos + SECTION_HDR_LEN
    if s["len"] > total - start:
        raise format_error(f"section {i} ({_type_name(s['type'])}, {s['len']} bytes) runs "
                           f"past the end of the dump ({total} bytes)", pos)
    return Section(type=s["type"], flags=s["flags"], offset=pos,
                   data=data[start:start + s["len"]], crc=s["crc"])


def _type_name(t: int) -> str:
    try:
        return SecType(t).name
    except ValueError:
        return f"type {t}"


def _expect_size(section: Section, size: int) -> None:
    if len(section.data) != size:
        raise format_error(f"{section.type_name} section has {len(section.data)} bytes, "
                           f"expected {size}", section.offset)


def _decode_section(dump: Dump, section: Section) -> None:
    t = section.type
    if t == SecType.REGS:
        _expect_size(section, DUMP_REGS.size)
        f = DUMP_REGS.unpack(section.data)
        dump.regs = Regs(**dict(f, r=struct.unpack("<13I", f["r"])))
    elif t == SecType.FAULT:
        _expect_size(section, DUMP_FAULT.size)
        dump.fault = FaultRegs(**DUMP_FAULT.unpack(section.data))
    elif t == SecType.FPU:
        _expect_size(section, DUMP_FPU.size)
        f = DUMP_FPU.unpack(section.data)
        dump.fpu = Fpu(s=struct.unpack("<32I", f["s"]), fpscr=f["fpscr"])
    elif t in (SecType.STACK, SecType.TRIAGE):
        block = _decode_mem(section)
        if t == SecType.STACK and section.flags & SEC_F_INTERRUPTED:
            if dump.interrupted is not None:
                raise format_error("a second INTERRUPTED STACK section", section.offset)
            dump.interrupted = block
        elif t == SecType.STACK:
            if dump.stack is not None:
                raise format_error("a second STACK section", section.offset)
            dump.stack = block
        else:
            dump.triage.append(block)
    elif t == SecType.RING:
        if len(section.data) < DUMP_RING.size:
            raise format_error(f"RING section has {len(section.data)} bytes, shorter than its "
                               f"{DUMP_RING.size}-byte address prefix", section.offset)
        addr = DUMP_RING.unpack(section.data[:DUMP_RING.size])["addr"]
        ring = decode_ring(section.data[DUMP_RING.size:], offset=section.offset + DUMP_RING.size,
                           flags=section.flags)
        dump.rings.append(dataclasses.replace(ring, addr=addr))
    elif t == SecType.THREAD:
        dump.threads.append(_decode_thread(section))
    elif t == SecType.ADDITIONAL:
        if len(section.data) < GUID_LEN:
            raise format_error(f"ADDITIONAL section has {len(section.data)} bytes, shorter "
                               f"than its GUID", section.offset)
        dump.additional.append(Additional(uuid.UUID(bytes=section.data[:GUID_LEN]),
                                          section.data[GUID_LEN:]))
    else:
        dump.warnings.append(f"unknown section type {t} at offset {section.offset} "
                             f"({len(section.data)} bytes) skipped")


def _decode_thread(section: Section) -> Thread:
    if len(section.data) < DUMP_THREAD.size:
        raise format_error(f"THREAD section has {len(section.data)} bytes, shorter than its "
                           f"{DUMP_THREAD.size}-byte header", section.offset)
    f = DUMP_THREAD.unpack(section.data[:DUMP_THREAD.size])
    body = section.data[DUMP_THREAD.size:]
    truncated = bool(section.flags & SEC_F_TRUNCATED)
    if len(body) != f["len"] and not (truncated and len(body) < f["len"]):
        raise format_error(f"THREAD header says {f['len']} stack bytes, {len(body)} follow",
                           section.offset)
    if f["addr"] + len(body) > 1 << 32:
        raise format_error(f"THREAD stack 0x{f['addr']:08x}+{len(body)} wraps past 4 GiB",
                           section.offset)
    return Thread(id=f["id"], name=decode_text(f["name"]), stack_lo=f["stack_lo"],
                  stack_hi=f["stack_hi"], sp=f["sp"], flags=f["flags"], context=f["context"],
                  stack=MemBlock(addr=f["addr"], data=body, length=f["len"], truncated=truncated))


def _decode_mem(section: Section) -> MemBlock:
    if len(section.data) < DUMP_MEM.size:
        raise format_error(f"{section.type_name} section has {len(section.data)} bytes, "
                           f"shorter than its {DUMP_MEM.size}-byte memory header",
                           section.offset)
    f = DUMP_MEM.unpack(section.data[:DUMP_MEM.size])
    body = section.data[DUMP_MEM.size:]
    truncated = bool(section.flags & SEC_F_TRUNCATED)
    if f["status"] != 0 and body:
        raise format_error(f"{section.type_name} range 0x{f['addr']:08x} has status "
                           f"{f['status']} but {len(body)} bytes", section.offset)
    if f["status"] == 0 and len(body) != f["len"] and not (truncated and len(body) < f["len"]):
        raise format_error(f"{section.type_name} memory header says {f['len']} bytes, "
                           f"{len(body)} follow", section.offset)
    if f["addr"] + len(body) > 1 << 32:
        raise format_error(f"{section.type_name} range 0x{f['addr']:08x}+{len(body)} wraps "
                           f"past 4 GiB", section.offset)
    return MemBlock(addr=f["addr"], data=body, status=f["status"], length=f["len"],
                    truncated=truncated)


def decode_ring(data: bytes, *, offset: int = 0, flags: int = 0) -> Ring:
    """A ring image (cd_ring_hdr_t + slots) as its held records, oldest first."""
    where = offset + SECTION_HDR_LEN
    if len(data) < RING_HDR.size:
        raise format_error(f"ring image of {len(data)} bytes is shorter than its "
                           f"{RING_HDR.size}-byte header", where)
    f = RING_HDR.unpack(data[:RING_HDR.size])

    def bad(what: str) -> DumpFormatError:
        return format_error(f"ring header inconsistent: {what}", where)

    if f["magic"] != RING_MAGIC:
        raise bad(f"magic 0x{f['magic']:08x}, expected 0x{RING_MAGIC:08x}")
    if f["version"] != RING_VERSION:
        raise bad(f"version {f['version']}")
    if crc32(data[:RING_HDR_CRC_LEN]) != f["hdr_crc"]:
        raise bad("header CRC mismatch")
    count, stride, item_size = f["count"], f["stride"], f["item_size"]
    head, tail, idx = f["head"], f["tail"], f["idx"]
    if count == 0 or stride != ring_stride(item_size):
        raise bad(f"count {count}, stride {stride} for item size {item_size}")
    if idx >= count:
        raise bad(f"idx {idx} not below count {count}")
    # Any tail is possible: writes never move it, so a ring that is only written
    # (or only captured) lags head by any amount modulo 2^32. It holds the last
    # min(head - tail, count) items before head.
    pending = seq_diff(head, tail)
    truncated = bool(flags & SEC_F_TRUNCATED)
    slots_len = len(data) - RING_HDR.size
    if slots_len != count * stride and not (truncated and slots_len < count * stride):
        raise bad(f"{count} slots of {stride} bytes need {count * stride} bytes, "
                  f"{slots_len} follow")
    held = min(pending, count)
    # Walk the slots present in the image, not the sequence numbers held: a
    # truncated image may claim 2^31 slots and carry a handful, and the work
    # must stay proportional to the bytes given. Slot j holds the item written
    # `back` writes before head.
    found: List[Tuple[int, Record]] = []
    for j in range(min(count, slots_len // stride)):
        back = (idx - j) % count or count
        if back > held:
            continue
        pos = RING_HDR.size + j * stride
        (length,) = struct.unpack_from("<H", data, pos)
        if length > item_size:
            continue
        start = pos + SLOT_HDR_LEN
        found.append((back, Record((head - back) & SEQ_MASK, data[start:start + length])))
    found.sort(key=lambda e: -e[0])  # oldest (furthest back) first
    records = [r for _, r in found]
    missing = held - len(records)
    return Ring(guid=uuid.UUID(bytes=f["guid"]), label=decode_text(f["label"]),
                item_size=item_size, count=count, stride=stride, head=head, tail=tail,
                lost=f["lost"], idx=idx, is_self=bool(flags & SEC_F_SELF), truncated=truncated,
                records=records, overwritten=pending - held, missing=missing, raw=bytes(data))


def split_slots(image: bytes, slot_size: int) -> List[bytes]:
    """A dump partition image cut into slots; each keeps only total_len bytes if it
    holds a dump with a valid header, else is returned whole."""
    if slot_size <= 0:
        raise ValueError("slot size must be positive")
    slots = []
    for base in range(0, len(image), slot_size):
        slot = image[base:base + slot_size]
        try:
            slots.append(slot[:parse_header(slot).total_len])
        except DumpFormatError:
            slots.append(slot)
    return slots
