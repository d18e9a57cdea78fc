# SPDX-License-Identifier: Apache-2.0
"""crashdump gdbserver: the target model (registers, memory) and the RSP loop,
with dumps built by crashdump.dumpfile.build; the CLI through --pipe and --port as
a real subprocess. GDB itself is exercised in tests/e2e/test_gdb.py."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from crashdump import rsp
from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.format import (REGS_V_BASEPRI, REGS_V_CALLEE, REGS_V_FRAME, REGS_V_SPECIAL,
                                       SEC_F_SELF, Arch, Reason)
from crashdump.dumpfile.parse import FaultRegs, Fpu, MemBlock, Regs, parse_dump
from crashdump.gdbserver import RspServer, Target
from crashdump.gdbserver.target import SIGABRT, SIGALRM, SIGBUS, SIGFPE, SIGSEGV

SP = 0x20001F00
STACK = bytes(range(256))
TRIAGE_ADDR = 0x20002028
TRIAGE = b"DEMO" + bytes([1, 0, 0, 0]) + bytes(8)
ALL_VALID = REGS_V_FRAME | REGS_V_CALLEE | REGS_V_SPECIAL | REGS_V_BASEPRI


class FakeElf:
    """Read-only sections only: 0x1000.. holds 0x100 bytes of 0xA5."""

    build_id = None

    def read(self, addr: int, size: int) -> Optional[bytes]:
        if 0x1000 <= addr and addr + size <= 0x1100:
            return b"\xa5" * size
        return None


def regs(valid: int = ALL_VALID, exc_return: int = 0xFFFFFFF9, **kw: int) -> Regs:
    base = dict(r=tuple(0xCD000000 | n << 16 | 1 for n in range(13)), sp=SP, lr=0x28B1,
                pc=0x2952, xpsr=0x21000000, msp=SP - 0x20, psp=0x20003000,
                exc_return=exc_return, control=0, primask=1, basepri=0x40, faultmask=0,
                valid=valid)
    base.update(kw)
    return Regs(**base)  # type: ignore[arg-type]


def make_target(*, fpu: bool = False, elf: Optional[FakeElf] = None, **kw) -> Target:
    args = dict(regs=regs(), fault=FaultRegs(cfsr=1 << 9 | 1 << 15, bfar=0x60000000,
                                             hfsr=1 << 30),
                stack=MemBlock(SP, STACK), triage=[MemBlock(TRIAGE_ADDR, TRIAGE)], code=5)
    if fpu:
        args["fpu"] = Fpu(s=tuple(0x4C000000 | n << 16 | 1 for n in range(32)),
                          fpscr=0xF0000001)
    args.update(kw)
    return Target(parse_dump(build_dump(**args)), elf)  # type: ignore[arg-type]


def reg_values(t: Target) -> Dict[str, Optional[int]]:
    return {r.name: r.value for r in t.registers}


# ---------------------------------------------------------------- registers


def test_core_registers_in_gdb_order_with_values() -> None:
    t = make_target()
    names = [r.name for r in t.registers]
    assert names[:17] == [f"r{n}" for n in range(13)] + ["sp", "lr", "pc", "xpsr"]
    g = t.read_registers()
    assert g[:8] == b"010000cd"                       # r0 0xcd000001, little-endian
    assert g[15 * 8:16 * 8] == (0x2952).to_bytes(4, "little").hex().encode()
    assert t.read_register(13) == SP.to_bytes(4, "little").hex().encode()
    assert t.read_register(len(t.registers)) is None


def test_uncaptured_registers_are_unavailable_not_zero() -> None:
    # stack overflow: the exception frame could not be read (frame bit clear)
    t = make_target(regs=regs(valid=REGS_V_CALLEE | REGS_V_SPECIAL, pc=0, lr=0))
    v = reg_values(t)
    assert v["lr"] is None and v["r0"] is None and v["r12"] is None and v["xpsr"] is None
    assert v["r4"] == 0xCD040001 and v["sp"] == SP
    assert t.read_register(14) == b"xxxxxxxx"
    # GDB cannot attach without a PC: 0, with a warning saying so
    assert v["pc"] == 0 and any("no PC" in w for w in t.warnings)
    assert not make_target().warnings
    assert "basepri" not in v  # its valid bit is clear: not offered at all


def test_no_registers_section_still_serves_memory() -> None:
    t = make_target(regs=None)
    assert set(reg_values(t).values()) == {None}
    assert t.read_memory(SP, 4) == STACK[:4]


def test_active_stack_pointer_is_the_interrupted_sp() -> None:
    msp_thread = reg_values(make_target(regs=regs(exc_return=0xFFFFFFF9)))
    assert msp_thread["msp"] == SP and msp_thread["psp"] == 0x20003000
    psp_thread = reg_values(make_target(regs=regs(exc_return=0xFFFFFFFD)))
    assert psp_thread["psp"] == SP and psp_thread["msp"] == SP - 0x20
    bugcheck = reg_values(make_target(regs=regs(exc_return=0, msp=SP)))
    assert bugcheck["msp"] == SP and bugcheck["exc_return"] == 0


def test_fpu_registers_as_vfp_d_registers() -> None:
    t = make_target(fpu=True)
    v = reg_values(t)
    assert v["d0"] == 0x4C010001 << 32 | 0x4C000001   # s1:s0
    assert v["d15"] == 0x4C1F0001 << 32 | 0x4C1E0001
    assert v["fpscr"] == 0xF0000001
    assert "d0" not in reg_values(make_target())


def test_target_xml_features() -> None:
    root = ET.fromstring(make_target(fpu=True).target_xml())
    features = {f.get("name"): [r.get("name") for r in f] for f in root.iter("feature")}
    assert root.findtext("architecture") == "arm"
    assert features["org.gnu.gdb.arm.m-profile"][-4:] == ["sp", "lr", "pc", "xpsr"]
    assert features["org.gnu.gdb.arm.m-system"] == ["msp", "psp"]
    assert features["org.gnu.gdb.arm.vfp"] == [f"d{n}" for n in range(16)] + ["fpscr"]
    assert "control" in features["org.crashdump.arm.m-special"]
    # the xml order is the g packet's order
    xml_order = [r.get("name") for r in root.iter("reg")]
    assert xml_order == [r.name for r in make_target(fpu=True).registers]
    assert {r.get("bitsize") for r in root.iter("reg") if r.get("name", "").startswith("d")} \
        == {"64"}


@pytest.mark.parametrize("reason, code, cfsr, signal", [
    (Reason.FAULT, 5, 0, SIGBUS), (Reason.FAULT, 3, 0, SIGSEGV),
    (Reason.FAULT, 6, 1 << 25, SIGFPE), (Reason.BUGCHECK, 0xB0660008, 0, SIGABRT),
    (Reason.WATCHDOG, 16, 0, SIGALRM)])
def test_stop_signal(reason: int, code: int, cfsr: int, signal: int) -> None:
    t = make_target(reason=reason, code=code, fault=FaultRegs(cfsr=cfsr))
    assert t.stop_signal == signal


# ---------------------------------------------------------------- memory


def test_memory_from_stack_triage_and_elf() -> None:
    t = make_target(elf=FakeElf())
    assert t.read_memory(SP + 16, 8) == STACK[16:24]
    assert t.read_memory(TRIAGE_ADDR, len(TRIAGE)) == TRIAGE
    assert t.read_memory(0x1010, 4) == b"\xa5" * 4


def test_rings_at_their_recorded_ram_address() -> None:
    image = build_ring([b"one", b"two"], item_size=8, count=4)
    t = make_target(rings=[(image, SEC_F_SELF, 0x20300040), image])  # the second: address 0
    assert t.read_memory(0x20300040, len(image)) == image
    assert t.read_memory(0x20300040 + len(image), 4) == b""
    assert t.read_memory(0, 4) == b""


def test_memory_not_in_the_dump_is_not_readable() -> None:
    t = make_target(elf=FakeElf())
    assert t.read_memory(0x30000000, 4) == b""
    assert t.read_memory(SP - 4, 4) == b""                  # just below the stack
    assert t.read_memory(SP + 250, 16) == STACK[250:]        # a prefix, then the end
    assert t.read_memory(0x10FE, 4) == b"\xa5\xa5"           # end of the ELF section
    assert make_target().read_memory(0x1010, 4) == b""       # no ELF: no code


def test_fault_status_registers_at_their_scb_addresses() -> None:
    t = make_target()
    assert t.read_memory(0xE000ED28, 4) == (1 << 9 | 1 << 15).to_bytes(4, "little")
    assert t.read_memory(0xE000ED38, 4) == (0x60000000).to_bytes(4, "little")
    assert t.read_memory(0xE000ED00, 4) == (0x410FC231).to_bytes(4, "little")
    # ARMv6-M has no fault status registers: not zeros, unreadable
    v6 = make_target(arch=Arch.V6M, fault=FaultRegs())
    assert v6.read_memory(0xE000ED28, 4) == b""


# ---------------------------------------------------------------- RSP loop


class Session:
    """Drives an RspServer like GDB does: framing, acks, replies."""

    def __init__(self, target: Target) -> None:
        self.server = RspServer(target)
        self.reader = rsp.PacketReader()

    def raw(self, data: bytes) -> List[Tuple[str, bytes]]:
        return self.reader.feed(self.server.feed(data))

    def ask(self, payload: bytes) -> bytes:
        events = self.raw(rsp.encode(payload))
        packets = [p for kind, p in events if kind == "packet"]
        if self.server.ack_mode or payload == b"QStartNoAckMode":
            assert events[0] == ("ack", b"+"), events
        assert len(packets) == 1, events
        return packets[0]


@pytest.fixture
def session() -> Session:
    return Session(make_target(elf=FakeElf()))


def test_handshake_as_gdb_13_sends_it(session: Session) -> None:
    supported = session.ask(b"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
                            b"xmlRegisters=arm")
    assert b"qXfer:features:read+" in supported and b"PacketSize=" in supported
    assert session.ask(b"QStartNoAckMode") == b"OK"
    assert not session.server.ack_mode
    assert session.ask(b"vMustReplyEmpty") == b""
    assert session.ask(b"Hg0") == b"OK"
    assert session.ask(b"qAttached") == b"1"
    assert session.ask(b"qC") == b"QC1"
    assert session.ask(b"qfThreadInfo") == b"m1" and session.ask(b"qsThreadInfo") == b"l"
    assert session.ask(b"?") == b"T0athread:1;"     # BusFault -> SIGBUS (10)
    assert session.ask(b"vCont?").startswith(b"vCont;")
    assert session.ask(b"qTStatus") == b""          # unknown: empty reply


def test_target_xml_in_chunks(session: Session) -> None:
    xml = session.server.target.target_xml()
    got, offset = b"", 0
    while True:
        reply = session.ask(b"qXfer:features:read:target.xml:%x,%x" % (offset, 100))
        got += reply[1:]
        offset += len(reply) - 1
        if reply[:1] == b"l":
            break
        assert reply[:1] == b"m"
    assert got == xml
    assert session.ask(b"qXfer:features:read:other.xml:0,100").startswith(b"E")


def test_registers_and_memory_packets(session: Session) -> None:
    assert session.ask(b"g") == session.server.target.read_registers()
    assert session.ask(b"pf") == (0x2952).to_bytes(4, "little").hex().encode()
    assert session.ask(b"p63").startswith(b"E")
    assert session.ask(b"m%x,8" % SP) == STACK[:8].hex().encode()
    assert session.ask(b"m30000000,4") == b"E14"
    assert session.ask(b"m%x,4" % (SP + 254)) == STACK[254:].hex().encode()  # partial


def test_writes_are_refused_and_memory_unchanged(session: Session) -> None:
    for packet in (b"M%x,4:00000000" % SP, b"X%x,0:" % SP, b"P0=00000000",
                   b"G" + b"00" * 68):
        assert session.ask(packet).startswith(b"E"), packet
    assert session.ask(b"m%x,4" % SP) == STACK[:4].hex().encode()


def test_continue_reports_the_same_stop(session: Session) -> None:
    assert session.ask(b"c") == session.ask(b"?")
    assert session.ask(b"vCont;c") == session.ask(b"?")


def test_malformed_packets_get_an_error_not_a_crash(session: Session) -> None:
    for packet in (b"mzz,4", b"m100", b"pxyz", b"qXfer:features:read:target.xml:zz",
                   b"m" + b"f" * 12 + b",4"):
        assert session.ask(packet).startswith(b"E"), packet
    assert session.ask(b"m%x,0" % SP) == b""


def test_bad_checksum_is_nakked_and_a_nak_resends(session: Session) -> None:
    assert session.raw(b"$g#00") == [("nak", b"-")]
    first = session.raw(rsp.encode(b"qC"))
    assert session.raw(b"-") == [first[1]]               # the reply again


def test_interrupt_reports_the_stop(session: Session) -> None:
    assert session.raw(rsp.INTERRUPT) == [("packet", b"T0athread:1;")]


def test_detach_and_kill_end_the_session() -> None:
    s = Session(make_target())
    assert s.ask(b"D") == b"OK" and s.server.done
    k = Session(make_target())
    assert k.raw(rsp.encode(b"k")) == [("ack", b"+")] and k.server.done


# ---------------------------------------------------------------- CLI


def host_elf() -> Path:
    """Any ELF this host has: the CLI needs a real file; its build-id differs
    from the dump's, which gives the mismatch warning."""
    path = Path(os.path.realpath(sys.executable))
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            pytest.skip("the Python interpreter is not an ELF file")
    return path


