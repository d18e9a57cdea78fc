# SPDX-License-Identifier: Apache-2.0
"""RspClient against a fake QEMU-like GDB stub (tests/host/fake_rsp.py)."""
from __future__ import annotations

import socket
from typing import Iterator

import pytest

from crashdump.errors import ProbeError
from crashdump.probe.rsp_client import (RegisterUnavailableError, RspClient, RspConnectionError,
                                        RspErrorReply, RspTimeoutError, RspUnsupportedError,
                                        parse_stop_reply, parse_target_xml)

from .fake_rsp import RESET_PC, FakeRspServer, FakeStub


@pytest.fixture
def server() -> Iterator[FakeRspServer]:
    with FakeRspServer() as s:
        yield s


@pytest.fixture
def rsp(server: FakeRspServer) -> Iterator[RspClient]:
    with RspClient("127.0.0.1", server.port, timeout=2.0) as c:
        yield c


def test_handshake_drains_the_stop_reply_and_notes_a_running_guest(rsp: RspClient) -> None:
    assert rsp.found_running
    assert rsp.packet_size == 0x1000 and rsp.max_read == 2048
    assert not rsp.running  # attaching paused it


def test_a_guest_halted_before_attach_sends_no_stop_reply() -> None:
    with FakeRspServer(FakeStub(running=False)) as server, \
            RspClient("127.0.0.1", server.port) as rsp:
        assert not rsp.found_running


def test_registers_are_numbered_from_target_xml_with_includes(rsp: RspClient, server: FakeRspServer) -> None:
    assert rsp.register("xpsr").regnum == 25 and rsp.register("pc").regnum == 15
    assert rsp.read_register("r3") == 0x1003
    assert rsp.read_register("xpsr") == 0x01000000
    rsp.write_register("r0", 0xCAFEF00D)
    assert server.stub.regs[0] == 0xCAFEF00D
    # target.xml was read before the first `p`, or the fake (like QEMU) would not answer
    first_p = next(i for i, p in enumerate(server.stub.packets) if p.startswith(b"p"))
    assert any(p.startswith(b"qXfer:features:read:target.xml") for p in server.stub.packets[:first_p])


def test_a_register_missing_from_the_description_is_a_clear_error(rsp: RspClient) -> None:
    with pytest.raises(RegisterUnavailableError, match="does not expose register 'msp'"):
        rsp.read_register("msp")
    with pytest.raises(ProbeError):
        rsp.write_register("control", 1)


def test_reads_are_chunked_to_the_stub_limit(rsp: RspClient, server: FakeRspServer) -> None:
    server.stub.memory[0x20000000][:] = bytes(range(256)) * 256
    server.stub.packets.clear()
    data = rsp.read_memory(0x20000000, 0x10000)
    assert data == bytes(server.stub.memory[0x20000000])
    reads = [p for p in server.stub.packets if p.startswith(b"m")]
    assert len(reads) == 32 and all(p.endswith(b",800") for p in reads)


def test_unaligned_odd_read(rsp: RspClient, server: FakeRspServer) -> None:
    server.stub.memory[0x20000000][:8] = b"abcdefgh"
    assert rsp.read_memory(0x20000003, 3) == b"def"


def test_a_refused_read_in_a_pipeline_raises_and_the_link_stays_usable(rsp: RspClient) -> None:
    with pytest.raises(RspErrorReply) as err:
        rsp.read_memory(0x2000F000, 0x3000)  # the 3rd chunk leaves RAM
    assert err.value.code == 0x14 and err.value.address == 0x20010000
    assert rsp.read_memory(0x20000000, 4) == bytes(4)


def test_writes_use_x_or_fall_back_to_m(server: FakeRspServer) -> None:
    with RspClient("127.0.0.1", server.port) as rsp:
        rsp.write_memory(0x20000010, b"\x00$#}*\x01")
        assert server.stub.memory[0x20000000][0x10:0x16] == b"\x00$#}*\x01"
        assert any(p.startswith(b"X20000010,6:") for p in server.stub.packets)
    server.stub.x_packets = False
    server.stub.packets.clear()
    with RspClient("127.0.0.1", server.port) as rsp:
        rsp.write_memory(0x20000020, b"\xAA" * 5000)
        assert server.stub.memory[0x20000000][0x20:0x20 + 5000] == b"\xAA" * 5000
        writes = [p for p in server.stub.packets if p.startswith(b"M")]
        assert len(writes) == 3


def test_write_to_unmapped_memory(rsp: RspClient) -> None:
    with pytest.raises(RspErrorReply, match="E14"):
        rsp.write_memory(0x60000000, b"\x01")


def test_run_control(rsp: RspClient, server: FakeRspServer) -> None:
    rsp.resume()
    assert rsp.running
    assert rsp.poll_stop() is None
    stop = rsp.halt()
    assert stop.signal == 2 and not rsp.running
    pc = rsp.read_register("pc")
    assert rsp.step().signal == 5 and rsp.read_register("pc") == pc + 2


def test_monitor_output_and_reset(rsp: RspClient, server: FakeRspServer) -> None:
    assert rsp.monitor("echo") == "hi\n"
    rsp.reset()
    assert server.stub.resets == 1 and rsp.read_register("pc") == RESET_PC & ~1
    with pytest.raises(RspErrorReply, match="monitor nonsense"):
        rsp.monitor("nonsense")


