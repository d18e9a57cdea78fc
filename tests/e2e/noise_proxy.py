# SPDX-License-Identifier: Apache-2.0
"""A TCP proxy that damages a byte stream on purpose, for tests and benches
that put line noise between the host tool and the firmware in QEMU.

    with NoiseProxy(emu.serial_url, seed=1) as proxy:
        client = Client.open(proxy.url)
        proxy.set(to_device=Noise(flip=0.002, drop=0.002, dup=0.002, dup_chunk=0.2))
        proxy.inject_to_device(b"\\xffgarbage")   # a partial frame on the line

Each direction has its own Noise settings (default: none) and its own seeded
random generator, so a run is repeatable as far as the chunking of the TCP
stream allows. Bytes are flipped (one random bit), dropped or doubled each
with its own probability; a whole chunk (usually one request or one burst of
a response) is sent twice with probability dup_chunk.
"""
from __future__ import annotations

import random
import socket
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple


@dataclass
class Noise:
    flip: float = 0.0
    drop: float = 0.0
    dup: float = 0.0
    dup_chunk: float = 0.0

    def apply(self, rng: random.Random, data: bytes) -> bytes:
        if not (self.flip or self.drop or self.dup or self.dup_chunk):
            return data
        out = bytearray()
        for b in data:
            r = rng.random()
            if r < self.flip:
                out.append(b ^ (1 << rng.randrange(8)))
            elif r < self.flip + self.drop:
                continue
            elif r < self.flip + self.drop + self.dup:
                out += bytes([b, b])
            else:
                out.append(b)
        if rng.random() < self.dup_chunk:
            return bytes(out) * 2
        return bytes(out)


def _parse(url: str) -> Tuple[str, int]:
    host, _, port = url.replace("socket://", "").rpartition(":")
    return host, int(port)


class NoiseProxy:
    """Listens on 127.0.0.1:<free port> (`url`) and relays one connection at a
    time to `target` (a socket:// URL), damaging bytes as configured."""

    def __init__(self, target: str, seed: int = 0) -> None:
        self._target = _parse(target)
        self._noise: Dict[str, Noise] = {"to_device": Noise(), "to_host": Noise()}
        self._rng = {"to_device": random.Random(seed), "to_host": random.Random(seed + 1)}
        self._lock = threading.Lock()
        self._dev: Optional[socket.socket] = None
        self._host: Optional[socket.socket] = None
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self.counts = {"to_device": 0, "to_host": 0}  # bytes relayed (before damage)
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(0.1)
        self.url = f"socket://127.0.0.1:{self._listener.getsockname()[1]}"
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def set(self, to_device: Optional[Noise] = None, to_host: Optional[Noise] = None) -> None:
        """Changes the damage per direction; None means none."""
        with self._lock:
            self._noise = {"to_device": to_device or Noise(), "to_host": to_host or Noise()}

    def inject_to_device(self, data: bytes) -> None:
        """Sends bytes to the device as if they came from the line."""
        with self._lock:
            if self._dev is not None:
                self._dev.sendall(data)

    def inject_to_host(self, data: bytes) -> None:
        with self._lock:
            if self._host is not None:
                self._host.sendall(data)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                host, _ = self._listener.accept()
            except OSError:
                continue
            dev = socket.create_connection(self._target, timeout=5)
            for s in (host, dev):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(0.1)
            with self._lock:
                self._host, self._dev = host, dev
            pumps = [threading.Thread(target=self._pump, args=(host, dev, "to_device"),
                                      daemon=True),
                     threading.Thread(target=self._pump, args=(dev, host, "to_host"),
                                      daemon=True)]
            for t in pumps:
                t.start()
            for t in pumps:
                t.join()
            with self._lock:
                self._host = self._dev = None
            host.close()
            dev.close()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        while not self._stop.is_set():
            try:
                data = src.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            with self._lock:
                self.counts[direction] += len(data)
                out = self._noise[direction].apply(self._rng[direction], data)
                try:
                    dst.sendall(out)
                except OSError:
                    break
        # One side closed: end the other too, so the peer pump stops.
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._accept.join(2)
        self._listener.close()

    def __enter__(self) -> "NoiseProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