def dump_file(tmp_path: Path) -> Path:
    path = tmp_path / "crash.cdmp"
    path.write_bytes(build_dump(regs=regs(), stack=MemBlock(SP, STACK), code=5,
                                build_id=bytes(20)))
    return path


def cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crashdump", "gdbserver", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def test_cli_pipe_mode(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--pipe")
    packets = b"".join(rsp.encode(p) for p in (b"qSupported", b"?", b"m%x,4" % SP, b"D"))
    out, err = proc.communicate(packets, timeout=20)
    assert proc.returncode == 0, err
    events = rsp.PacketReader().feed(out)
    replies = [p for kind, p in events if kind == "packet"]
    assert replies[1:] == [b"T0athread:1;", STACK[:4].hex().encode(), b"OK"]
    assert b"build-id mismatch" in err and b"is not an Arm ELF" in err  # --force-elf: warnings


def test_cli_pipe_ends_when_gdb_goes_away(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--pipe")
    out, err = proc.communicate(rsp.encode(b"g"), timeout=20)
    assert proc.returncode == 0, err
    assert out.startswith(b"+$")


def test_cli_tcp_mode_prints_target_remote(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port", "0")
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().decode(), proc.stdout.readline().decode()]
        m = re.search(r"target remote 127\.0\.0\.1:(\d+)", "".join(lines))
        assert m, lines
        with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=10) as s:
            s.sendall(rsp.encode(b"m%x,4" % SP))
            reader, got = rsp.PacketReader(), []
            while not any(k == "packet" for k, _ in got):
                got += reader.feed(s.recv(4096))
            assert got == [("ack", b"+"), ("packet", STACK[:4].hex().encode())]
            s.sendall(rsp.encode(b"k"))
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.communicate()


