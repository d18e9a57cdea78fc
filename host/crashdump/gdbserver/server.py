# SPDX-License-Identifier: Apache-2.0
"""The RSP request loop for a crash dump, and its TCP and pipe front-ends.

RspServer is pure: feed() takes the bytes GDB sent and returns the bytes to
send back, so tests drive it without sockets. It answers what GDB 13 sends when
it attaches and inspects (qSupported, QStartNoAckMode, ?, g, p, m,
qXfer:features:read, qAttached, qC, thread queries, H, vCont?, k, D). A dump
cannot run or change: writes (G, P, M, X) are refused with an error,
continue/step report the same stop again, and any other packet gets the empty
reply that means "not supported".
"""
from __future__ import annotations

import os
import socket
from typing import BinaryIO, Callable, List, Optional

from .. import rsp
from .target import Target

PACKET_SIZE = 0x4000      # what qSupported advertises; `m` replies are capped to fit
THREAD_ID = b"1"
E_BAD_PACKET = b"E01"     # a packet we cannot parse
E_NO_MEMORY = b"E14"      # EFAULT: the dump does not hold that memory
E_READ_ONLY = b"E1e"      # EROFS: a dump cannot be changed
E_NO_REGISTER = b"E00"

Trace = Callable[[str, bytes], None]


