# SPDX-License-Identifier: Apache-2.0
"""The wire protocol's formats, mirroring firmware/include/crashdump/cd_format.h
(frames, commands, request and reply structs; the dump file's structs are in
dumpfile/format.py).

cd_format.h is the one source of truth. Each struct here lists its fields under
their C names, so tests/host/test_format_sync.py can compile a C program that
prints sizeof/offsetof of every field and check this module against it.

Parsing functions take a response payload and return dataclasses; they raise
ProtocolError when the payload's length or content is not what the protocol
allows.
"""
from __future__ import annotations

import enum
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import ProtocolError

# ---------------------------------------------------------------- constants

PROTO_VERSION = 1
GUID_LEN = 16
LABEL_LEN = 16       # CD_LABEL_LEN
NAME_LEN = 32        # CD_NAME_LEN
BUILD_ID_MAX = 20    # CD_BUILD_ID_MAX

FRAME_HDR_LEN = 4    # cmd u8, id u8, status i16
FRAME_CRC_LEN = 4
FRAME_OVERHEAD = FRAME_HDR_LEN + FRAME_CRC_LEN
FRAME_DELIM = 0x00
CMD_RESPONSE = 0x80

SLOT_HDR_LEN = 4     # CD_SLOT_HDR_LEN: u16 len, u16 reserved
ITEM_LEN_SIZE = 2    # each record in a READ/CAPTURE reply: u16 len + data

SEQ_MASK = 0xFFFFFFFF


class Cmd(enum.IntEnum):
    """Request command codes (CD_CMD_*)."""

    INFO = 0x01
    RESET = 0x02
    SRC_CREATE = 0x10
    SRC_OPEN = 0x11
    SRC_WRITE = 0x12
    SRC_READ = 0x13
    SRC_CAPTURE = 0x14
    SRC_DESTROY = 0x15
    SRC_LIST = 0x16
    SELF_READ = 0x20
    SELF_CAPTURE = 0x21
    TRIAGE_LIST = 0x30


class Caps(enum.IntFlag):
    """Capability bits in the INFO reply (CD_CAP_*)."""

    SOURCES = 1 << 0
    TRIAGE = 1 << 1
    RESET = 1 << 2
    DUMP = 1 << 3
    FAULT_CMDS = 1 << 4
    DEDUP = 1 << 6  # a repeated request is answered, not executed again


SRC_F_REATTACHED = 1 << 0   # CD_SRC_F_REATTACHED
SRC_F_SELF = 1 << 1         # CD_SRC_F_SELF
CAPTURE_F_FROM = 1 << 0     # CD_CAPTURE_F_FROM


def ring_stride(item_size: int) -> int:
    """Bytes one slot takes in a ring (CD_RING_STRIDE)."""
    return SLOT_HDR_LEN + ((item_size + 3) & ~3)


def seq_diff(a: int, b: int) -> int:
    """a - b in sequence-number arithmetic (modulo 2^32), as 0..2^32-1."""
    return (a - b) & SEQ_MASK


# ---------------------------------------------------------------- struct layouts


class WireStruct:
    """A little-endian C struct: fields as (C name, struct format) pairs."""

    def __init__(self, c_name: str, fields: Sequence[Tuple[str, str]]) -> None:
        self.c_name = c_name
        self.fields: Tuple[Tuple[str, str], ...] = tuple(fields)
        self.struct = struct.Struct("<" + "".join(fmt for _, fmt in self.fields))
        self.offsets: Dict[str, int] = {}
        self.sizes: Dict[str, int] = {}
        prefix = "<"
        for name, fmt in self.fields:
            self.offsets[name] = struct.calcsize(prefix)
            self.sizes[name] = struct.calcsize("<" + fmt)
            prefix += fmt
        self.size = self.struct.size

    def pack(self, **values: object) -> bytes:
        """Packs the named fields; fields named 'reserved' default to zero."""
        args = []
        for name, fmt in self.fields:
            if name == "reserved" and name not in values:
                args.append(bytes(self.sizes[name]) if fmt.endswith("s") else 0)
            else:
                args.append(values[name])
        return self.struct.pack(*args)

    def unpack(self, data: bytes) -> Dict[str, Any]:
        """Unpacks exactly self.size bytes into {field: value}."""
        return dict(zip((name for name, _ in self.fields), self.struct.unpack(data)))


