# SPDX-License-Identifier: Apache-2.0
"""A small GDB stub on a thread, shaped like QEMU 7.2's: acks (no no-ack
mode), a stop reply sent unasked on connect when the guest runs, target.xml
with an xi:include, register reads refused until target.xml was read, at most
2048 bytes per `m`, `Exx` for unmapped memory, `qRcmd system_reset`.
It records every packet so tests can count them.

How the guest's run state follows the session is the stub's `flavour`:
- "qemu" (QEMU 7.2 gdbstub.c): attaching pauses the guest; any byte but an
  ack received while the guest runs pauses it and is dropped (gdb_read_byte),
  so only ^C works then; `D` resumes the guest; closing the connection changes nothing.
- "renode" (Renode 1.15.3-1.16.1 GdbStub.cs): attaching stops the CPU in
  single-step mode, which closing the connection ends (the guest runs on);
  ^C pauses it and a close does not undo that; `c` resumes; `D` does nothing;
  `?` answers S00.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from crashdump.rsp import PacketReader, encode

TARGET_XML = (b'<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
              b'<target><architecture>arm</architecture>'
              b'<xi:include href="arm-m-profile.xml"/>%s</target>')
M_PROFILE = (b'<?xml version="1.0"?><feature name="org.gnu.gdb.arm.m-profile">'
             + b"".join(b'<reg name="r%d" bitsize="32"/>' % i for i in range(13))
             + b'<reg name="sp" bitsize="32" type="data_ptr"/><reg name="lr" bitsize="32"/>'
             b'<reg name="pc" bitsize="32" type="code_ptr"/>'
             b'<reg name="xpsr" bitsize="32" regnum="25"/></feature>')
VFP = (b'<feature name="org.gnu.gdb.arm.vfp">'
       + b"".join(b'<reg name="d%d" bitsize="64" type="ieee_double"/>' % i for i in range(16))
       + b'<reg name="fpscr" bitsize="32" group="float"/></feature>')
M_SYSTEM = (b'<feature name="org.gnu.gdb.arm.m-system">'
            b'<reg name="msp" bitsize="32"/><reg name="psp" bitsize="32"/>'
            b'<reg name="primask" bitsize="8"/><reg name="basepri" bitsize="8"/>'
            b'<reg name="faultmask" bitsize="8"/><reg name="control" bitsize="8"/></feature>')

CPUID_M3 = 0x410FC231
RESET_PC = 0x101


@dataclass
class FakeStub:
    """Guest state and stub behaviour; change the fields before connecting."""

    running: bool = True                  # guest state before a client attaches
    fpu: bool = False                     # d0-d15/fpscr in the description
    system_regs: bool = False             # msp/psp/primask/... (Renode, newer QEMU)
    x_packets: bool = True                # answers `X` (QEMU 7.2 does)
    max_m: int = 2048
    cpuid: int = CPUID_M3
    silent: bool = False                  # stops answering (timeouts)
    regs: Dict[int, int] = field(default_factory=dict)
    memory: Dict[int, bytearray] = field(default_factory=dict)
    packets: List[bytes] = field(default_factory=list)
    resets: int = 0
    breakpoints: Set[int] = field(default_factory=set)   # Z1 addresses
    detached: bool = False
    flavour: str = "qemu"                 # or "renode": see the module docstring
    attach_stop: bool = False             # renode: stopped only by the attach (single-step mode)
    late_stop: bool = False               # the attach's stop reply comes after qSupported's reply

    def __post_init__(self) -> None:
        if not self.memory:
            self.memory = {0x0: bytearray(0x10000), 0x20000000: bytearray(0x10000),
                           0xE000E000: bytearray(0x1000)}
            self.memory[0x0][0:8] = (0x20010000).to_bytes(4, "little") + RESET_PC.to_bytes(4, "little")
            self.memory[0xE000E000][0xD00:0xD04] = self.cpuid.to_bytes(4, "little")
        self.regs = {i: 0x1000 + i for i in range(16)} | {25: 0x01000000} | self.regs
        if self.fpu:
            self.regs.update({26 + i: 0x3FF0000000000000 + i for i in range(16)})
            self.regs[42] = 0
        if self.system_regs:
            base = 43 if self.fpu else 26
            self.regs.update({base: 0x20010000, base + 1: 0x20008000, base + 2: 1,
                              base + 3: 0, base + 4: 0, base + 5: 2})

    def target_xml(self) -> bytes:
        return TARGET_XML % ((VFP if self.fpu else b"") + (M_SYSTEM if self.system_regs else b""))

    def regsize(self, num: int) -> int:
        if self.fpu and 26 <= num <= 41:
            return 8
        base = 43 if self.fpu else 26
        if self.system_regs and base + 2 <= num <= base + 5:
            return 1
        return 4

    def region(self, addr: int, length: int) -> Optional[Tuple[bytearray, int]]:
        for base, mem in self.memory.items():
            if base <= addr and addr + length <= base + len(mem):
                return mem, addr - base
        return None


class FakeRspServer:
    """Serves one FakeStub on 127.0.0.1:<port> to one client at a time."""

    def __init__(self, stub: Optional[FakeStub] = None) -> None:
        self.stub = stub or FakeStub()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(0.05)  # so close() stops the accept loop promptly
        self._stop = threading.Event()
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._conn: Optional[socket.socket] = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop()
        self._thread.join(2)

    def drop(self) -> None:
        """Closes the client's connection, like a stub that died."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def settle(self, timeout: float = 2.0) -> FakeStub:
        """The stub once the server has seen the client go (a close takes
        effect on the server's thread)."""
        deadline = time.monotonic() + timeout
        while (self._conn is not None or self.connections == 0) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self._conn is None, "the client is still connected"
        return self.stub

    def __enter__(self) -> "FakeRspServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ serving

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.connections += 1
            self._conn = conn
            try:
                self._session(conn)
            except OSError:
                pass
            finally:
                conn.close()
                self._conn = None
                if self.stub.attach_stop:  # Renode: closing ends single-step mode
                    self.stub.attach_stop = False
                    self.stub.running = True

    def _session(self, conn: socket.socket) -> None:
        stub = self.stub
        self._xml_read = False
        if stub.running:  # attaching stops the guest, and the stub says so
            stub.running = False
            stub.attach_stop = stub.flavour == "renode"
            if not stub.late_stop:
                conn.sendall(encode(b"T05thread:01;"))
        reader = PacketReader()
        while True:
            data = conn.recv(65536)
            if not data:
                return
            rest = data.lstrip(b"+-")  # acks of its own packets never stop QEMU's guest
            if stub.running and stub.flavour == "qemu" and rest:
                # QEMU pauses a running guest at any other byte, which is lost
                stub.running = False
                conn.sendall(encode(b"T02thread:01;"))
                data = data[:len(data) - len(rest)] + rest[1:]
            for kind, payload in reader.feed(data):
                if kind == "interrupt":
                    if stub.running or stub.attach_stop:
                        stub.running = stub.attach_stop = False
                        conn.sendall(encode(b"T02thread:01;"))
                elif kind == "packet":
                    stub.packets.append(payload)  # before the ack: a test may look right after it
                    conn.sendall(b"+")
                    if stub.silent:
                        continue
                    reply = self._handle(payload)
                    if stub.late_stop and payload.startswith(b"qSupported") and stub.attach_stop:
                        # Renode's CPU thread may report the attach after the first reply
                        conn.sendall(encode(reply) + encode(b"T05thread:01;"))
                        continue
                    if reply is not None and reply[:1] == b"O" and reply != b"OK":
                        conn.sendall(encode(reply))  # console output, then the result
                        reply = b"OK"
                    if reply is not None:
                        conn.sendall(encode(reply))

    def _handle(self, p: bytes) -> Optional[bytes]:
        stub = self.stub
        if p.startswith(b"qSupported"):
            return b"PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+"
        if p.startswith(b"qXfer:features:read:"):
            annex, span = p[len(b"qXfer:features:read:"):].split(b":")
            doc = {b"target.xml": stub.target_xml(), b"arm-m-profile.xml": M_PROFILE}.get(annex)
            if doc is None:
                return b"E00"
            self._xml_read = True
            off, length = (int(x, 16) for x in span.split(b","))
            part = doc[off:off + length]
            return (b"l" if off + length >= len(doc) else b"m") + part
        if p == b"?":
            return b"S00" if stub.flavour == "renode" else b"T05thread:01;"
        if p[:1] == b"m":
            addr, length = (int(x, 16) for x in p[1:].split(b","))
            if length > stub.max_m:
                return b"E22"
            found = stub.region(addr, length)
            if found is None:
                return b"E14"
            mem, off = found
            return mem[off:off + length].hex().encode()
        if p[:1] in (b"M", b"X"):
            if p[:1] == b"X" and not stub.x_packets:
                return b""
            head, data = p[1:].split(b":", 1)
            addr, length = (int(x, 16) for x in head.split(b","))
            payload = bytes.fromhex(data.decode()) if p[:1] == b"M" else data
            if length == 0:
                return b"OK"
            found = stub.region(addr, length)
            if found is None:
                return b"E14"
            mem, off = found
            mem[off:off + length] = payload[:length]
            return b"OK"
        if p[:1] == b"p":
            num = int(p[1:], 16)
            if not self._xml_read:
                return b""  # QEMU answers registers only after target.xml
            if num not in stub.regs:
                return b"E14"
            return stub.regs[num].to_bytes(stub.regsize(num), "little").hex().encode()
        if p[:1] == b"P":
            num, value = p[1:].split(b"=")
            n = int(num, 16)
            if n not in stub.regs:
                return b"E14"
            stub.regs[n] = int.from_bytes(bytes.fromhex(value.decode()), "little")
            return b"OK"
        if p == b"g":
            return b"".join(stub.regs[i].to_bytes(4, "little").hex().encode() for i in range(16))
        if p == b"c":
            stub.running, stub.attach_stop = True, False
            return None
        if p == b"s":
            stub.regs[15] += 2
            return b"T05thread:01;"
        if p.startswith(b"qRcmd,"):
            cmd = bytes.fromhex(p[6:].decode()).decode()
            if cmd == "system_reset":
                stub.resets += 1
                stub.regs[15] = RESET_PC & ~1
                return b"OK"
            if cmd == "echo":
                return b"O" + b"hi\n".hex().encode()
            return b"E01"
        if p[:2] in (b"Z1", b"z1"):
            addr = int(p[3:].split(b",")[0], 16)
            (stub.breakpoints.add if p[:1] == b"Z" else stub.breakpoints.discard)(addr)
            return b"OK"
        if p == b"D":
            stub.detached = True
            if stub.flavour == "qemu":
                stub.running = True
            return b"OK"
        return b""
