# SPDX-License-Identifier: Apache-2.0
"""A GDB remote serial protocol (RSP) client over TCP, for emulator GDB stubs.

Written for QEMU's `-gdb tcp::PORT` stub and Renode's `machine StartGdbServer
PORT`; it speaks only what both implement (all-stop mode, no threads):

    with RspClient("127.0.0.1", 1234) as rsp:
        rsp.halt()
        data = rsp.read_memory(0x20000000, 65536)   # chunked `m` packets
        pc = rsp.read_register("pc")                 # `p`, numbered from target.xml
        rsp.resume()

Why the opening handshake looks the way it does (all seen with QEMU 7.2):
- Attaching pauses the guest, and QEMU then sends a stop reply nobody asked
  for. The client drains it; its presence tells that the guest was running
  before we attached (QEMU started with -S sends none), so `found_running`
  can leave the target as found.
- QEMU answers register reads only after the client has read `target.xml`,
  so the register numbering is read from it (includes followed) first.
- `m` is capped per packet (QEMU: 2048 bytes, half its 4096-byte PacketSize);
  reads are chunked to that and pipelined a few packets deep (QEMU 7.2 has no
  no-ack mode; on TCP acks are a formality, so the client does not wait for them
  between pipelined reads).
- Reset is a monitor command (`qRcmd`): `system_reset` in QEMU. Renode's
  monitor syntax differs (e.g. `machine Reset`); pass `reset_command`.

Ending a session (`leave()`) restores a run state without `D`, because no
`D` does that on both stubs (QEMU 7.2 gdbstub.c, Renode 1.15.3-1.16.1
renode-infrastructure src/Emulator/Main/Utilities/GDB/):
- QEMU pauses a running guest at the first byte it receives and drops that
  byte (gdb_read_byte), so a `D` sent to a running guest is lost and leaves it
  paused; its `D` to a stopped guest resumes it (handle_detach), so it cannot
  leave one halted; closing the connection changes nothing.
- Renode's `D` does nothing (Commands/DetachCommand.cs); its ^C pauses the CPU
  (GdbStub.cs, OnByteWritten: cpu.Pause()) and a close does not resume it
  (GdbStub.cs, OnConnectionClosed only leaves single-step mode), while a guest
  stopped only by the attach (single-step mode) runs on at the close.
So: to leave it running, `c` and close; to leave it halted, ^C and close.

Every failure is an RspError (a crashdump ProbeError): the stub's `Exx`
replies, packets it does not support, timeouts and a dead connection.
"""
from __future__ import annotations

import re
import socket
import threading
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from ..errors import ProbeError
from ..rsp import DEFAULT_MAX_BODY, INTERRUPT, ACK, NAK, PacketReader, encode

DEFAULT_TIMEOUT = 5.0
QEMU_RESET_COMMAND = "system_reset"
RENODE_RESET_COMMAND = "machine Reset"
PIPELINE_DEPTH = 4  # `m` requests in flight
# Bounds on what a stub can make the client hold, whatever it sends: the
# PacketSize believed (1 MiB), a target description (1 MiB, 64 documents) and
# a monitor command's output (1 MiB).
MAX_PACKET_SIZE = 1 << 20
MAX_DESCRIPTION = 1 << 20
MAX_DESCRIPTION_DOCUMENTS = 64
MAX_MONITOR_OUTPUT = 1 << 20


class RspError(ProbeError):
    """A GDB remote-protocol exchange failed."""


class RspConnectionError(RspError):
    """The stub cannot be reached, or closed the connection."""


class RspTimeoutError(RspError):
    """The stub did not answer in time."""


class RspErrorReply(RspError):
    """The stub answered `Exx`."""

    def __init__(self, request: str, code: int, *, address: Optional[int] = None,
                 length: Optional[int] = None) -> None:
        super().__init__(f"the GDB stub refused {request} (error E{code:02x})")
        self.request = request
        self.code = code
        self.address = address
        self.length = length


class RspUnsupportedError(RspError):
    """The stub answered a request with an empty packet: it does not implement it."""


class RegisterUnavailableError(RspError):
    """The stub's target description does not list the register."""


@dataclass(frozen=True)
class Register:
    """One register from the stub's target description."""

    name: str
    regnum: int
    bitsize: int
    feature: str


