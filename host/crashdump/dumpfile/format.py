# SPDX-License-Identifier: Apache-2.0
"""The crash dump file's formats, mirroring cd_format.h's "crash dumps" part
(docs/dump-format.md): the dump header, its sections, the ring header captured
in it, and the locator a probe finds the dump partition by.

Structs are described with the wire protocol's WireStruct; arrays of integers
are listed as byte strings ("52s" for uint32_t r[13]) so that it keeps one value
per field, and parse.py unpacks them. tests/host/test_format_sync.py checks this
module against the C header.
"""
from __future__ import annotations

import enum
from typing import Tuple

from ..protocol.wire import WireStruct

RING_MAGIC = 0x47524443       # CD_RING_MAGIC "CDRG"
RING_VERSION = 1              # CD_RING_VERSION
RING_HDR_CRC_LEN = 48         # CD_RING_HDR_CRC_LEN

DUMP_MAGIC = 0x504D4443       # CD_DUMP_MAGIC "CDMP"
DUMP_VERSION = 1              # CD_DUMP_VERSION
DUMP_HDR_CRC_LEN = 124        # CD_DUMP_HDR_CRC_LEN
LOCATOR_MAGIC = 0x434F4C43    # CD_LOCATOR_MAGIC "CLOC"
LOCATOR_CRC_LEN = 52
LOCATOR_SLOTS = 8              # CD_LOCATOR_SLOTS

DUMP_F_TRUNCATED = 1 << 0     # CD_DUMP_F_TRUNCATED
DUMP_F_NESTED = 1 << 1        # CD_DUMP_F_NESTED
DUMP_F_BAD_SP = 1 << 2        # CD_DUMP_F_BAD_SP
DUMP_F_FPU = 1 << 3           # CD_DUMP_F_FPU

SEC_F_TRUNCATED = 1 << 0      # CD_SEC_F_TRUNCATED
SEC_F_SELF = 1 << 1           # CD_SEC_F_SELF
SEC_F_INTERRUPTED = 1 << 2    # CD_SEC_F_INTERRUPTED

THREAD_F_CURRENT = 1 << 0     # CD_THREAD_F_CURRENT
THREAD_F_SP_OUT = 1 << 1      # CD_THREAD_F_SP_OUT

REGS_V_FRAME = 1 << 0         # CD_REGS_V_FRAME
REGS_V_CALLEE = 1 << 1        # CD_REGS_V_CALLEE
REGS_V_SPECIAL = 1 << 2       # CD_REGS_V_SPECIAL
REGS_V_BASEPRI = 1 << 3       # CD_REGS_V_BASEPRI
REGS_V_SPLIM = 1 << 4         # CD_REGS_V_SPLIM


class Reason(enum.IntEnum):
    """cd_dump_hdr_t.reason (CD_REASON_*)."""

    FAULT = 1
    BUGCHECK = 2
    WATCHDOG = 3


class Arch(enum.IntEnum):
    """cd_dump_hdr_t.arch (CD_ARCH_*)."""

    V6M = 1
    V7M = 2
    V7EM = 3
    V8MBASE = 4
    V8MMAIN = 5


class SecType(enum.IntEnum):
    """cd_dump_section_t.type (CD_SEC_*)."""

    REGS = 1
    FAULT = 2
    FPU = 3
    STACK = 4
    RING = 5
    TRIAGE = 6
    ADDITIONAL = 7
    THREAD = 8


class ContextLayout(enum.IntEnum):
    """cd_dump_thread_t.context (CD_CTX_*): a switched-out thread's saved words."""

    NONE = 0
    R4_R11_LR = 1
    R4_R11 = 2
    PSPLIM_LR_R4_R11 = 3


RING_HDR = WireStruct("cd_ring_hdr_t", [
    ("magic", "I"), ("version", "H"), ("item_size", "H"), ("count", "I"), ("stride", "I"),
    ("guid", "16s"), ("label", "16s"), ("hdr_crc", "I"), ("head", "I"), ("tail", "I"),
    ("lost", "I"), ("idx", "I"),
])
DUMP_HDR = WireStruct("cd_dump_hdr_t", [
    ("magic", "I"), ("version", "H"), ("hdr_len", "H"), ("total_len", "I"), ("body_crc", "I"),
    ("crash_count", "I"), ("boot_count", "I"), ("reason", "I"), ("code", "I"),
    ("param", "16s"), ("flags", "I"), ("stage", "I"), ("cpuid", "I"), ("arch", "B"),
    ("build_id_len", "B"), ("n_sections", "H"), ("build_id", "20s"), ("component", "32s"),
    ("reserved", "8s"), ("hdr_crc", "I"),
])
DUMP_SECTION = WireStruct("cd_dump_section_t", [
    ("type", "H"), ("flags", "H"), ("len", "I"), ("crc", "I"),
])
DUMP_REGS = WireStruct("cd_dump_regs_t", [
    ("r", "52s"), ("sp", "I"), ("lr", "I"), ("pc", "I"), ("xpsr", "I"), ("msp", "I"),
    ("psp", "I"), ("exc_return", "I"), ("control", "I"), ("primask", "I"), ("basepri", "I"),
    ("faultmask", "I"), ("msplim", "I"), ("psplim", "I"), ("valid", "I"),
])
DUMP_FAULT = WireStruct("cd_dump_fault_t", [
    ("cfsr", "I"), ("hfsr", "I"), ("dfsr", "I"), ("mmfar", "I"), ("bfar", "I"), ("afsr", "I"),
    ("shcsr", "I"), ("ccr", "I"), ("sfsr", "I"), ("sfar", "I"),
])
DUMP_FPU = WireStruct("cd_dump_fpu_t", [("s", "128s"), ("fpscr", "I")])
DUMP_MEM = WireStruct("cd_dump_mem_t", [
    ("addr", "I"), ("len", "I"), ("status", "i"), ("reserved", "I"),
])
DUMP_RING = WireStruct("cd_dump_ring_t", [("addr", "I"), ("reserved", "I")])
DUMP_THREAD = WireStruct("cd_dump_thread_t", [
    ("id", "I"), ("name", "16s"), ("stack_lo", "I"), ("stack_hi", "I"), ("sp", "I"),
    ("flags", "I"), ("context", "B"), ("reserved", "3s"), ("addr", "I"), ("len", "I"),
])
DUMP_LOCATOR = WireStruct("cd_dump_locator_t", [
    ("magic", "I"), ("partition_base", "I"), ("slot_size", "I"), ("n_slots", "I"),
    ("erase_size", "I"), ("dump_len", "32s"), ("crc", "I"),
])

DUMP_STRUCTS: Tuple[WireStruct, ...] = (RING_HDR, DUMP_HDR, DUMP_SECTION, DUMP_REGS, DUMP_FAULT,
                                        DUMP_FPU, DUMP_MEM, DUMP_LOCATOR, DUMP_RING, DUMP_THREAD)
