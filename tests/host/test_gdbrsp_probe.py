# SPDX-License-Identifier: Apache-2.0
"""The gdbrsp pyOCD probe against the fake GDB stub, through pyOCD's own
ConnectHelper/Session (real pyOCD, fake emulator)."""
from __future__ import annotations

import time
from typing import Iterator

import pytest

from crashdump.errors import ProbeError
from crashdump.probe.gdbrsp import (GdbRspProbe, GdbRspRegisterError, GdbRspTransferFault,
                                    parse_address)
from pyocd.core import exceptions
from pyocd.core.helpers import ConnectHelper
from pyocd.core.session import Session
from pyocd.core.target import Target
from pyocd.probe.aggregator import DebugProbeAggregator

from .fake_rsp import RESET_PC, FakeRspServer, FakeStub


def open_session(server: FakeRspServer, **options) -> Session:
    session = ConnectHelper.session_with_chosen_probe(
        unique_id=f"gdbrsp:{server.address}", target_override="cortex_m",
        options={"connect_mode": "attach", "resume_on_disconnect": True, **options})
    assert session is not None
    return session


@pytest.fixture
def server() -> Iterator[FakeRspServer]:
    with FakeRspServer() as s:
        yield s


@pytest.fixture
def session(server: FakeRspServer) -> Iterator[Session]:
    with open_session(server) as s:
        yield s


def test_the_plugin_is_registered_and_never_enumerates() -> None:
    from pyocd.probe.aggregator import PROBE_CLASSES
    assert PROBE_CLASSES["gdbrsp"] is GdbRspProbe
    assert GdbRspProbe.get_all_connected_probes() == []  # `pyocd list`: a TCP stub cannot be found
    assert not any(isinstance(p, GdbRspProbe) for p in DebugProbeAggregator.get_all_connected_probes())
    probe = DebugProbeAggregator.get_probe_with_id("gdbrsp:localhost:3333")
    assert isinstance(probe, GdbRspProbe) and probe.unique_id == "gdbrsp:localhost:3333"


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:1234", ("127.0.0.1", 1234)), ("gdbrsp:host:1", ("host", 1)),
    ("[::1]:3333", ("::1", 3333)), ("3333", ("127.0.0.1", 3333)),
    ("host:port", None), ("host:0", None)])
def test_parse_address(text, expected) -> None:
    assert parse_address(text) == expected


def test_session_sees_a_cortex_m3_through_the_faked_debug_infrastructure(session: Session) -> None:
    target = session.target
    assert target.selected_core.name == "Cortex-M3"
    assert target.get_state() == Target.State.RUNNING  # it ran before we attached


def test_memory_block_reads_are_few_large_packets(session: Session, server: FakeRspServer) -> None:
    server.stub.memory[0x20000000][:] = bytes(range(256)) * 256
    target = session.target
    target.halt()
    server.stub.packets.clear()
    words = target.read_memory_block32(0x20000000, 0x4000)
    assert bytes(b for w in words for b in w.to_bytes(4, "little")) == bytes(server.stub.memory[0x20000000])
    assert [p for p in server.stub.packets if p[:1] == b"m"] == \
        [b"m%x,800" % (0x20000000 + i * 0x800) for i in range(32)]
    assert target.read_memory_block8(0x20000001, 3) == [1, 2, 3]
    assert target.read32(0) == 0x20010000


def test_writes(session: Session, server: FakeRspServer) -> None:
    target = session.target
    target.write_memory_block32(0x20000100, [0x11223344, 0x55667788])
    target.write8(0x20000108, 0x99)
    assert server.stub.memory[0x20000000][0x100:0x109] == bytes.fromhex("44332211 88776655 99")


def test_access_to_a_running_guest_pauses_it_only_for_the_access(session: Session,
                                                                  server: FakeRspServer) -> None:
    target = session.target
    assert target.get_state() == Target.State.RUNNING
    server.stub.packets.clear()
    target.read32(0x20000000)
    assert target.get_state() == Target.State.RUNNING
    kinds = [p[:1] for p in server.stub.packets]
    assert kinds == [b"m", b"c"]  # ^C (not a packet), m, c


def test_a_refused_access_is_a_transfer_fault(session: Session) -> None:
    with pytest.raises(exceptions.TransferFaultError) as err:
        session.target.read32(0x60000000)
    assert isinstance(err.value, ProbeError) and err.value.fault_address == 0x60000000