class RspServer:
    """One GDB session over one byte stream. `done` is set once GDB detached
    or killed: the front-end then closes the stream."""

    def __init__(self, target: Target, trace: Optional[Trace] = None) -> None:
        self.target = target
        self.trace = trace
        # Bodies longer than the PacketSize we advertise are skipped, so a `$`
        # without a `#` cannot make the reader hold more than that.
        self.reader = rsp.PacketReader(max_body=PACKET_SIZE)
        self.ack_mode = True
        self.done = False
        self._last_sent = b""

    # ------------------------------------------------------------ framing

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for kind, payload in self.reader.feed(data):
            if self.done:
                break
            if kind == "packet":
                if self.trace:
                    self.trace("<-", payload)
                if self.ack_mode:
                    out += rsp.ACK
                reply = self.handle(payload)
                if reply is not None:
                    out += self._send(reply)
            elif kind == "bad":
                if self.ack_mode:
                    out += rsp.NAK
            elif kind == "cut" and self.trace:
                self.trace("<-", payload + b"... (cut short by a new packet: ignored)")
            elif kind == "overlong":
                if self.trace:
                    self.trace("<-", payload + b"... (longer than PacketSize: rejected)")
                # GDB never sends more than PacketSize; without acks, an error
                # reply is the only way to tell the sender it was not executed.
                out += rsp.NAK if self.ack_mode else self._send(E_BAD_PACKET)
            elif kind == "nak" and self._last_sent:
                out += self._last_sent
            elif kind == "interrupt":
                out += self._send(self._stop_reply())
        return bytes(out)

    def _send(self, payload: bytes) -> bytes:
        if self.trace:
            self.trace("->", payload)
        self._last_sent = rsp.encode(payload)
        return self._last_sent

    # ------------------------------------------------------------ packets

    def handle(self, packet: bytes) -> Optional[bytes]:
        """The reply payload to one packet (None: send nothing)."""
        try:
            return self._dispatch(packet)
        except (ValueError, IndexError):
            return E_BAD_PACKET

    def _dispatch(self, p: bytes) -> Optional[bytes]:
        if p.startswith(b"qSupported"):
            return b"PacketSize=%x;qXfer:features:read+;QStartNoAckMode+" % PACKET_SIZE
        if p == b"QStartNoAckMode":
            self.ack_mode = False  # GDB acks this reply; from then on, nobody acks
            return b"OK"
        if p == b"?":
            return self._stop_reply()
        if p == b"g":
            return self.target.read_registers()
        if p[:1] == b"p":
            value = self.target.read_register(int(p[1:], 16))
            return value if value is not None else E_NO_REGISTER
        if p[:1] == b"m":
            return self._read_memory(p[1:])
        if p[:1] in (b"G", b"P", b"M", b"X"):
            return E_READ_ONLY
        if p.startswith(b"qXfer:features:read:"):
            return self._xfer_features(p[len(b"qXfer:features:read:"):])
        if p.startswith(b"qAttached"):
            return b"1"
        if p == b"qC":
            return b"QC" + THREAD_ID
        if p == b"qfThreadInfo":
            return b"m" + b",".join(b"%x" % t for t in self.target.thread_ids())
        if p == b"qsThreadInfo":
            return b"l"
        if p.startswith(b"qThreadExtraInfo,"):
            name = self.target.thread_name(_thread_id(p[len(b"qThreadExtraInfo,"):]))
            return name.encode().hex().encode() if name is not None else b"E01"
        if p[:2] == b"Hg":
            return b"OK" if self.target.select_thread(_thread_id(p[2:])) else b"E01"
        if p[:1] == b"H":
            return b"OK"
        if p[:1] == b"T":
            return b"OK" if _thread_id(p[1:]) in self.target.thread_ids() else b"E01"
        if p == b"vCont?":
            return b"vCont;c;C;s;S"
        if p[:1] in (b"c", b"C", b"s", b"S") or p.startswith(b"vCont;"):
            return self._stop_reply()  # a dump cannot run: it stays where it crashed
        if p == b"k":
            self.done = True
            return None
        if p[:1] == b"D":
            self.done = True
            return b"OK"
        return b""

    def _stop_reply(self) -> bytes:
        self.target.select_thread(1)
        return b"T%02xthread:%s;" % (self.target.stop_signal, THREAD_ID)

    def _read_memory(self, args: bytes) -> bytes:
        addr_text, _, size_text = args.partition(b",")
        addr, size = int(addr_text, 16), int(size_text, 16)
        if addr < 0 or size < 0 or addr >= 1 << 32:
            return E_BAD_PACKET
        size = min(size, (PACKET_SIZE - 8) // 2, (1 << 32) - addr)
        if size == 0:
            return b""
        data = self.target.read_memory(addr, size)
        return data.hex().encode() if data else E_NO_MEMORY

    def _xfer_features(self, args: bytes) -> bytes:
        annex, _, span = args.partition(b":")
        if annex != b"target.xml":
            return E_NO_REGISTER
        off_text, _, len_text = span.partition(b",")
        offset, length = int(off_text, 16), int(len_text, 16)
        xml = self.target.target_xml()
        chunk = xml[offset:offset + min(length, PACKET_SIZE - 8)]
        return (b"l" if offset + len(chunk) >= len(xml) else b"m") + chunk


# ---------------------------------------------------------------- front-ends


def _thread_id(text: bytes) -> int:
    """A thread id as GDB writes it: hex, or -1 for all; -2 if malformed."""
    try:
        return -1 if text == b"-1" else int(text or b"0", 16)
    except ValueError:
        return -2


def serve_stream(server: RspServer, read: Callable[[], bytes],
                 write: Callable[[bytes], None]) -> None:
    """Runs the session until GDB detaches or the stream ends (read() returns b"")."""
    while not server.done:
        data = read()
        if not data:
            return
        reply = server.feed(data)
        if reply:
            write(reply)


def serve_pipe(target: Target, stdin: BinaryIO, stdout: BinaryIO,
               trace: Optional[Trace] = None) -> None:
    """RSP on stdin/stdout, for `target remote | crashdump gdbserver ... --pipe`."""
    fd_in = stdin.fileno()

    def write(data: bytes) -> None:
        stdout.write(data)
        stdout.flush()

    serve_stream(RspServer(target, trace), lambda: os.read(fd_in, 65536), write)


def listen(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on host (an IPv4 or IPv6 address or a name; "0.0.0.0"
    or "::" for all interfaces), port 0: a free one (see getsockname())."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1)
    except OSError:
        sock.close()
        raise
    return sock


def serve_tcp(target: Target, sock: socket.socket, trace: Optional[Trace] = None,
              persist: bool = False, on_session: Optional[Callable[[str, str], None]] = None
              ) -> None:
    """Accepts GDB connections on a listening socket and serves each to the end:
    one, or with persist, one after another until interrupted. on_session
    is told ("connected" | "ended", peer address) as sessions come and go."""
    while True:
        conn, peer = sock.accept()
        who = f"{peer[0]}:{peer[1]}"
        if on_session:
            on_session("connected", who)
        _serve_connection(target, conn, trace)
        if on_session:
            on_session("ended", who)
        if not persist:
            return


def _serve_connection(target: Target, conn: socket.socket, trace: Optional[Trace]) -> None:
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = RspServer(target, trace)

        def send(data: bytes) -> None:
            try:
                conn.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                server.done = True  # GDB went away: the session is over

        serve_stream(server, lambda: _recv(conn), send)


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except ConnectionResetError:
        return b""


__all__: List[str] = ["RspServer", "listen", "serve_pipe", "serve_stream", "serve_tcp"]