INFO = WireStruct("cd_wire_info_t", [
    ("proto_version", "H"), ("frame_max", "H"), ("caps", "I"),
    ("source_max", "H"), ("source_used", "H"), ("ring_max_bytes", "I"),
    ("item_max", "H"), ("triage_max", "H"), ("triage_used", "H"), ("self_item_size", "H"),
    ("self_count", "I"), ("self_guid", "16s"), ("boot_count", "I"),
    ("rx_frames", "I"), ("rx_errors", "I"),
    ("build_id_len", "B"), ("lib_version", "3s"), ("build_id", "20s"), ("name", "32s"),
])
CREATE = WireStruct("cd_wire_create_t", [
    ("guid", "16s"), ("label", "16s"), ("item_size", "H"), ("reserved", "H"), ("count", "I"),
])
SOURCE = WireStruct("cd_wire_source_t", [
    ("guid", "16s"), ("label", "16s"), ("item_size", "H"), ("flags", "H"), ("count", "I"),
    ("head_seq", "I"), ("oldest_seq", "I"), ("lost", "I"),
])
SEQ = WireStruct("cd_wire_seq_t", [("seq", "I")])
READ = WireStruct("cd_wire_read_t", [("guid", "16s"), ("max_items", "H"), ("reserved", "H")])
CAPTURE = WireStruct("cd_wire_capture_t", [("guid", "16s"), ("from_seq", "I"), ("flags", "I")])
ITEMS = WireStruct("cd_wire_items_t", [
    ("first_seq", "I"), ("head_seq", "I"), ("lost", "I"), ("n_items", "H"), ("reserved", "H"),
])
PAGE = WireStruct("cd_wire_page_t", [("start", "H"), ("reserved", "H")])
LIST = WireStruct("cd_wire_list_t", [("total", "H"), ("n", "H")])
RANGE = WireStruct("cd_wire_range_t", [("addr", "I"), ("len", "I")])

WIRE_STRUCTS: Tuple[WireStruct, ...] = (INFO, CREATE, SOURCE, SEQ, READ, CAPTURE, ITEMS, PAGE,
                                        LIST, RANGE)

_ITEM_LEN = struct.Struct("<H")

# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class DeviceInfo:
    """The INFO reply."""

    proto_version: int
    frame_max: int
    caps: Caps
    source_max: int
    source_used: int
    ring_max_bytes: int
    item_max: int
    triage_max: int
    triage_used: int
    self_item_size: int
    self_count: int
    self_guid: uuid.UUID
    boot_count: int
    rx_frames: int
    rx_errors: int
    build_id: bytes
    name: str
    lib_version: str = "0.0.0"  # the firmware's crashdump library, "major.minor.patch"


@dataclass(frozen=True)
class SourceInfo:
    """A ring as the device describes it (cd_wire_source_t)."""

    guid: uuid.UUID
    label: str
    item_size: int
    flags: int
    count: int
    head_seq: int
    oldest_seq: int
    lost: int

    @property
    def held(self) -> int:
        """Items currently held (head_seq - oldest_seq)."""
        return seq_diff(self.head_seq, self.oldest_seq)

    @property
    def reattached(self) -> bool:
        return bool(self.flags & SRC_F_REATTACHED)

    @property
    def is_self(self) -> bool:
        return bool(self.flags & SRC_F_SELF)


@dataclass(frozen=True)
class Record:
    """One ring item and its sequence number."""

    seq: int
    data: bytes