def test_halt_step_resume_and_core_registers(session: Session, server: FakeRspServer) -> None:
    target = session.target
    target.halt()
    assert target.get_state() == Target.State.HALTED and not server.stub.running
    values = {r: target.read_core_register(r) for r in
              [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]}
    assert values["r7"] == 0x1007 and values["sp"] == 0x100D and values["xpsr"] == 0x01000000
    target.write_core_register("r1", 0xDEADBEEF)
    assert server.stub.regs[1] == 0xDEADBEEF
    pc = target.read_core_register("pc")
    target.step()
    assert target.read_core_register("pc") == pc + 2
    target.resume()
    assert target.get_state() == Target.State.RUNNING


@pytest.mark.parametrize("reg", ["msp", "psp", "control", "primask"])
def test_registers_the_stub_lacks_raise(session: Session, reg: str) -> None:
    session.target.halt()
    with pytest.raises(exceptions.CoreRegisterAccessError, match="does not expose") as err:
        session.target.read_core_register(reg)
    assert isinstance(err.value, GdbRspRegisterError) and isinstance(err.value, ProbeError)


def test_system_registers_when_the_stub_has_them() -> None:
    with FakeRspServer(FakeStub(system_regs=True)) as server, open_session(server) as session:
        session.target.halt()
        assert session.target.read_core_register("msp") == 0x20010000
        assert session.target.read_core_register("primask") == 1
        assert session.target.read_core_register("control") == 2


def test_fpu_singles_come_from_doubles() -> None:
    stub = FakeStub(fpu=True, cpuid=0x410FC241)  # Cortex-M4 with QEMU's d0-d15
    with FakeRspServer(stub) as server:
        server.stub.memory[0xE000E000][0xF40:0xF44] = (0x10110021).to_bytes(4, "little")  # MVFR0
        with open_session(server) as session:
            target = session.target
            target.halt()
            assert target.selected_core.has_fpu
            assert target.read_core_register_raw("s0") == 0x00000000
            assert target.read_core_register_raw("s1") == 0x3FF00000
            target.write_core_register_raw("s3", 0x40490FDB)
            assert server.stub.regs[27] >> 32 == 0x40490FDB


def test_fpu_registers_without_a_vfp_description_raise() -> None:
    with FakeRspServer(FakeStub(cpuid=0x410FC241)) as server:
        server.stub.memory[0xE000E000][0xF40:0xF44] = (0x10110021).to_bytes(4, "little")
        with open_session(server) as session:
            session.target.halt()
            with pytest.raises(exceptions.CoreRegisterAccessError, match="FPU register s2"):
                session.target.read_core_register_raw("s2")


@pytest.mark.parametrize("cpuid, name", [(0x410CC200, "Cortex-M0"), (0x410FC241, "Cortex-M4")])
def test_core_type_follows_cpuid(cpuid: int, name: str) -> None:
    with FakeRspServer(FakeStub(cpuid=cpuid)) as server, open_session(server) as session:
        assert session.target.selected_core.name == name


def test_reset_runs_or_halts_by_vector_catch(session: Session, server: FakeRspServer) -> None:
    target = session.target
    target.reset()
    assert server.stub.resets == 1 and target.get_state() == Target.State.RUNNING
    target.reset_and_halt()
    assert server.stub.resets == 2 and target.get_state() == Target.State.HALTED
    assert target.read_core_register("pc") == RESET_PC & ~1


@pytest.mark.parametrize("flavour", ("qemu", "renode"))
def test_close_leaves_a_running_guest_running(flavour: str) -> None:
    with FakeRspServer(FakeStub(flavour=flavour)) as server:
        with open_session(server) as session:
            session.target.halt()
            session.target.read_memory_block32(0x20000000, 4)
        stub = server.settle()
        assert stub.running and b"D" not in stub.packets


@pytest.mark.parametrize("flavour", ("qemu", "renode"))
def test_close_leaves_a_halted_guest_halted(flavour: str) -> None:
    with FakeRspServer(FakeStub(running=False, flavour=flavour)) as server:
        with open_session(server, resume_on_disconnect=False) as session:
            assert session.target.get_state() == Target.State.HALTED
        stub = server.settle()
        assert not stub.running and b"D" not in stub.packets


@pytest.mark.parametrize("flavour", ("qemu", "renode"))
def test_close_leaves_a_guest_halted_by_pyocd_halted(flavour: str) -> None:
    with FakeRspServer(FakeStub(flavour=flavour)) as server:
        with open_session(server, resume_on_disconnect=False) as session:
            session.target.halt()
        assert not server.settle().running