def ask_over_tcp(address: Tuple[str, int], family: int = socket.AF_INET) -> bytes:
    """One GDB-like session: read 4 bytes of stack, then `k`."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(address)
        s.sendall(rsp.encode(b"m%x,4" % SP))
        reader, got = rsp.PacketReader(), []
        while not any(k == "packet" for k, _ in got):
            got += reader.feed(s.recv(4096))
        s.sendall(rsp.encode(b"k"))
        return [p for k, p in got if k == "packet"][0]


def test_cli_persist_serves_sessions_until_interrupted(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port", "0",
               "--persist", "--json")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["host"] == "127.0.0.1" and doc["persist"] is True
        assert doc["address"] == f"127.0.0.1:{doc['port']}"
        for _ in range(3):
            assert ask_over_tcp(("127.0.0.1", doc["port"])) == STACK[:4].hex().encode()
        assert proc.poll() is None  # still serving after GDB killed the sessions
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        err = proc.stderr.read().decode()
        assert err.count("GDB connected from 127.0.0.1:") == 3, err
        assert err.rstrip().endswith("stopped") and "Traceback" not in err, err
    finally:
        proc.kill()
        proc.communicate()


def test_cli_one_session_by_default_and_says_so(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port", "0",
               "--json")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["persist"] is False
        ask_over_tcp(("127.0.0.1", doc["port"]))
        assert proc.wait(timeout=20) == 0
        assert "GDB session from 127.0.0.1:" in proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.communicate()


def test_cli_bind_address(tmp_path: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port", "0",
               "--bind", "::1", "--json")
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["host"] == "::1" and doc["address"] == f"[::1]:{doc['port']}"
        assert ask_over_tcp(("::1", doc["port"]), socket.AF_INET6) == STACK[:4].hex().encode()
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.communicate()
    # an address this machine does not have (TEST-NET-1) is a clear error
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--gdb-port", "0",
               "--bind", "192.0.2.1")
    _, err = proc.communicate(timeout=20)
    text = err.decode()
    assert proc.returncode == 2, text
    assert "error: gdbserver " in text and "cannot listen on 192.0.2.1:0: " in text, text
    assert "hint: --gdb-port 0 picks a free port; --bind takes a local address" in text


def test_cli_old_port_option_still_works_with_a_warning(tmp_path: Path) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--port", "0",
               "--json")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        doc = json.loads(proc.stdout.readline())
        ask_over_tcp(("127.0.0.1", doc["port"]))
        assert proc.wait(timeout=20) == 0
        assert "gdbserver --port is deprecated" in proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.communicate()


@pytest.mark.parametrize("extra", [["--json"], ["--persist"], ["--bind", "0.0.0.0"]])
def test_cli_tcp_options_are_refused_with_pipe(tmp_path: Path, extra: List[str]) -> None:
    proc = cli(str(dump_file(tmp_path)), "--elf", str(host_elf()), "--force-elf", "--pipe", *extra)
    out, err = proc.communicate(b"", timeout=20)
    assert proc.returncode == 2
    assert "--json, --persist and --bind are for TCP (--gdb-port)" in err.decode()
    if "--json" in extra:  # the error as JSON, as --json asks
        assert json.loads(out)["error"]["operation"].startswith("gdbserver ")
    else:
        assert out == b""


@pytest.mark.parametrize("setup, code, words", [
    ("corrupt", 1, "not a crash dump"),
    ("no-elf", 2, "does not exist"),
    ("no-mode", 2, "exactly one of --gdb-port N or --pipe"),
    ("missing-dump", 2, "cannot read"),
    ("not-forced", 2, "is not an Arm ELF (e_machine "),
    ("no-symbols", 2, "no ELF with build-id 0000"),
])
def test_cli_errors(tmp_path: Path, setup: str, code: int, words: str) -> None:
    dump = dump_file(tmp_path)
    elf = str(host_elf())
    args = [str(dump), "--elf", elf, "--pipe", "--force-elf"]
    if setup == "corrupt":
        dump.write_bytes(b"garbage" * 40)
    elif setup == "no-elf":
        args[2] = str(tmp_path / "nope.elf")
    elif setup == "no-mode":
        args = args[:3]
    elif setup == "missing-dump":
        args[0] = str(tmp_path / "nope.cdmp")
    elif setup == "not-forced":  # the host's ELF is neither for Arm nor the dump's build
        args = args[:4]
    elif setup == "no-symbols":
        args = [args[0], "--symbols", str(tmp_path), "--pipe"]
    proc = cli(*args)
    out, err = proc.communicate(b"", timeout=20)
    text = err.decode()
    assert proc.returncode == code, text
    assert text.startswith(f"error: gdbserver {args[0]}: ") and words in text, text
    assert "Traceback" not in text
    assert "\nhint: " in text, text  # every error has one (a generic one at least)
    assert out == b""
