# SPDX-License-Identifier: Apache-2.0
"""Building crash dumps and ring images from dataclasses: the inverse of
parse.py's parser, for tests and tools. Produces what the firmware's dump
writer (firmware/src/cd_dump.c) writes: header last-programmed but first in
the file, sections in the firmware's order.
"""
from __future__ import annotations

import struct
import uuid
from typing import List, Optional, Sequence, Tuple, Union

from ..protocol.wire import SEQ_MASK, SLOT_HDR_LEN, encode_label, ring_stride
from .format import (DUMP_F_FPU, DUMP_FAULT, DUMP_RING, DUMP_FPU, DUMP_HDR, DUMP_HDR_CRC_LEN,
                     DUMP_MAGIC, DUMP_MEM, DUMP_REGS, DUMP_SECTION, DUMP_VERSION, RING_HDR,
                     RING_HDR_CRC_LEN, RING_MAGIC, RING_VERSION, SEC_F_TRUNCATED, Arch, Reason,
                     SecType)
from .parse import HDR_LEN, Additional, FaultRegs, Fpu, MemBlock, Regs, _pad4, crc32


# ---------------------------------------------------------------- building


def encode_regs(regs: Regs) -> bytes:
    fields = {k: getattr(regs, k) for k, _ in DUMP_REGS.fields if k != "r"}
    r = (list(regs.r) + [0] * 13)[:13]
    return DUMP_REGS.pack(r=struct.pack("<13I", *r), **fields)


def encode_fault(fault: FaultRegs) -> bytes:
    return DUMP_FAULT.pack(**{k: getattr(fault, k) for k, _ in DUMP_FAULT.fields})


def encode_fpu(fpu: Fpu) -> bytes:
    return DUMP_FPU.pack(s=struct.pack("<32I", *fpu.s), fpscr=fpu.fpscr)


def encode_mem(block: MemBlock) -> bytes:
    length = len(block.data) if block.length is None else block.length
    return DUMP_MEM.pack(addr=block.addr, len=length, status=block.status, reserved=0) + \
        block.data


def build_ring(items: Sequence[bytes], *, item_size: int, count: int,
               guid: Optional[uuid.UUID] = None, label: str = "ring", start_seq: int = 0,
               read: int = 0, lost: int = 0) -> bytes:
    """A ring image after writing `items` with sequence numbers from start_seq,
    as the firmware's cd_ring_write() would leave it; `read` items taken by reads
    (tail = start_seq + read, which may lag head - count)."""
    stride = ring_stride(item_size)
    slots = bytearray(count * stride)
    idx = 0
    for data in items:
        if len(data) > item_size:
            raise ValueError(f"item of {len(data)} bytes exceeds item size {item_size}")
        pos = idx * stride
        slots[pos:pos + stride] = struct.pack("<HH", len(data), 0) + \
            data.ljust(stride - SLOT_HDR_LEN, b"\0")
        idx = (idx + 1) % count
    head = (start_seq + len(items)) & SEQ_MASK
    fixed = RING_HDR.pack(magic=RING_MAGIC, version=RING_VERSION, item_size=item_size,
                          count=count, stride=stride,
                          guid=(guid or uuid.uuid5(uuid.NAMESPACE_URL, label)).bytes,
                          label=encode_label(label), hdr_crc=0, head=0, tail=0, lost=0,
                          idx=0)[:RING_HDR_CRC_LEN]
    cursors = struct.pack("<5I", crc32(fixed), head, (start_seq + read) & SEQ_MASK, lost, idx)
    return fixed + cursors + bytes(slots)


RawSection = Tuple[int, int, bytes]  # (type, flags, data)


def build_dump(*, regs: Optional[Regs] = None, fault: Optional[FaultRegs] = None,
               fpu: Optional[Fpu] = None, stack: Optional[MemBlock] = None,
               rings: Sequence[Union[bytes, Tuple[bytes, int], Tuple[bytes, int, int]]] = (),
               triage: Sequence[MemBlock] = (), additional: Sequence[Additional] = (),
               raw_sections: Sequence[RawSection] = (), reason: int = Reason.FAULT,
               code: int = 3, params: Sequence[int] = (0, 0, 0, 0), flags: int = 0,
               stage: int = 0, cpuid: int = 0x410FC231, arch: int = Arch.V7M,
               crash_count: int = 1, boot_count: int = 1, build_id: bytes = b"",
               component: str = "demo") -> bytes:
    """A valid dump from its parts, in the firmware's section order. Rings are
    ring images (build_ring()) or (image, section flags) pairs; raw_sections are
    appended verbatim (for unknown types and corner cases). A ring may also be
    (image, flags, RAM address); the address defaults to 0."""
    sections: List[RawSection] = []
    if regs is not None:
        sections.append((SecType.REGS, 0, encode_regs(regs)))
    if fault is not None:
        sections.append((SecType.FAULT, 0, encode_fault(fault)))
    if fpu is not None:
        sections.append((SecType.FPU, 0, encode_fpu(fpu)))
        flags |= DUMP_F_FPU
    if stack is not None:
        sections.append((SecType.STACK, SEC_F_TRUNCATED if stack.truncated else 0,
                         encode_mem(stack)))
    for ring in rings:
        image, sflags, addr = (ring, 0, 0) if isinstance(ring, (bytes, bytearray)) else \
            (tuple(ring) + (0,))[:3]
        sections.append((SecType.RING, sflags,
                         DUMP_RING.pack(addr=addr, reserved=0) + bytes(image)))
    for block in triage:
        sections.append((SecType.TRIAGE, SEC_F_TRUNCATED if block.truncated else 0,
                         encode_mem(block)))
    for extra in additional:
        sections.append((SecType.ADDITIONAL, 0, extra.guid.bytes + extra.data))
    sections += list(raw_sections)
    body = b"".join(DUMP_SECTION.pack(type=t, flags=f, len=len(d), crc=crc32(d)) +
                    d.ljust(_pad4(len(d)), b"\0") for t, f, d in sections)
    if len(build_id) > 20:
        raise ValueError("build id longer than 20 bytes")
    hdr = DUMP_HDR.pack(magic=DUMP_MAGIC, version=DUMP_VERSION, hdr_len=HDR_LEN,
                        total_len=HDR_LEN + len(body), body_crc=crc32(body),
                        crash_count=crash_count, boot_count=boot_count, reason=reason, code=code,
                        param=struct.pack("<4I", *params), flags=flags, stage=stage,
                        cpuid=cpuid, arch=arch, build_id_len=len(build_id),
                        n_sections=len(sections), build_id=build_id.ljust(20, b"\0"),
                        component=component.encode()[:32].ljust(32, b"\0"), hdr_crc=0)
    hdr = hdr[:DUMP_HDR_CRC_LEN] + struct.pack("<I", crc32(hdr[:DUMP_HDR_CRC_LEN]))
    return hdr + body