def test_close_removes_the_breakpoints_from_the_stub(server: FakeRspServer) -> None:
    # without `D`, QEMU would keep them and stop the guest with nobody attached
    with open_session(server) as session:
        session.target.halt()
        session.target.set_breakpoint(0x200)
        session.target.resume()
        assert server.stub.breakpoints == {0x200}
    stub = server.settle()
    assert stub.breakpoints == set() and stub.running


def test_no_stub_is_a_probe_error() -> None:
    server = FakeRspServer()
    address = server.address
    server.close()
    with pytest.raises(exceptions.ProbeError) as err:
        ConnectHelper.session_with_chosen_probe(unique_id=f"gdbrsp:{address}",
                                                target_override="cortex_m",
                                                options={"gdbrsp.timeout": 0.5}).open()
    assert isinstance(err.value, ProbeError) and "cannot connect" in str(err.value)


def test_a_stub_that_dies_mid_session(session: Session, server: FakeRspServer) -> None:
    session.target.halt()
    server.drop()
    with pytest.raises(exceptions.ProbeError, match="closed the connection|failed|not connected"):
        session.target.read_memory_block32(0x20000000, 4)


def test_fpb_comparators_become_stub_breakpoints(session: Session, server: FakeRspServer) -> None:
    target = session.target
    target.halt()
    assert target.selected_core.fpb.nb_code == 6
    assert target.set_breakpoint(0x200) and target.set_breakpoint(0x20000400)  # FPBv2: any address
    target.resume()  # pyOCD commits breakpoints when the core runs
    assert server.stub.breakpoints == {0x200, 0x20000400}
    target.halt()
    target.remove_breakpoint(0x200)
    target.resume()
    assert server.stub.breakpoints == {0x20000400}


def test_a_stop_by_the_stub_is_a_breakpoint_halt(session: Session, server: FakeRspServer) -> None:
    target = session.target
    assert target.get_state() == Target.State.RUNNING
    server.stub.running = False
    server._conn.sendall(b"$T05thread:01;hwbreak:;#" + b"%02x" % (sum(b"T05thread:01;hwbreak:;") & 0xFF))
    deadline = time.monotonic() + 2
    while target.get_state() != Target.State.HALTED and time.monotonic() < deadline:
        pass
    assert target.get_state() == Target.State.HALTED
    assert target.get_halt_reason() == Target.HaltReason.BREAKPOINT


@pytest.mark.parametrize("board, target_type", [("nrf52840dk", "nrf52840"),
                                                 ("stm32f4-discovery", "cortex_m")])
def test_board_targets_connect_without_an_elf_or_a_pack(board: str, target_type: str) -> None:
    """`dump pull --probe gdbrsp:... --board B` in Renode: pyOCD's nrf52840
    target reads the CTRL-AP at APSEL 1 and FICR, which the probe and the
    platform provide; stm32f407vg exists only in a CMSIS pack, so through an
    emulator the generic cortex_m stands in."""
    from crashdump.probe.locate import BOARD_PARTITIONS
    from crashdump.probe.session import ProbeSession
    stub = FakeStub(cpuid=0x410FC241)
    ficr = bytearray(0x1000)
    ficr[0x100:0x10C] = b"".join(v.to_bytes(4, "little") for v in (0x52840, 0x41414630, 0x2004))
    stub.memory[0x10000000] = ficr
    with FakeRspServer(stub) as server:
        with ProbeSession(f"gdbrsp:{server.address}", target=BOARD_PARTITIONS[board].target) as s:
            assert s.target_type == target_type
            assert s.read(0xE000ED00, 4) == (0x410FC241).to_bytes(4, "little")
            assert s.was_running
        assert server.settle().running


def test_a_pack_target_on_a_real_probe_says_what_is_missing() -> None:
    from pyocd.core.exceptions import TargetSupportError
    from crashdump.probe.session import ProbeSession
    err = ProbeSession("0240", target="stm32f407vg")._open_error(  # noqa: SLF001
        TargetSupportError("Target type stm32f407vg not recognized"))
    assert "'stm32f407vg' (it is not built in and no CMSIS pack was given)" in str(err)
    assert "--pack FILE" in err.hint and "--target cortex_m" in err.hint


def test_only_nrf52_targets_see_a_ctrl_ap(server: FakeRspServer) -> None:
    with open_session(server) as session:  # generic cortex_m: one AP
        assert sorted(a.apsel for a in session.target.dp.aps) == [0]