@dataclass(frozen=True)
class ItemsReply:
    """A READ or CAPTURE reply: header plus records."""

    first_seq: int
    head_seq: int
    lost: int
    records: List[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Range:
    """A triage range."""

    addr: int
    len: int


# ---------------------------------------------------------------- text fields


def encode_label(label: Union[str, bytes]) -> bytes:
    """A label as its wire bytes: UTF-8, cut to LABEL_LEN bytes, NUL-padded."""
    raw = label.encode("utf-8") if isinstance(label, str) else bytes(label)
    return raw[:LABEL_LEN].ljust(LABEL_LEN, b"\0")


def decode_text(raw: bytes) -> str:
    """A NUL-padded text field (label, name) as a str; bad UTF-8 is replaced."""
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


# ---------------------------------------------------------------- requests


def build_create(guid: uuid.UUID, label: Union[str, bytes], item_size: int, count: int) -> bytes:
    if not 0 <= item_size <= 0xFFFF:
        raise ValueError(f"item size {item_size} does not fit in 16 bits")
    if not 0 <= count <= SEQ_MASK:
        raise ValueError(f"count {count} does not fit in 32 bits")
    return CREATE.pack(guid=guid.bytes, label=encode_label(label), item_size=item_size,
                       count=count)


def build_read(guid: uuid.UUID, max_items: int = 0) -> bytes:
    if not 0 <= max_items <= 0xFFFF:
        raise ValueError(f"max items {max_items} does not fit in 16 bits")
    return READ.pack(guid=guid.bytes, max_items=max_items)


def build_capture(guid: uuid.UUID, from_seq: Optional[int] = None) -> bytes:
    """A capture request starting at from_seq, or at the oldest item if None."""
    if from_seq is None:
        return CAPTURE.pack(guid=guid.bytes, from_seq=0, flags=0)
    return CAPTURE.pack(guid=guid.bytes, from_seq=from_seq & SEQ_MASK, flags=CAPTURE_F_FROM)


def build_page(start: int) -> bytes:
    return PAGE.pack(start=start)


# ---------------------------------------------------------------- replies


def _expect_len(what: str, payload: bytes, size: int) -> None:
    if len(payload) != size:
        raise ProtocolError(f"{what} reply has {len(payload)} bytes, expected {size}")


def parse_info(payload: bytes) -> DeviceInfo:
    if len(payload) >= 2:
        (version,) = struct.unpack_from("<H", payload)
        if version != PROTO_VERSION:
            raise ProtocolError(f"device speaks protocol version {version}; "
                                f"this host tool speaks version {PROTO_VERSION}")
    _expect_len("INFO", payload, INFO.size)
    f = INFO.unpack(payload)
    f["lib_version"] = ".".join(str(b) for b in f["lib_version"])
    build_id_len = min(f.pop("build_id_len"), BUILD_ID_MAX)
    f.update(caps=Caps(f["caps"]), self_guid=uuid.UUID(bytes=f["self_guid"]),
             build_id=f["build_id"][:build_id_len], name=decode_text(f["name"]))
    return DeviceInfo(**f)


def _source_from(f: Dict[str, Any]) -> SourceInfo:
    return SourceInfo(**dict(f, guid=uuid.UUID(bytes=f["guid"]), label=decode_text(f["label"])))


def parse_source(payload: bytes) -> SourceInfo:
    _expect_len("source", payload, SOURCE.size)
    return _source_from(SOURCE.unpack(payload))


def parse_seq(payload: bytes) -> int:
    _expect_len("WRITE", payload, SEQ.size)
    return SEQ.unpack(payload)["seq"]


def parse_items(payload: bytes) -> ItemsReply:
    """A READ/CAPTURE reply: header, then n_items records of u16 len + data."""
    if len(payload) < ITEMS.size:
        raise ProtocolError(f"items reply has {len(payload)} bytes, "
                            f"shorter than its {ITEMS.size}-byte header")
    f = ITEMS.unpack(payload[:ITEMS.size])
    first_seq, n_items = f["first_seq"], f["n_items"]
    records: List[Record] = []
    pos = ITEMS.size
    for i in range(n_items):
        if pos + ITEM_LEN_SIZE > len(payload):
            raise ProtocolError(f"items reply truncated at record {i} of {n_items}")
        (length,) = _ITEM_LEN.unpack_from(payload, pos)
        pos += ITEM_LEN_SIZE
        if pos + length > len(payload):
            raise ProtocolError(f"items reply truncated in record {i} of {n_items}")
        records.append(Record((first_seq + i) & SEQ_MASK, bytes(payload[pos:pos + length])))
        pos += length
    if pos != len(payload):
        raise ProtocolError(f"items reply has {len(payload) - pos} bytes after "
                            f"its {n_items} records")
    return ItemsReply(first_seq=first_seq, head_seq=f["head_seq"], lost=f["lost"],
                      records=records)


def parse_list(payload: bytes, entry: WireStruct) -> Tuple[int, List[Dict[str, Any]]]:
    """A SRC_LIST/TRIAGE_LIST reply: (total, entries as field dicts)."""
    if len(payload) < LIST.size:
        raise ProtocolError(f"list reply has {len(payload)} bytes, "
                            f"shorter than its {LIST.size}-byte header")
    f = LIST.unpack(payload[:LIST.size])
    total, n = f["total"], f["n"]
    _expect_len(f"list ({n} entries)", payload, LIST.size + n * entry.size)
    entries = [entry.unpack(payload[LIST.size + i * entry.size:LIST.size + (i + 1) * entry.size])
               for i in range(n)]
    return total, entries


def parse_source_list(payload: bytes) -> Tuple[int, List[SourceInfo]]:
    total, entries = parse_list(payload, SOURCE)
    return total, [_source_from(e) for e in entries]


def parse_range_list(payload: bytes) -> Tuple[int, List[Range]]:
    total, entries = parse_list(payload, RANGE)
    return total, [Range(**e) for e in entries]


# ---------------------------------------------------------------- dump commands
# The crash dump and fault commands (cd_format.h, "crash dumps"; docs/dump-format.md).


class DumpCmd(enum.IntEnum):
    """Crash dump and fault injection commands (CD_CMD_DUMP_*, CD_CMD_FAULT)."""

    DUMP_STATUS = 0x40
    DUMP_READ = 0x41
    DUMP_ERASE = 0x42
    FAULT = 0x50


class SlotState(enum.IntEnum):
    """cd_wire_slot_t.state (CD_SLOT_*)."""

    EMPTY = 0
    VALID = 1
    INVALID = 2


class FaultKind(enum.IntEnum):
    """CD_CMD_FAULT kinds (CD_FAULT_*), test builds only."""

    BAD_READ = 1
    BAD_WRITE = 2
    UNDEF = 3
    DIV0 = 4
    UNALIGNED = 5
    BAD_BRANCH = 6
    STACK_OVERFLOW = 7
    BUGCHECK = 8
    NMI = 9
    TRIAGE_UNMAPPED = 10
    WATCHDOG = 11
    NESTED = 12


FAULT_KIND_HELP: Dict[FaultKind, str] = {
    FaultKind.BAD_READ: "load from unmapped memory: precise bus fault",
    FaultKind.BAD_WRITE: "store to unmapped memory: bus fault (imprecise on hardware)",
    FaultKind.UNDEF: "undefined instruction",
    FaultKind.DIV0: "integer divide by zero (DIV_0_TRP on)",
    FaultKind.UNALIGNED: "unaligned word load (UNALIGN_TRP on)",
    FaultKind.BAD_BRANCH: "BX to an address with bit 0 clear (no Thumb)",
    FaultKind.STACK_OVERFLOW: "runaway recursion off the end of the stack",
    FaultKind.BUGCHECK: "cd_bugcheck() with known code and parameters",
    FaultKind.NMI: "NMI pended by software",
    FaultKind.TRIAGE_UNMAPPED: "fault-time triage callback adds an unmapped range",
    FaultKind.WATCHDOG: "cd_watchdog_warning() from an interrupt",
    FaultKind.NESTED: "a fault inside the fault path (triage callback faults)",
}


CAP_FPU = 1 << 5              # CD_CAP_FPU
ERASE_F_FORCE = 1 << 0        # CD_ERASE_F_FORCE
CRASH_MAGIC = 0x52434443      # CD_CRASH_MAGIC "CDCR"
CRASH_RECORD_CRC_LEN = 40

CRASH_RECORD = WireStruct("cd_crash_record_t", [
    ("magic", "I"), ("crash_count", "I"), ("consecutive", "I"), ("reason", "I"), ("code", "I"),
    ("pc", "I"), ("lr", "I"), ("stage", "I"), ("result", "i"), ("slot", "I"), ("crc", "I"),
])
WIRE_SLOT = WireStruct("cd_wire_slot_t", [
    ("state", "B"), ("reserved", "3s"), ("total_len", "I"), ("crash_count", "I"),
    ("reason", "I"), ("code", "I"), ("body_crc", "I"), ("flags", "I"),
])
WIRE_DUMP_STATUS = WireStruct("cd_wire_dump_status_t", [
    ("partition_base", "I"), ("slot_size", "I"), ("n_slots", "H"), ("record_valid", "H"),
    ("dropped", "I"), ("record", "44s"),
])
WIRE_DUMP_READ = WireStruct("cd_wire_dump_read_t", [
    ("slot", "H"), ("reserved", "H"), ("offset", "I"), ("len", "I"),
])
WIRE_DUMP_ERASE = WireStruct("cd_wire_dump_erase_t", [
    ("slot", "H"), ("flags", "H"), ("body_crc", "I"),
])
WIRE_FAULT = WireStruct("cd_wire_fault_t", [("kind", "I")])

DUMP_WIRE_STRUCTS: Tuple[WireStruct, ...] = (CRASH_RECORD, WIRE_SLOT, WIRE_DUMP_STATUS,
                                             WIRE_DUMP_READ, WIRE_DUMP_ERASE, WIRE_FAULT)
