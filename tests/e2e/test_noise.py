# SPDX-License-Identifier: Apache-2.0
"""Line noise between the host and the firmware in QEMU (issue 11): a proxy
flips, drops and duplicates bytes in both directions (seeded), and puts
garbage on the line before commands. The client either returns exactly the
right data or raises a CrashdumpError; a repeated request is never executed
twice; the first command after noise gets through on its first try."""
from __future__ import annotations

import random
from typing import Iterator, List, Set

import pytest

from crashdump import Client
from crashdump.errors import CrashdumpError
from noise_proxy import Noise, NoiseProxy

LINE = Noise(flip=0.002, drop=0.002, dup=0.002, dup_chunk=0.15)
BACK = Noise(flip=0.0005, drop=0.0005, dup=0.0005, dup_chunk=0.15)


@pytest.fixture
def proxy(emu) -> Iterator[NoiseProxy]:
    with NoiseProxy(emu.serial_url, seed=11) as p:
        yield p


@pytest.fixture
def noisy_dev(proxy: NoiseProxy) -> Iterator[Client]:
    with Client.open(proxy.url, timeout=5.0) as c:
        c.retry_interval = 0.3
        c.info()  # frame_max and caps, on a clean line
        yield c


def item(i: int) -> bytes:
    return b"item-%04d-" % i + bytes((i * 7 + k) % 251 + 1 for k in range(6))


def test_first_command_after_noise_succeeds_first_time(proxy: NoiseProxy,
                                                       noisy_dev: Client) -> None:
    rng = random.Random(5)
    noisy_dev.source_create("noise-first", item_size=16, count=8)
    for i in range(30):
        # A partial frame: non-zero bytes that end in the middle of a COBS group
        # (a 0xFF code promising 254 bytes), or text, or random bytes.
        garbage = rng.choice([b"\xff" + bytes(rng.randrange(1, 256) for _ in range(5)),
                              b"U-Boot 2026.01\r\nbooting",
                              bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 80)))])
        proxy.inject_to_device(garbage)
        before = noisy_dev.repeats
        if i % 2:
            noisy_dev.source_write("noise-first", b"w%d" % i)
        else:
            assert noisy_dev.info().name == "crashdump-demo"
        assert noisy_dev.repeats == before, f"command {i} needed a repeat after {garbage!r}"
    # Every write stored exactly once.
    got = [r.data for r in noisy_dev.source_capture("noise-first").records]
    assert got == [b"w%d" % i for i in range(1, 30, 2)][-8:]


def write_all(dev: Client, name: str, items: List[bytes]) -> Set[bytes]:
    """Writes items; returns those whose write raised (outcome unknown)."""
    failed: Set[bytes] = set()
    for data in items:
        try:
            dev.source_write(name, data)
        except CrashdumpError:
            failed.add(data)
    return failed


def test_writes_and_reads_through_noise_are_exactly_once(proxy: NoiseProxy,
                                                          noisy_dev: Client) -> None:
    # As many as the board's rings hold (the micro:bit's are small), at most 60.
    count = min(64, noisy_dev.info().ring_max_bytes // 20)  # stride of a 16-byte item
    n = min(60, count)
    noisy_dev.source_create("noise-rw", item_size=16, count=count)
    items = [item(i) for i in range(n)]
    proxy.set(to_device=LINE, to_host=BACK)
    failed = write_all(noisy_dev, "noise-rw", items)
    proxy.set()
    stored = [r.data for r in noisy_dev.source_capture("noise-rw").records]
    # In order, none twice, every acknowledged write present.
    assert stored == [x for x in items if x in stored]
    assert set(items) - set(stored) <= failed
    assert noisy_dev.repeats > 0, "the noise never made the client repeat: test too weak"

    # READ through duplication and damage: nothing is delivered twice, and an
    # item goes missing only with a READ that raised (its answer never came).
    proxy.set(to_device=LINE, to_host=BACK)
    received: List[bytes] = []
    read_errors = 0
    for _ in range(200):
        try:
            records = noisy_dev.source_read("noise-rw", max_items=4).records
        except CrashdumpError:
            read_errors += 1
            continue
        if not records:
            break
        received += [r.data for r in records]
    proxy.set()
    received += [r.data for r in noisy_dev.source_read("noise-rw").records]
    assert received == [x for x in stored if x in received]
    assert len(stored) - len(received) <= 4 * read_errors


def test_long_capture_through_noise_is_exact_or_an_error(proxy: NoiseProxy,
                                                         noisy_dev: Client) -> None:
    info = noisy_dev.info()
    count = min(512, info.ring_max_bytes // 36)
    noisy_dev.source_create("noise-cap", item_size=32, count=count)
    items = [bytes([(i + k) % 255 + 1 for k in range(32)]) for i in range(count)]
    for data in items:
        noisy_dev.source_write("noise-cap", data)
    # Replies here are frame_max long (4 KiB on some boards): at BACK's rates
    # hardly one would arrive whole, so the device-to-host damage is lighter.
    proxy.set(to_device=LINE, to_host=Noise(flip=1e-5, drop=1e-5, dup=1e-5))
    exact = errors = 0
    for _ in range(3):
        try:
            cap = noisy_dev.source_capture("noise-cap")
        except CrashdumpError as e:
            print(f"capture failed: {e.operation}: {e}")
            errors += 1
            continue
        assert [r.data for r in cap.records] == items
        assert not cap.gaps
        exact += 1
    proxy.set()
    assert exact >= 1, f"no capture of {errors} got through"
