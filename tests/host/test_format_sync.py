# SPDX-License-Identifier: Apache-2.0
"""The host's copies of the C format and status definitions must match the C
headers exactly: firmware/include/crashdump/cd_status.h and cd_format.h."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Tuple

import pytest

from crashdump.dumpfile import format as dumpfile
from crashdump.protocol import wire
from crashdump.protocol.status import MESSAGES, Status

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = ROOT / "firmware" / "include"
STATUS_H = INCLUDE / "crashdump" / "cd_status.h"
FORMAT_H = INCLUDE / "crashdump" / "cd_format.h"
ALL_STRUCTS = wire.WIRE_STRUCTS + wire.DUMP_WIRE_STRUCTS + dumpfile.DUMP_STRUCTS


def c_statuses() -> Dict[str, Tuple[int, str]]:
    text = STATUS_H.read_text()
    entries = re.findall(r'X\(\s*(CD_\w+)\s*,\s*(-?\d+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)', text)
    assert len(entries) >= 20, "the X(...) list in cd_status.h was not found"
    return {re.sub(r"^CD_(E_)?", "", name): (int(value), msg) for name, value, msg in entries}


def test_status_table_matches_cd_status_h() -> None:
    python = {s.name: (int(s), MESSAGES[s]) for s in Status}
    assert python == c_statuses()


def c_constants() -> Dict[str, int]:
    """Every constant cd_format.h defines, with its Python counterpart."""
    consts: Dict[str, int] = {
        "CD_PROTO_VERSION": wire.PROTO_VERSION,
        "CD_FRAME_HDR_LEN": wire.FRAME_HDR_LEN,
        "CD_FRAME_CRC_LEN": wire.FRAME_CRC_LEN,
        "CD_FRAME_OVERHEAD": wire.FRAME_OVERHEAD,
        "CD_FRAME_DELIM": wire.FRAME_DELIM,
        "CD_CMD_RESPONSE": wire.CMD_RESPONSE,
        "CD_LABEL_LEN": wire.LABEL_LEN,
        "CD_NAME_LEN": wire.NAME_LEN,
        "CD_BUILD_ID_MAX": wire.BUILD_ID_MAX,
        "CD_SRC_F_REATTACHED": wire.SRC_F_REATTACHED,
        "CD_SRC_F_SELF": wire.SRC_F_SELF,
        "CD_CAPTURE_F_FROM": wire.CAPTURE_F_FROM,
        "CD_SLOT_HDR_LEN": wire.SLOT_HDR_LEN,
        "sizeof(cd_guid_t)": wire.GUID_LEN,
    }
    consts.update({f"CD_CMD_{c.name}": int(c) for c in wire.Cmd})
    consts.update({f"CD_CAP_{c.name}": int(c) for c in wire.Caps if c.name})
    consts.update({f"CD_RING_STRIDE({n})": wire.ring_stride(n) for n in (1, 3, 4, 5, 64, 255)})
    consts.update(dump_constants())
    return consts


def dump_constants() -> Dict[str, int]:
    """The crash-dump part of cd_format.h."""
    consts: Dict[str, int] = {
        "CD_CAP_FPU": wire.CAP_FPU, "CD_ERASE_F_FORCE": wire.ERASE_F_FORCE,
        "CD_RING_MAGIC": dumpfile.RING_MAGIC, "CD_RING_VERSION": dumpfile.RING_VERSION,
        "CD_RING_HDR_CRC_LEN": dumpfile.RING_HDR_CRC_LEN,
        "CD_DUMP_MAGIC": dumpfile.DUMP_MAGIC, "CD_DUMP_VERSION": dumpfile.DUMP_VERSION,
        "CD_DUMP_HDR_CRC_LEN": dumpfile.DUMP_HDR_CRC_LEN, "CD_CRASH_MAGIC": wire.CRASH_MAGIC,
        "offsetof(cd_crash_record_t,crc)": wire.CRASH_RECORD_CRC_LEN,
        "CD_LOCATOR_MAGIC": dumpfile.LOCATOR_MAGIC, "CD_LOCATOR_SLOTS": dumpfile.LOCATOR_SLOTS,
        "offsetof(cd_dump_locator_t,crc)": dumpfile.LOCATOR_CRC_LEN,
        "CD_DUMP_F_TRUNCATED": dumpfile.DUMP_F_TRUNCATED, "CD_DUMP_F_NESTED": dumpfile.DUMP_F_NESTED,
        "CD_DUMP_F_BAD_SP": dumpfile.DUMP_F_BAD_SP, "CD_DUMP_F_FPU": dumpfile.DUMP_F_FPU,
        "CD_SEC_F_TRUNCATED": dumpfile.SEC_F_TRUNCATED, "CD_SEC_F_SELF": dumpfile.SEC_F_SELF,
        "CD_SEC_F_INTERRUPTED": dumpfile.SEC_F_INTERRUPTED,
        "CD_THREAD_F_CURRENT": dumpfile.THREAD_F_CURRENT, "CD_THREAD_F_SP_OUT": dumpfile.THREAD_F_SP_OUT,
        "CD_REGS_V_FRAME": dumpfile.REGS_V_FRAME, "CD_REGS_V_CALLEE": dumpfile.REGS_V_CALLEE,
        "CD_REGS_V_SPECIAL": dumpfile.REGS_V_SPECIAL, "CD_REGS_V_BASEPRI": dumpfile.REGS_V_BASEPRI,
        "CD_REGS_V_SPLIM": dumpfile.REGS_V_SPLIM,
    }
    for prefix, enum_type in (("CD_CMD_", wire.DumpCmd), ("CD_SLOT_", wire.SlotState),
                              ("CD_REASON_", dumpfile.Reason), ("CD_ARCH_", dumpfile.Arch),
                              ("CD_SEC_", dumpfile.SecType), ("CD_FAULT_", wire.FaultKind),
                              ("CD_CTX_", dumpfile.ContextLayout)):
        consts.update({prefix + m.name: int(m) for m in enum_type})
    return consts


def test_every_dump_constant_in_the_header_is_known() -> None:
    text = FORMAT_H.read_text()
    names = set(re.findall(r"\b(CD_(?:SLOT|REASON|ARCH|SEC|FAULT|CTX)_[A-Z0-9_]+)\s*=", text))
    names |= set(re.findall(r"#define\s+(CD_(?:DUMP_F|SEC_F|REGS_V|ERASE_F|THREAD_F)_\w+)\b",
                            text))
    assert len(names) > 40
    missing = names - set(dump_constants())
    assert not missing, f"cd_format.h constants missing in wire.py or dumpfile/format.py: {sorted(missing)}"
    assert set(wire.FaultKind) == set(wire.FAULT_KIND_HELP), "a fault kind lacks help text"


def test_bugcheck_assert_code_matches_crashdump_h() -> None:
    from crashdump.decode.fault import BUGCHECK_ASSERT
    text = (INCLUDE / "crashdump" / "crashdump.h").read_text()
    m = re.search(r"#define\s+CD_BUGCHECK_ASSERT\s+(0x[0-9A-Fa-f]+)u?", text)
    assert m, "CD_BUGCHECK_ASSERT not found in crashdump.h"
    assert int(m.group(1), 16) == BUGCHECK_ASSERT


def test_every_command_and_capability_in_the_header_is_known() -> None:
    text = FORMAT_H.read_text()
    c_cmds = set(re.findall(r"\b(CD_CMD_\w+)\s*=", text))
    c_caps = set(re.findall(r"#define\s+(CD_CAP_\w+)\b", text))
    known = set(c_constants())
    assert c_cmds and c_caps
    assert c_cmds <= known, f"commands missing in wire.Cmd: {sorted(c_cmds - known)}"
    assert c_caps <= known, f"capabilities missing in wire.Caps: {sorted(c_caps - known)}"


def c_program() -> str:
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "crashdump/cd_format.h"',
             "int main(void) {"]
    for s in ALL_STRUCTS:
        lines.append(f'printf("S {s.c_name} %zu\\n", sizeof({s.c_name}));')
        for name, _ in s.fields:
            lines.append(f'printf("F {s.c_name}.{name} %zu %zu\\n", offsetof({s.c_name}, {name}),'
                         f' sizeof((({s.c_name} *)0)->{name}));')
    for expr in c_constants():
        lines.append(f'printf("C {expr.replace(" ", "")} %lld\\n", (long long)({expr}));')
    lines += ["return 0;", "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[int, ...]]:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no host C compiler (cc, gcc or clang)")
    tmp = tmp_path_factory.mktemp("format_sync")
    src, exe = tmp / "layout.c", tmp / "layout"
    src.write_text(c_program())
    build = subprocess.run([cc, "-std=c11", "-Wall", "-Werror", f"-I{INCLUDE}", str(src), "-o",
                            str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, f"compiling against cd_format.h failed:\n{build.stderr}"
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {key: tuple(int(v) for v in values)
            for _, key, *values in (line.split() for line in out.splitlines())}


@pytest.mark.parametrize("struct", ALL_STRUCTS, ids=lambda s: s.c_name)
def test_struct_layout_matches_cd_format_h(struct: wire.WireStruct,
                                           c_layout: Dict[str, Tuple[int, ...]]) -> None:
    assert c_layout[struct.c_name] == (struct.size,)
    for name, _ in struct.fields:
        assert c_layout[f"{struct.c_name}.{name}"] == (struct.offsets[name], struct.sizes[name]), \
            f"{struct.c_name}.{name}: (offset, size) differ between C and Python"


def test_constants_match_cd_format_h(c_layout: Dict[str, Tuple[int, ...]]) -> None:
    for expr, value in c_constants().items():
        assert c_layout[expr.replace(" ", "")] == (value,), expr