@dataclass(frozen=True)
class StopReply:
    """A stop reply: `T05...`/`S05` (stopped with a signal), `W00`/`X09` (exited)."""

    kind: str
    signal: int
    raw: bytes

    @property
    def exited(self) -> bool:
        return self.kind in "WX"


def parse_stop_reply(payload: bytes) -> Optional[StopReply]:
    """The stop reply in payload, or None if it is not one."""
    if len(payload) >= 3 and payload[:1] in (b"T", b"S", b"W", b"X"):
        try:
            return StopReply(payload[:1].decode(), int(payload[1:3], 16), payload)
        except ValueError:
            return None
    return None


def _is_error(reply: bytes) -> Optional[int]:
    if len(reply) == 3 and reply[:1] == b"E":
        try:
            return int(reply[1:], 16)
        except ValueError:
            return None
    return None


def parse_target_xml(documents: Dict[str, bytes], root: str = "target.xml") -> List[Register]:
    """The registers of a target description, numbered as GDB numbers them:
    in document order (xi:include expanded in place), each `regnum` attribute
    restarting the count."""
    registers: List[Register] = []
    next_num = [0]

    walks = [0]

    def walk(name: str, feature: str, depth: int) -> None:
        if depth > 8:
            raise RspError(f"target description includes nest too deep at {name}")
        walks[0] += 1
        if walks[0] > 4 * MAX_DESCRIPTION_DOCUMENTS:  # includes of includes multiply
            raise RspError("target description includes more than "
                           f"{4 * MAX_DESCRIPTION_DOCUMENTS} documents")
        try:
            # QEMU uses the xi: prefix without declaring its namespace.
            text = re.sub(rb"<(/?)xi:include", rb"<\1include", documents[name])
            text = re.sub(rb'\sxmlns:xi="[^"]*"', b"", text)
            tree = ElementTree.fromstring(text)
        except KeyError:
            raise RspError(f"target description {name} was not read") from None
        except ElementTree.ParseError as e:
            raise RspError(f"target description {name} is not valid XML: {e}") from None
        visit(tree, feature, depth)

    def visit(root: ElementTree.Element, feature: str, depth: int) -> None:
        # Iterative, in document order: a stub's deeply nested XML must not
        # exhaust Python's recursion limit.
        stack = [(root, feature)]
        while stack:
            elem, feature = stack.pop()
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "feature":
                feature = elem.get("name", feature)
            elif tag == "include":
                walk(elem.get("href", ""), feature, depth + 1)
                continue
            elif tag == "reg":
                registers.append(reg_of(elem, feature))
                continue
            stack.extend((child, feature) for child in reversed(list(elem)))

    def reg_of(elem: ElementTree.Element, feature: str) -> Register:
        try:
            num = int(elem.get("regnum", next_num[0]))
            bitsize = int(elem.get("bitsize", "32"))
        except ValueError:
            raise RspError(f"target description: register {elem.get('name', '?')!r} has a "
                           "regnum or bitsize that is not a number") from None
        if not 0 <= num < 1 << 16 or not 0 < bitsize <= 4096:
            raise RspError(f"target description: register {elem.get('name', '?')!r} has "
                           f"regnum {num} or bitsize {bitsize} out of range")
        next_num[0] = num + 1
        return Register(elem.get("name", "").lower(), num, bitsize, feature)

    walk(root, "", 0)
    return registers


def includes_of(document: bytes) -> List[str]:
    """The annexes a target description pulls in with xi:include."""
    return [m.decode(errors="replace")
            for m in re.findall(rb'<xi:include\s+href="([^"]+)"', document)]