def test_reset_command_is_configurable(server: FakeRspServer) -> None:
    with RspClient("127.0.0.1", server.port, reset_command="machine Reset") as rsp:
        with pytest.raises(RspErrorReply):
            rsp.reset()  # the fake, like QEMU, knows only system_reset
    assert server.stub.resets == 0


def test_unsupported_packet(rsp: RspClient) -> None:
    with pytest.raises(RspUnsupportedError):
        rsp.request("vMustReplyEmpty")


FLAVOURS = ("qemu", "renode")


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("found_running", (True, False), ids=("running", "halted"))
@pytest.mark.parametrize("then", ("read", "halt", "resume", "step"))
def test_leave_restores_the_state_found(flavour: str, found_running: bool, then: str) -> None:
    """Whatever the session did, leave() puts the guest back as it was, on a
    QEMU-like and a Renode-like stub, and never sends `D`."""
    with FakeRspServer(FakeStub(running=found_running, flavour=flavour)) as server:
        with RspClient("127.0.0.1", server.port, timeout=2.0) as rsp:
            assert rsp.found_running == found_running
            if then == "read":
                rsp.read_memory(0x20000000, 16)
            elif then == "halt":
                rsp.resume()
                rsp.halt()
            elif then == "resume":
                rsp.resume()
            else:
                rsp.step()
            rsp.leave()
            assert not rsp.is_open
        stub = server.settle()
        assert stub.running == found_running
        assert b"D" not in stub.packets
        if found_running:
            assert stub.packets[-1] == b"c"  # after the last `c`, nothing: a byte would stop QEMU


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("running", (True, False), ids=("running", "halted"))
def test_leave_can_choose_the_state(flavour: str, running: bool) -> None:
    with FakeRspServer(FakeStub(running=not running, flavour=flavour)) as server:
        with RspClient("127.0.0.1", server.port, timeout=2.0) as rsp:
            rsp.leave(running=running)
        assert server.settle().running == running


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_old_ending_froze_the_guest(flavour: str) -> None:
    """What leave() replaces: `c`, ^C, `D`, close leaves a Renode guest paused
    (its `D` does nothing); and a `D` without the ^C is lost on QEMU, whose
    guest stops at the first byte it receives. The fake must show both, or the
    tests above prove nothing."""
    with FakeRspServer(FakeStub(flavour=flavour)) as server:
        with RspClient("127.0.0.1", server.port, timeout=2.0) as rsp:
            rsp.resume()
            rsp.halt()
            rsp.request("D")
        assert server.settle().running == (flavour == "qemu")
    if flavour == "qemu":
        with FakeRspServer(FakeStub(flavour=flavour)) as server:
            with RspClient("127.0.0.1", server.port, timeout=2.0) as rsp:
                rsp.resume()
                rsp._send(b"D", wait_ack=False)  # noqa: SLF001 - what a naive client does
            assert not server.settle().running


def test_timeout(server: FakeRspServer) -> None:
    with RspClient("127.0.0.1", server.port, timeout=0.3) as rsp:
        server.stub.silent = True
        with pytest.raises(RspTimeoutError, match="within 0.3 s"):
            rsp.read_memory(0, 4)


def test_dead_connection(rsp: RspClient, server: FakeRspServer) -> None:
    server.drop()
    with pytest.raises(RspConnectionError, match="closed the connection|failed"):
        rsp.read_memory(0, 4)
    with pytest.raises(RspConnectionError, match="not connected"):
        rsp.read_memory(0, 4)


def test_nothing_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RspConnectionError, match="cannot connect"):
        RspClient("127.0.0.1", port, connect_retry=0.1).open()


def test_parse_helpers() -> None:
    assert parse_stop_reply(b"T05thread:01;").signal == 5
    assert parse_stop_reply(b"W00").exited
    assert parse_stop_reply(b"OK") is None
    regs = parse_target_xml({"target.xml": b'<target><feature name="f"><reg name="A" bitsize="64"/>'
                                           b'<reg name="b" regnum="7"/><reg name="c"/></feature></target>'})
    assert [(r.name, r.regnum, r.bitsize) for r in regs] == [("a", 0, 64), ("b", 7, 32), ("c", 8, 32)]
    with pytest.raises(ProbeError, match="not valid XML"):
        parse_target_xml({"target.xml": b"<target>"})


@pytest.mark.parametrize("found_running", (True, False), ids=("running", "halted"))
def test_a_late_stop_reply_from_the_attach_is_set_aside(found_running: bool) -> None:
    """Renode reports the attach's stop from its CPU thread, possibly after the
    reply to qSupported: it still means the guest ran, and no later reply is
    taken for the wrong request."""
    stub = FakeStub(running=found_running, flavour="renode", late_stop=True)
    with FakeRspServer(stub) as server:
        with RspClient("127.0.0.1", server.port, timeout=2.0) as rsp:
            assert rsp.found_running == found_running
            assert rsp.read_register("pc") == 0x100F
            assert rsp.read_memory(0x0, 8)[4:] == RESET_PC.to_bytes(4, "little")
            rsp.leave()
        assert server.settle().running == found_running