class RspClient:
    """A connection to one GDB stub. Thread-safe: one exchange at a time.

    Life cycle: RspClient(...) -> open() (or `with`) -> use -> leave() (or
    close()). `running` is the client's view of the target: True after resume()
    until a stop reply arrives (poll_stop()) or halt().
    """

    def __init__(self, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT,
                 max_read: Optional[int] = None, reset_command: str = QEMU_RESET_COMMAND,
                 trace: Optional[Callable[[str, bytes], None]] = None,
                 connect_retry: float = 2.0) -> None:
        self.host = host
        self.connect_retry = connect_retry
        self.port = port
        self.timeout = timeout
        self.reset_command = reset_command
        self.trace = trace
        self.found_running = False
        self.running = False
        # The guest's stop survives a close on every stub: it was halted when
        # we came, or our ^C stopped it (not the attach, a step or a breakpoint).
        self._stop_sticks = True
        self.last_stop: Optional[StopReply] = None
        self.features: Dict[str, str] = {}
        self.registers: Dict[str, Register] = {}
        self.packet_size = 4096
        self._max_read_override = max_read
        self.pipeline_depth = PIPELINE_DEPTH
        self._sock: Optional[socket.socket] = None
        self._reader = PacketReader(max_body=DEFAULT_MAX_BODY)
        self._queue: List[bytes] = []
        self._noack = False
        self._lock = threading.RLock()
        self._supports_x: Optional[bool] = None
        self._connecting = False

    # ------------------------------------------------------------ life cycle

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    @property
    def max_read(self) -> int:
        """Bytes per `m` packet: half the stub's PacketSize (hex doubles them)."""
        if self._max_read_override:
            return self._max_read_override
        return max(16, self.packet_size // 2)

    @property
    def max_write(self) -> int:
        """Bytes per `M` packet: the hex and the header must fit PacketSize."""
        return max(16, (self.packet_size - 32) // 2)

    def open(self) -> "RspClient":
        with self._lock:
            if self._sock is not None:
                return self
            sock = self._connect()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            try:
                self._handshake()
            except BaseException:
                self.close()
                raise
            return self

    def _connect(self) -> socket.socket:
        # A refused connection is retried briefly: QEMU opens its GDB port a
        # moment after its serial ports, so a caller that just saw the UART
        # listening may be early.
        deadline = time.monotonic() + self.connect_retry
        while True:
            try:
                return socket.create_connection((self.host, self.port), timeout=self.timeout)
            except ConnectionRefusedError as e:
                if time.monotonic() >= deadline:
                    raise RspConnectionError(f"cannot connect to the GDB stub at {self.address}: "
                                             f"{e.strerror or e}") from None
                time.sleep(0.05)
            except OSError as e:
                raise RspConnectionError(f"cannot connect to the GDB stub at {self.address}: "
                                         f"{e.strerror or e}") from None

    def _handshake(self) -> None:
        self._connecting = True
        try:
            self._connect_exchanges()
        finally:
            self._connecting = False
        self._stop_sticks = not self.found_running

    def _connect_exchanges(self) -> None:
        self._send(b"qSupported:multiprocess-;swbreak+;hwbreak+;xmlRegisters=arm")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._recv_by(deadline)
            stop = parse_stop_reply(reply)
            if stop is None:
                break
            # The unsolicited stop reply of a stub that paused a running guest.
            self.found_running = True
            self.last_stop = stop
        for item in reply.decode(errors="replace").split(";"):
            if "=" in item:
                key, value = item.split("=", 1)
                self.features[key] = value
            elif item.endswith(("+", "-", "?")):
                self.features[item[:-1]] = item[-1]
        try:
            size = int(self.features.get("PacketSize", "1000"), 16)
        except ValueError:
            size = self.packet_size
        # A stub's replies fit its PacketSize (we never ask for more); believe
        # it within sane limits, so a hostile value cannot unbound the reader.
        self.packet_size = max(64, min(size, MAX_PACKET_SIZE))
        self._reader.max_body = max(DEFAULT_MAX_BODY, self.packet_size + 64)
        if self.features.get("QStartNoAckMode") == "+":
            if self._exchange(b"QStartNoAckMode") == b"OK":
                self._noack = True
        stop = parse_stop_reply(self._exchange(b"?", stop_reply=True))
        if stop is None:
            raise RspError(f"the GDB stub at {self.address} gave no stop reply to '?'")
        self.last_stop = stop
        if stop.exited:
            raise RspError(f"the target behind {self.address} has exited")
        self.running = False
        self._read_target_description()

    def _read_target_description(self) -> None:
        if self.features.get("qXfer:features:read") != "+":
            return  # no description: only the `g` layout is known; p/P by number
        documents: Dict[str, bytes] = {}
        pending = ["target.xml"]
        while pending:
            name = pending.pop(0)
            if name in documents:
                continue
            if len(documents) >= MAX_DESCRIPTION_DOCUMENTS:
                raise RspError(f"the target description of {self.address} includes more than "
                               f"{MAX_DESCRIPTION_DOCUMENTS} documents")
            documents[name] = self._read_xfer("features", name)
            pending += includes_of(documents[name])
        for reg in parse_target_xml(documents):
            self.registers.setdefault(reg.name, reg)

    def _read_xfer(self, obj: str, annex: str) -> bytes:
        data = bytearray()
        chunk = max(64, self.packet_size - 16)
        while True:
            req = f"qXfer:{obj}:read:{annex}:{len(data):x},{chunk:x}"
            reply = self._exchange(req.encode())
            if not reply or reply[:1] not in b"ml":
                self._check(reply, req)
                raise RspError(f"unexpected reply to {req}: {reply[:40]!r}")
            data += reply[1:]
            if reply[:1] == b"l" or len(reply) == 1:
                return bytes(data)
            if len(data) > MAX_DESCRIPTION:
                raise RspError(f"qXfer:{obj}:read:{annex} from {self.address} is longer than "
                               f"{MAX_DESCRIPTION} bytes")

    def close(self) -> None:
        """Closes the connection as it is. What the guest does then differs
        (QEMU: stays as it is; Renode: runs on unless ^C paused it): leave()
        gives the same result on both."""
        with self._lock:
            sock, self._sock = self._sock, None
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass

    def leave(self, running: Optional[bool] = None) -> None:
        """Ends the session with the target running or halted; by default as it
        was found (`found_running`). Never sends `D` (see the module docstring):
        running -> `c` unless it runs, then close; halted -> close, after a ^C
        unless the guest was halted when we came or our ^C stopped it. A guest
        stopped by the attach, a step or a breakpoint gets `c` and ^C first
        (it runs a moment): Renode would run it on at the close otherwise."""
        if running is None:
            running = self.found_running
        with self._lock:
            if self._sock is None:
                return
            try:
                if running:
                    self.resume()
                elif not self._stop_sticks:
                    if not self.running:
                        self.resume()
                    self.halt()
            finally:
                self.close()

    def detach(self) -> None:
        """leave(): the target as found."""
        self.leave()

    def __enter__(self) -> "RspClient":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ packets

    def _sock_or_fail(self) -> socket.socket:
        if self._sock is None:
            raise RspConnectionError(f"not connected to the GDB stub at {self.address}")
        return self._sock

    def _write(self, data: bytes) -> None:
        if self.trace:
            self.trace("->", data)
        try:
            self._sock_or_fail().sendall(data)
        except OSError as e:
            self.close()
            raise RspConnectionError(f"the GDB stub at {self.address} closed the connection "
                                     f"({e.strerror or e})") from None

    def _read_events(self, deadline: Optional[float]) -> List[Tuple[str, bytes]]:
        sock = self._sock_or_fail()
        if deadline is None:
            sock.settimeout(0.0)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RspTimeoutError(f"no reply from the GDB stub at {self.address} "
                                      f"within {self.timeout:g} s")
            sock.settimeout(left)
        try:
            data = sock.recv(1 << 16)
        except (socket.timeout, BlockingIOError):
            if deadline is None:
                return []
            raise RspTimeoutError(f"no reply from the GDB stub at {self.address} "
                                  f"within {self.timeout:g} s") from None
        except OSError as e:
            self.close()
            raise RspConnectionError(f"the GDB stub at {self.address} failed: "
                                     f"{e.strerror or e}") from None
        if not data:
            self.close()
            raise RspConnectionError(f"the GDB stub at {self.address} closed the connection")
        if self.trace:
            self.trace("<-", data)
        return self._reader.feed(data)

    def _take(self, events: List[Tuple[str, bytes]]) -> bool:
        """Queues completed packets (acking them); True if an ack arrived."""
        acked = False
        packets = 0
        for kind, payload in events:
            if kind == "packet":
                packets += 1
                self._queue.append(payload)
            elif kind == "bad" and not self._noack:
                self._write(NAK)
            elif kind == "ack":
                acked = True
            elif kind == "nak":
                raise RspError(f"the GDB stub at {self.address} rejected a packet (checksum)")
            elif kind == "overlong":
                raise RspError(f"the GDB stub at {self.address} sent a packet longer than "
                               f"{self._reader.max_body} bytes")
        if packets and not self._noack:
            self._write(ACK * packets)  # one write for all: fewer syscalls on block reads
        return acked

    def _send(self, payload: bytes, wait_ack: bool = True) -> None:
        packet = encode(payload)
        self._write(packet)
        if self._noack or not wait_ack:
            return
        deadline = time.monotonic() + self.timeout
        while not self._take(self._read_events(deadline)):
            pass

    def _deadline(self, timeout: Optional[float] = None) -> float:
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def _recv_by(self, deadline: float) -> bytes:
        while not self._queue:
            self._take(self._read_events(deadline))
        return self._queue.pop(0)

    def _recv_reply(self, deadline: float, stop_reply: bool = False) -> bytes:
        """The next reply to a request. A stop reply where none can be the
        answer is the stub's own, sent late: Renode sends the one for the
        attach from its CPU thread, which may come after the first replies.
        It is set aside (and, while connecting, tells that the guest ran)."""
        while True:
            reply = self._recv_by(deadline)
            stray = None if stop_reply or self.running else parse_stop_reply(reply)
            if stray is None:
                return reply
            self.last_stop = stray
            if self._connecting:
                self.found_running = True

    def _exchange(self, payload: bytes, timeout: Optional[float] = None,
                  stop_reply: bool = False) -> bytes:
        with self._lock:
            self._send(payload)
            # One deadline for the whole exchange: a stub that keeps sending
            # console output cannot hold the client past its timeout.
            deadline = self._deadline(timeout)
            while True:
                reply = self._recv_reply(deadline, stop_reply)
                if reply[:1] == b"O" and reply != b"OK":
                    continue  # console output; only monitor() collects it
                return reply

    def _check(self, reply: bytes, request: str, address: Optional[int] = None,
               length: Optional[int] = None) -> bytes:
        code = _is_error(reply)
        if code is not None:
            raise RspErrorReply(request, code, address=address, length=length)
        if reply == b"":
            raise RspUnsupportedError(f"the GDB stub at {self.address} does not support "
                                      f"{request.split(':')[0][:16]!r}")
        return reply

    def request(self, payload: str) -> str:
        """One raw exchange, `Exx` raised; for packets this class does not wrap."""
        return self._check(self._exchange(payload.encode()), payload).decode(errors="replace")

    # ------------------------------------------------------------ memory

    def read_memory(self, address: int, length: int) -> bytes:
        """`length` bytes from `address`, in as few `m` packets as the stub allows."""
        with self._lock:
            chunks = [(a, min(self.max_read, address + length - a))
                      for a in range(address, address + length, self.max_read)]
            out = bytearray()
            sent = 0
            for done, (addr, size) in enumerate(chunks):
                while sent < len(chunks) and sent < done + self.pipeline_depth:
                    a, n = chunks[sent]
                    # Acks are not awaited: on TCP they never turn into a NAK.
                    self._send(b"m%x,%x" % (a, n), wait_ack=False)
                    sent += 1
                reply = self._recv_reply(self._deadline())
                if _is_error(reply) is not None or len(reply) != 2 * size:
                    for _ in range(sent - done - 1):  # drain the pipeline before raising
                        self._recv_reply(self._deadline())
                    req = f"m{addr:x},{size:x}"
                    self._check(reply, req, addr, size)
                    raise RspError(f"{req}: {len(reply) // 2} bytes came back")
                try:
                    out += bytes.fromhex(reply.decode())
                except ValueError:
                    raise RspError(f"m{addr:x},{size:x}: the reply is not hex") from None
            return bytes(out)

    def write_memory(self, address: int, data: bytes) -> None:
        """Writes data with `X` (binary) where the stub has it, else `M` (hex)."""
        with self._lock:
            if self._supports_x is None:
                self._supports_x = self._exchange(b"X%x,0:" % address) == b"OK"
            step = self.max_write
            for off in range(0, len(data), step):
                part = data[off:off + step]
                addr = address + off
                if self._supports_x:
                    reply = self._exchange(b"X%x,%x:" % (addr, len(part)) + part)
                else:
                    reply = self._exchange(b"M%x,%x:" % (addr, len(part)) + part.hex().encode())
                if self._check(reply, f"write of {len(part)} bytes at {addr:#x}", addr,
                               len(part)) != b"OK":
                    raise RspError(f"unexpected reply to a write at {addr:#x}: {reply[:40]!r}")

    # ------------------------------------------------------------ registers

    def register(self, name: str) -> Register:
        try:
            return self.registers[name.lower()]
        except KeyError:
            raise RegisterUnavailableError(
                f"the GDB stub at {self.address} does not expose register {name!r} "
                f"(its target description lists {', '.join(self.registers) or 'none'})") from None

    def read_register(self, name: str) -> int:
        reg = self.register(name)
        req = f"p{reg.regnum:x}"
        reply = self._check(self._exchange(req.encode()), req)
        if reply[:1] == b"x":
            raise RegisterUnavailableError(f"register {name!r} is unavailable in the "
                                           f"GDB stub at {self.address}")
        try:
            return int.from_bytes(bytes.fromhex(reply.decode()), "little")
        except ValueError:
            raise RspError(f"{req}: the reply is not hex: {reply[:40]!r}") from None

    def write_register(self, name: str, value: int) -> None:
        reg = self.register(name)
        nbytes = max(1, reg.bitsize // 8)
        req = f"P{reg.regnum:x}={(value & ((1 << reg.bitsize) - 1)).to_bytes(nbytes, 'little').hex()}"
        if self._check(self._exchange(req.encode()), req) != b"OK":
            raise RspError(f"{req}: unexpected reply")

    def read_all_registers(self) -> bytes:
        """The `g` block, as raw bytes in the stub's register order."""
        reply = self._check(self._exchange(b"g"), "g")
        try:
            return bytes.fromhex(reply.decode())
        except ValueError:
            raise RspError(f"g: the reply is not hex: {reply[:40]!r}") from None

    # ------------------------------------------------------------ run control

    def halt(self) -> StopReply:
        """Stops the target (^C) and returns the stop reply; no-op when stopped."""
        with self._lock:
            if not self.running and self.last_stop is not None:
                return self.last_stop
            self._write(INTERRUPT)
            stop = self._wait_stop()
            self._stop_sticks = True
            return stop

    def resume(self) -> None:
        """`c`: the target runs until halt() or it stops by itself."""
        with self._lock:
            if self.running:
                return
            self._send(b"c")
            self.running = True
            self._stop_sticks = False

    def step(self) -> StopReply:
        """`s`: one instruction; returns the stop reply."""
        with self._lock:
            if self.running:
                raise RspError("cannot step a running target; halt it first")
            self._send(b"s")
            self.running = True
            self._stop_sticks = False
            return self._wait_stop()

    def poll_stop(self) -> Optional[StopReply]:
        """While running: the stop reply if the target stopped by itself (a
        breakpoint, an exit), else None. Does not block."""
        with self._lock:
            if not self.running:
                return None
            if not self._queue:
                self._take(self._read_events(None))
            return self._pop_stop()

    def _pop_stop(self) -> Optional[StopReply]:
        while self._queue:
            payload = self._queue.pop(0)
            stop = parse_stop_reply(payload)
            if stop is not None:
                self.running = False
                self.last_stop = stop
                return stop
        return None

    def _wait_stop(self) -> StopReply:
        deadline = time.monotonic() + self.timeout
        while True:
            stop = self._pop_stop()
            if stop is not None:
                if stop.exited:
                    raise RspConnectionError(f"the target behind {self.address} exited "
                                             f"({stop.raw.decode(errors='replace')})")
                return stop
            self._take(self._read_events(deadline))

    def monitor(self, command: str, timeout: Optional[float] = None) -> str:
        """A monitor command (`qRcmd`); returns what it printed."""
        with self._lock:
            req = b"qRcmd," + command.encode().hex().encode()
            self._send(req)
            output = bytearray()
            deadline = self._deadline(timeout)
            while True:
                reply = self._recv_reply(deadline)
                if reply[:1] == b"O" and reply != b"OK":
                    try:
                        output += bytes.fromhex(reply[1:].decode())
                    except ValueError:
                        raise RspError(f"monitor {command}: console output is not hex: "
                                       f"{reply[:40]!r}") from None
                    if len(output) > MAX_MONITOR_OUTPUT:
                        raise RspError(f"monitor {command}: more than {MAX_MONITOR_OUTPUT} "
                                       "bytes of output")
                    continue
                if reply == b"OK":
                    return output.decode(errors="replace")
                self._check(reply, f"monitor {command}")
                try:  # some stubs answer with the output itself, hex-encoded
                    return (output + bytes.fromhex(reply.decode())).decode(errors="replace")
                except ValueError:
                    raise RspError(f"monitor {command}: unexpected reply {reply[:40]!r}") from None

    def reset(self) -> None:
        """Resets the target with the configured monitor command; the run state
        (halted or running) is kept."""
        with self._lock:
            was_running = self.running
            if was_running:
                self.halt()
            self.monitor(self.reset_command)
            if was_running:
                self.resume()
