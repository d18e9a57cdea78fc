# SPDX-License-Identifier: Apache-2.0
"""`gdbrsp`: a pyOCD debug probe that drives a GDB remote-protocol stub.

Unmodified pyOCD selects it as `-u gdbrsp:HOST:PORT` (the `pyocd.probe` entry
point in pyproject.toml registers it): QEMU's `-gdb tcp::PORT` stub or Renode's
`machine StartGdbServer PORT`. pyOCD's aggregator splits the unique id at the
first colon, picks the plugin by that name and hands us `HOST:PORT`.

pyOCD talks to a probe in DP/AP register and memory terms; an emulator's stub
knows memory, registers and run control. So the probe answers the debug
infrastructure itself and maps the core-debug registers to RSP requests:

- DP IDR, CTRL/STAT power-up acks, SELECT; one AHB-AP (APSEL 0) with IDR,
  CSW, TAR, DRW/BDx, CFG and BASE -> a ROM table at 0xE00FF000;
- the ROM table and the ID blocks of SCS, DWT and FPB (QEMU has none; its SCS
  PIDR4 reads 0), chosen from the core's CPUID (v6-M, v7-M or v8-M);
- a DWT with no comparators (no watchpoints), and an FPBv2 with 6 code
  comparators whose enabled addresses become `Z1` hardware breakpoints in
  the stub (QEMU has no FPB; a BKPT instruction would fault the guest);
- DHCSR -> ^C (C_HALT), `s` (C_STEP), `c` (C_HALT cleared); DCRSR/DCRDR ->
  `p`/`P`; DEMCR and DFSR are kept here; an AIRCR SYSRESETREQ or VECTRESET
  write, and nRESET, -> the monitor reset command (`system_reset` in QEMU,
  option `gdbrsp.reset_command` for others), honouring DEMCR.VC_CORERESET.

- for pyOCD's nRF52 targets (target_override nrf52*), a Nordic CTRL-AP at
  APSEL 1 (IDR 0x02880000, APPROTECTSTATUS "not protected", nothing to erase)
  that pyOCD's NRF52 connect sequence reads; an emulator has no APPROTECT.

Capabilities MANAGED_AP_SELECTION and MANAGED_DPBANKSEL plus a memory
interface for the AP keep pyOCD from ever asking for raw SWD sequences.
Block reads become as few `m` packets as the stub takes (QEMU: 2048 bytes).

Limits (each raises an error rather than inventing a value):
- Registers the stub's target.xml does not list cannot be read or written:
  QEMU 7.2 has r0-r12, sp, lr, pc, xpsr only, so msp, psp, control, primask,
  basepri, faultmask raise GdbRspRegisterError; FPU registers likewise when the
  description has no VFP feature. Renode lists msp, psp and control.
- A stub cannot touch memory while the guest runs (QEMU stops the guest on
  any byte it receives), so an access to a running target pauses the guest
  for that access and resumes it. Halt first for consistent multi-read views.
- QEMU applies the MPU to debugger accesses (hardware does not) and ignores
  MPU register writes from the stub, so memory the firmware's MPU forbids
  cannot be read: e.g. the mps2 demo's 256-byte stack guard at 0x20000000.
- No SWO, no pins, no watchpoints, at most 6 breakpoints, and a reset is
  whatever the stub's reset command does (QEMU: the whole machine).
- Leaving: the probe removes its breakpoints from the stub (QEMU keeps them
  after a close without `D`) and leaves the guest in the state pyOCD leaves
  the core in: running -> `c` and close, halted -> halted
  (RspClient.leave(); no `D`, which neither QEMU nor Renode honours both
  ways). pyOCD resumes a halted core on disconnect unless the session option
  resume_on_disconnect is false; crashdump's own pulls keep the state found.
"""
from __future__ import annotations

import sys

if "pyocd" not in sys.modules:
    # Importing pyOCD loads every `pyocd.probe` entry point, this module among
    # them; were this half-run module in sys.modules then, pyOCD's import would
    # fail on it. So step aside: pyOCD imports a complete copy, and Python's
    # import returns that copy (whatever sys.modules holds at the end).
    _self = sys.modules.pop(__name__)
    try:
        import pyocd  # noqa: F401
    finally:
        sys.modules.setdefault(__name__, _self)

import logging
import struct
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from pyocd.core import exceptions
from pyocd.core.memory_interface import MemoryInterface
from pyocd.core.options import OptionInfo
from pyocd.core.plugin import Plugin
from pyocd.probe.debug_probe import DebugProbe

from ..errors import ProbeError
from .rsp_client import (DEFAULT_TIMEOUT, QEMU_RESET_COMMAND, RENODE_RESET_COMMAND,
                         RegisterUnavailableError, RspClient, RspError, RspErrorReply)

LOG = logging.getLogger(__name__)

PLUGIN_NAME = "gdbrsp"

# Debug port and access port, as pyOCD addresses them (ADIv5).
DP_IDR_VALUE = 0x2BA01477           # SW-DP v1, designer Arm
DP_IDR, DP_CTRL_STAT, DP_SELECT, DP_RDBUFF = 0x0, 0x4, 0x8, 0xC
CDBGPWRUPREQ, CSYSPWRUPREQ = 1 << 28, 1 << 30
AHB_AP_IDR_VALUE = 0x24770011       # AHB-AP, Arm, MEM-AP class
AP_CSW, AP_TAR, AP_DRW, AP_BD0, AP_CFG, AP_BASE, AP_IDR = 0x00, 0x04, 0x0C, 0x10, 0xF4, 0xF8, 0xFC
CSW_DEVICEEN = 1 << 6
CSW_ADDRINC_SINGLE = 1 << 4

# Nordic's CTRL-AP (nRF52 Product Specification, "CTRL-AP"), as pyOCD's NRF52
# target reads it on connect (pyocd/target/family/target_nRF52.py).
CTRL_AP_APSEL = 1
CTRL_AP_IDR_VALUE = 0x02880000
CTRL_AP_APPROTECTSTATUS, CTRL_AP_APPROTECT_DISABLED = 0x00C, 1

# Core debug and system control registers.
PPB_START, PPB_END = 0xE0000000, 0xE0100000
ROM_TABLE = 0xE00FF000
SCS, DWT, FPB = 0xE000E000, 0xE0001000, 0xE0002000
CPUID, AIRCR, DFSR = 0xE000ED00, 0xE000ED0C, 0xE000ED30
DHCSR, DCRSR, DCRDR, DEMCR = 0xE000EDF0, 0xE000EDF4, 0xE000EDF8, 0xE000EDFC
DBGKEY, C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS = 0xA05F << 16, 1, 2, 4, 8
S_REGRDY, S_HALT, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 24, 1 << 25
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH, DFSR_EXTERNAL = 1, 2, 8, 16
DEMCR_VC_CORERESET = 1
AIRCR_VECTKEY, AIRCR_VECTRESET, AIRCR_SYSRESETREQ = 0x05FA << 16, 1, 4
DCRSR_REGWNR = 1 << 16
ID_BLOCK = 0xFBC                    # DEVARCH..CIDR3: the top of every 4 KiB component
FP_CTRL, FP_COMP0, FP_COMPS = FPB, FPB + 8, 6
FP_CTRL_VALUE = (1 << 28) | (FP_COMPS << 4)  # FPBv2 (breakpoints at any address), 6 code comparators

# DCRSR REGSEL -> register name in a GDB target description.
REGSEL_NAMES: Dict[int, str] = {**{i: f"r{i}" for i in range(13)},
                                13: "sp", 14: "lr", 15: "pc", 16: "xpsr", 17: "msp", 18: "psp",
                                0x1A: "msp_ns", 0x1B: "psp_ns", 0x1C: "msp_s", 0x1D: "psp_s",
                                0x21: "fpscr", **{0x40 + i: f"s{i}" for i in range(32)}}
REGSEL_CFBP = 0x14                  # CONTROL, FAULTMASK, BASEPRI, PRIMASK in one word
CFBP_PARTS = (("primask", 0), ("basepri", 8), ("faultmask", 16), ("control", 24))


class GdbRspProbeError(ProbeError, exceptions.ProbeError):
    """The stub failed (connection, timeout, protocol): a crashdump ProbeError that
    pyOCD also recognises as its own ProbeError."""


class GdbRspTransferFault(ProbeError, exceptions.TransferFaultError):
    """The stub refused a memory access (`Exx`)."""

    def __init__(self, message: str, address: Optional[int] = None,
                 length: Optional[int] = None) -> None:
        ProbeError.__init__(self, message)
        self.fault_address = address
        self.fault_length = length

    def __str__(self) -> str:
        return str(self.args[0])


class GdbRspRegisterError(ProbeError, exceptions.CoreRegisterAccessError):
    """A core register the stub does not expose."""


def _translate(err: RspError) -> Exception:
    if isinstance(err, RegisterUnavailableError):
        return GdbRspRegisterError(str(err))
    if isinstance(err, RspErrorReply) and err.address is not None:
        return GdbRspTransferFault(f"memory access at {err.address:#010x} failed: {err}",
                                   err.address, err.length)
    return GdbRspProbeError(str(err))


def parse_address(unique_id: str) -> Optional[Tuple[str, int]]:
    """`HOST:PORT`, `[V6ADDR]:PORT` or `PORT` (localhost) -> (host, port); None if it is not one."""
    text = unique_id.strip()
    if text.lower().startswith(PLUGIN_NAME + ":"):
        text = text[len(PLUGIN_NAME) + 1:]
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port, 10)
    except ValueError:
        return None
    return (host, number) if 0 < number < 65536 else None


def _component_ids(part: int, cls: int, devarch: int = 0) -> Dict[int, int]:
    """The ID registers (offset -> value) of an Arm component at the top of its 4 KiB."""
    designer = 0x3B  # Arm's JEP106 code, continuation 4
    regs = {0xFBC: devarch, 0xFCC: 0,
            0xFD0: 0x04, 0xFD4: 0, 0xFD8: 0, 0xFDC: 0,
            0xFE0: part & 0xFF, 0xFE4: ((part >> 8) & 0xF) | ((designer & 0xF) << 4),
            0xFE8: ((designer >> 4) & 0x7) | 0x08, 0xFEC: 0,
            0xFF0: 0x0D, 0xFF4: (cls << 4), 0xFF8: 0x05, 0xFFC: 0xB1}
    return regs


def _core_components(cpuid: int) -> Dict[int, Dict[int, int]]:
    """SCS, DWT and FPB ID blocks that make pyOCD recognise the core's architecture."""
    partno = (cpuid >> 4) & 0xFFF
    arch = (cpuid >> 16) & 0xF
    if partno in (0xC20, 0xC60, 0xC21) or arch == 0xC:          # v6-M
        return {SCS: _component_ids(0x008, 0xE), DWT: _component_ids(0x00A, 0xE),
                FPB: _component_ids(0x00B, 0xE)}
    if (partno & 0xF00) == 0xD00 or arch == 0xF and partno >= 0xD20:  # v8-M: CoreSight class
        devarch = (0x23B << 21) | (1 << 20)
        return {SCS: _component_ids(partno, 0x9, devarch | 0x2A04),
                DWT: _component_ids(partno, 0x9, devarch | 0x1A02),
                FPB: _component_ids(partno, 0x9, devarch | 0x1A03)}
    scs_part = 0x000 if partno == 0xC23 else 0x00C               # M3, else M4/M7
    return {SCS: _component_ids(scs_part, 0xE), DWT: _component_ids(0x002, 0xE),
            FPB: _component_ids(0x003, 0xE)}


class GdbRspProbe(DebugProbe):
    """A DebugProbe over one GDB stub connection; see the module docstring."""

    @classmethod
    def get_all_connected_probes(cls, unique_id: Optional[str] = None,
                                 is_explicit: bool = False) -> List["GdbRspProbe"]:
        # A TCP server cannot be enumerated: only an explicit gdbrsp:HOST:PORT names one.
        if is_explicit and unique_id is not None:
            probe = cls.get_probe_with_id(unique_id, is_explicit)
            return [probe] if probe is not None else []
        return []

    @classmethod
    def get_probe_with_id(cls, unique_id: str, is_explicit: bool = False) -> Optional["GdbRspProbe"]:
        if not is_explicit:
            return None
        address = parse_address(unique_id)
        if address is None:
            raise exceptions.ProbeError(f"gdbrsp: {unique_id!r} is not HOST:PORT")
        return cls(*address)

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self._host, self._port = host, port
        self._rsp: Optional[RspClient] = None
        self._connected = False
        self._memif: Optional[GdbRspMemoryInterface] = None
        self._components: Dict[int, Dict[int, int]] = {}
        self._dp_ctrl_stat = 0
        self._dp_select = 0
        self._csw = 0x23000002 | CSW_DEVICEEN | CSW_ADDRINC_SINGLE
        self._tar = 0
        # Core debug state as pyOCD sees it.
        self._halted = False
        self._dhcsr_ctrl = 0
        self._demcr = 0
        self._dfsr = 0
        self._dcrdr = 0
        self._reset_seen = False
        self._nreset = False
        self._fp_enabled = False
        self._fp_comp = [0] * FP_COMPS
        self._stub_breakpoints: Set[int] = set()

    # ------------------------------------------------------------ identity

    @property
    def vendor_name(self) -> str:
        return "crashdump"

    @property
    def product_name(self) -> str:
        return f"GDB remote-protocol stub at {self._host}:{self._port}"

    @property
    def description(self) -> str:
        return self.product_name

    @property
    def supported_wire_protocols(self) -> List[DebugProbe.Protocol]:
        return [DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD]

    @property
    def unique_id(self) -> str:
        return f"{PLUGIN_NAME}:{self._host}:{self._port}"

    @property
    def wire_protocol(self) -> Optional[DebugProbe.Protocol]:
        return DebugProbe.Protocol.SWD if self._connected else None

    @property
    def is_open(self) -> bool:
        return self._rsp is not None

    @property
    def capabilities(self) -> Set[DebugProbe.Capability]:
        return {DebugProbe.Capability.MANAGED_AP_SELECTION,
                DebugProbe.Capability.MANAGED_DPBANKSEL}

    @property
    def rsp(self) -> RspClient:
        """The open RSP connection (for callers that want the stub directly)."""
        if self._rsp is None:
            raise GdbRspProbeError(f"the gdbrsp probe {self._host}:{self._port} is not open")
        return self._rsp

    # ------------------------------------------------------------ life cycle

    def _option(self, name: str, default: Any) -> Any:
        if self.session is None:
            return default
        value = self.session.options.get(name)
        return default if value in (None, "") else value

    def open(self) -> None:
        rsp = RspClient(self._host, self._port,
                        timeout=float(self._option("gdbrsp.timeout", DEFAULT_TIMEOUT)),
                        max_read=int(self._option("gdbrsp.max_read", 0)) or None,
                        reset_command=str(self._option("gdbrsp.reset_command",
                                                       QEMU_RESET_COMMAND)))
        try:
            rsp.open()
            cpuid = int.from_bytes(rsp.read_memory(CPUID, 4), "little")
        except RspError as e:
            rsp.close()
            raise _translate(e) from e
        self._rsp = rsp
        self._components = _core_components(cpuid)
        self._halted = not rsp.found_running
        self._dhcsr_ctrl = C_DEBUGEN | (C_HALT if self._halted else 0)
        LOG.debug("gdbrsp: %s, CPUID %#010x, guest %s", rsp.address, cpuid,
                  "running" if rsp.found_running else "halted")
        if rsp.found_running:
            self._call(rsp.resume)  # attaching paused it: let it run on

    def close(self) -> None:
        rsp = self._rsp
        if rsp is None:
            return
        try:
            self._check_stopped()
            self._fp_enabled = False
            self._sync_breakpoints()
            rsp.leave(running=not self._halted)
        except ProbeError as e:
            LOG.warning("gdbrsp: leaving %s: %s", rsp.address, e)
        finally:
            rsp.close()
            self._rsp = None

    def connect(self, protocol: Optional[DebugProbe.Protocol] = None) -> None:
        self.rsp  # raises if not open
        self._connected = True

    def disconnect(self) -> None:
        self._connected = False

    def set_clock(self, frequency: float) -> None:
        pass  # no wire

    def swj_sequence(self, length: int, bits: int) -> None:
        pass

    # ------------------------------------------------------------ reset

    def reset(self) -> None:
        self._do_reset()

    def assert_reset(self, asserted: bool) -> None:
        if self._nreset and not asserted:
            self._do_reset()
        self._nreset = asserted

    def is_reset_asserted(self) -> bool:
        return self._nreset

    def _do_reset(self) -> None:
        rsp = self.rsp
        self._call(rsp.halt)
        self._call(rsp.monitor, rsp.reset_command)
        self._reset_seen = True
        if self._demcr & DEMCR_VC_CORERESET:
            self._set_halted(DFSR_VCATCH)
        else:
            self._halted = False
            self._dhcsr_ctrl &= ~C_HALT
            self._call(rsp.resume)

    # ------------------------------------------------------------ DP and AP

    def read_dp(self, addr: int, now: bool = True) -> Union[int, Callable[[], int]]:
        value = {DP_IDR: DP_IDR_VALUE, DP_SELECT: self._dp_select, DP_RDBUFF: 0}.get(addr & 0xF)
        if (addr & 0xF) == DP_CTRL_STAT:
            value = self._dp_ctrl_stat
            value |= (value & CDBGPWRUPREQ) << 1 | (value & CSYSPWRUPREQ) << 1  # the acks
        result = value or 0
        return result if now else (lambda: result)

    def write_dp(self, addr: int, data: int) -> None:
        if (addr & 0xF) == DP_CTRL_STAT:
            self._dp_ctrl_stat = data & 0x5FFFFFFF
        elif (addr & 0xF) == DP_SELECT:
            self._dp_select = data

    def _has_ctrl_ap(self) -> bool:
        return str(self._option("target_override", "")).lower().startswith("nrf52")

    def read_ap(self, addr: int, now: bool = True) -> Union[int, Callable[[], int]]:
        apsel, reg = (addr >> 24) & 0xFF, addr & 0xFF
        if apsel == CTRL_AP_APSEL and self._has_ctrl_ap():
            value = {AP_IDR: CTRL_AP_IDR_VALUE,
                     CTRL_AP_APPROTECTSTATUS: CTRL_AP_APPROTECT_DISABLED}.get(reg, 0)
        elif apsel != 0:
            value = 0  # absent: the AP scan stops
        elif reg == AP_IDR:
            value = AHB_AP_IDR_VALUE
        elif reg == AP_CSW:
            value = self._csw
        elif reg == AP_TAR:
            value = self._tar
        elif reg == AP_BASE:
            value = ROM_TABLE | 3
        elif reg == AP_DRW or AP_BD0 <= reg < AP_BD0 + 16:
            value = self._ap_data(reg)
        else:
            value = 0
        return value if now else (lambda: value)

    def write_ap(self, addr: int, data: int) -> None:
        apsel, reg = (addr >> 24) & 0xFF, addr & 0xFF
        if apsel != 0:
            return  # the CTRL-AP's RESET/ERASEALL: nothing to do in an emulator
        if reg == AP_CSW:
            self._csw = (data | CSW_DEVICEEN) & 0xFFFFFFFF
        elif reg == AP_TAR:
            self._tar = data & 0xFFFFFFFF
        elif reg == AP_DRW or AP_BD0 <= reg < AP_BD0 + 16:
            self._ap_data(reg, data)

    def _ap_data(self, reg: int, data: Optional[int] = None) -> int:
        """DRW/BDx: one access through the memory interface, as a MEM-AP would."""
        memif = self._memory_interface()
        size = {0: 8, 1: 16}.get(self._csw & 7, 32)
        address = self._tar if reg == AP_DRW else (self._tar & ~0xF) + (reg - AP_BD0)
        if data is None:
            value = memif.read_memory(address, size)
            lane = (address & 3) * 8 if size < 32 else 0
            value = value << lane
        else:
            lane = (address & 3) * 8 if size < 32 else 0
            memif.write_memory(address, (data >> lane) & ((1 << size) - 1), size)
            value = 0
        if reg == AP_DRW and self._csw & CSW_ADDRINC_SINGLE:
            self._tar = (self._tar + size // 8) & 0xFFFFFFFF
        return value

    def read_ap_multiple(self, addr: int, count: int = 1, now: bool = True) \
            -> Union[Sequence[int], Callable[[], Sequence[int]]]:
        values = [self.read_ap(addr) for _ in range(count)]
        return values if now else (lambda: values)

    def write_ap_multiple(self, addr: int, values: Sequence[int]) -> None:
        for v in values:
            self.write_ap(addr, v)

    def get_memory_interface_for_ap(self, ap_address: Any) -> Optional[MemoryInterface]:
        if getattr(ap_address, "apsel", None) != 0:
            return None
        return self._memory_interface()

    def _memory_interface(self) -> "GdbRspMemoryInterface":
        if self._memif is None:
            self._memif = GdbRspMemoryInterface(self)
        return self._memif

    # ------------------------------------------------------------ the stub

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Calls into the RSP client with its errors turned into pyOCD ones."""
        try:
            return fn(*args)
        except RspError as e:
            raise _translate(e) from e

    @contextmanager
    def paused(self) -> Iterator[RspClient]:
        """The stub, with the guest stopped for the duration (a stub cannot
        access a running guest); a guest pyOCD believes running runs on after."""
        rsp = self.rsp
        with self._lock:
            self._check_stopped()
            pause = not self._halted
            if pause:
                self._call(rsp.halt)
            try:
                yield rsp
            finally:
                if pause and self._rsp is not None:
                    self._call(rsp.resume)

    def _check_stopped(self) -> None:
        """Notices a guest that stopped by itself (e.g. a BKPT with a debugger attached)."""
        if not self._halted and self._rsp is not None:
            stop = self._call(self._rsp.poll_stop)
            if stop is not None:
                self._set_halted(DFSR_BKPT if stop.signal == 5 else DFSR_EXTERNAL)

    def _set_halted(self, reason: int) -> None:
        self._halted = True
        self._dhcsr_ctrl |= C_HALT
        self._dfsr |= reason

    def read_stub_memory(self, address: int, length: int) -> bytes:
        with self.paused() as rsp:
            return self._call(rsp.read_memory, address, length)

    def write_stub_memory(self, address: int, data: bytes) -> None:
        with self.paused() as rsp:
            self._call(rsp.write_memory, address, data)

    # ------------------------------------------------------------ PPB emulation

    def read_ppb_word(self, address: int) -> Optional[int]:
        """The value the probe answers for a debug word, or None to ask the stub."""
        if address == DHCSR:
            self._check_stopped()
            value = (self._dhcsr_ctrl & 0xFFFF) | S_REGRDY
            if self._halted:
                value |= S_HALT | C_HALT
            else:
                value |= S_RETIRE_ST
            if self._reset_seen:
                value |= S_RESET_ST
                self._reset_seen = False  # sticky until read, as on hardware
            return value
        if address == DCRSR:
            return 0
        if address == DCRDR:
            return self._dcrdr
        if address == DEMCR:
            return self._demcr
        if address == DFSR:
            return self._dfsr
        if address == FP_CTRL:
            return FP_CTRL_VALUE | int(self._fp_enabled)
        if FP_COMP0 <= address < FP_COMP0 + 4 * FP_COMPS:
            return self._fp_comp[(address - FP_COMP0) // 4]
        block = address & ~0xFFF
        if block == ROM_TABLE:
            return self._rom_table_word(address & 0xFFF)
        if block in self._components:
            ids = self._components[block]
            if (address & 0xFFF) in ids:
                return ids[address & 0xFFF]
            if block in (DWT, FPB):
                return 0  # DWT_CTRL NUMCOMP 0: no watchpoints
        return None

    def _rom_table_word(self, offset: int) -> int:
        entries = [((base - ROM_TABLE) & 0xFFFFF000) | 3 for base in (SCS, DWT, FPB)]
        if offset < 4 * len(entries):
            return entries[offset // 4]
        if offset >= ID_BLOCK:
            return _component_ids(0x4C4, 0x1).get(offset, 0)
        if offset == 0xFCC:
            return 1  # MEMTYPE.SYSMEM: system memory is on this bus
        return 0

    def write_ppb_word(self, address: int, value: int) -> bool:
        """Handles a write to a debug word; False to pass it to the stub."""
        if address == DHCSR:
            if (value & 0xFFFF0000) == DBGKEY:
                self._write_dhcsr(value & 0xFFFF)
            return True
        if address == DCRSR:
            self._write_dcrsr(value)
            return True
        if address == DCRDR:
            self._dcrdr = value & 0xFFFFFFFF
            return True
        if address == DEMCR:
            self._demcr = value & 0xFFFFFFFF
            return True
        if address == DFSR:
            self._dfsr &= ~value
            return True
        if address == AIRCR and (value & 0xFFFF0000) == AIRCR_VECTKEY \
                and value & (AIRCR_SYSRESETREQ | AIRCR_VECTRESET):
            self._do_reset()
            return True
        if address == FP_CTRL:
            if value & 2:  # KEY
                self._fp_enabled = bool(value & 1)
                self._sync_breakpoints()
            return True
        if FP_COMP0 <= address < FP_COMP0 + 4 * FP_COMPS:
            self._fp_comp[(address - FP_COMP0) // 4] = value & 0xFFFFFFFF
            self._sync_breakpoints()
            return True
        block = address & ~0xFFF
        return block == ROM_TABLE or block in (DWT, FPB)  # read-only fakes: writes dropped

    def _sync_breakpoints(self) -> None:
        """Makes the stub's `Z1` breakpoints match the enabled FPB comparators."""
        wanted = {c & ~1 for c in self._fp_comp if c & 1} if self._fp_enabled else set()
        if wanted == self._stub_breakpoints:
            return
        with self.paused() as rsp:
            for addr in sorted(self._stub_breakpoints - wanted):
                self._call(rsp.request, f"z1,{addr:x},2")
                self._stub_breakpoints.discard(addr)
            for addr in sorted(wanted - self._stub_breakpoints):
                self._call(rsp.request, f"Z1,{addr:x},2")
                self._stub_breakpoints.add(addr)

    def _write_dhcsr(self, ctrl: int) -> None:
        rsp = self.rsp
        if not ctrl & C_DEBUGEN:
            self._dhcsr_ctrl = 0
            if self._halted:
                self._resume()
            return
        self._check_stopped()
        if ctrl & C_HALT:
            if not self._halted:
                self._call(rsp.halt)
                self._set_halted(DFSR_HALTED)
        elif self._halted and ctrl & C_STEP:
            self._call(rsp.step)
            self._dfsr |= DFSR_HALTED
        elif self._halted:
            self._resume()
        self._dhcsr_ctrl = (ctrl & (C_DEBUGEN | C_STEP | C_MASKINTS)) | \
            (C_HALT if self._halted else 0)

    def _resume(self) -> None:
        self._call(self.rsp.resume)
        self._halted = False
        self._dhcsr_ctrl &= ~C_HALT

    def _write_dcrsr(self, value: int) -> None:
        regsel = value & 0x7F
        write = bool(value & DCRSR_REGWNR)
        if not self._halted:
            raise GdbRspRegisterError("core registers need a halted core")
        with self.paused() as rsp:
            if regsel == REGSEL_CFBP:
                self._cfbp(rsp, write)
                return
            name = REGSEL_NAMES.get(regsel)
            if name is None:
                raise GdbRspRegisterError(f"gdbrsp: no register for DCRSR REGSEL {regsel:#x}")
            if name.startswith("s") and name[1:].isdigit() and name not in rsp.registers:
                self._single_via_double(rsp, int(name[1:]), write)
                return
            if write:
                self._call(rsp.write_register, name, self._dcrdr)
            else:
                self._dcrdr = self._call(rsp.read_register, name) & 0xFFFFFFFF

    def _cfbp(self, rsp: RspClient, write: bool) -> None:
        present = [(n, shift) for n, shift in CFBP_PARTS if n in rsp.registers]
        if not any(n == "control" for n, _ in present):
            raise GdbRspRegisterError(
                f"the GDB stub at {rsp.address} does not expose control/primask/basepri/"
                f"faultmask (QEMU 7.2 does not)")
        if write:
            for n, shift in present:
                self._call(rsp.write_register, n, (self._dcrdr >> shift) & 0xFF)
        else:
            self._dcrdr = 0
            for n, shift in present:
                self._dcrdr |= (self._call(rsp.read_register, n) & 0xFF) << shift

    def _single_via_double(self, rsp: RspClient, index: int, write: bool) -> None:
        """s<n> from d<n/2> for stubs that describe the FPU as doubles (QEMU's arm-vfp)."""
        dname = f"d{index // 2}"
        if dname not in rsp.registers:
            raise GdbRspRegisterError(
                f"the GDB stub at {rsp.address} does not expose FPU register s{index} "
                f"(no s{index} or {dname} in its target description)")
        double = self._call(rsp.read_register, dname)
        shift = 32 * (index & 1)
        if write:
            double = (double & ~(0xFFFFFFFF << shift)) | ((self._dcrdr & 0xFFFFFFFF) << shift)
            self._call(rsp.write_register, dname, double)
        else:
            self._dcrdr = (double >> shift) & 0xFFFFFFFF


class GdbRspMemoryInterface(MemoryInterface):
    """The AHB-AP's memory: debug words answered by the probe, the rest by `m`/`M`/`X`."""

    def __init__(self, probe: GdbRspProbe) -> None:
        self._probe = probe

    # Single accesses.

    def read_memory(self, addr: int, transfer_size: int = 32, now: bool = True,
                    **attrs: Any) -> Union[int, Callable[[], int]]:
        value = self._read(addr & 0xFFFFFFFF, transfer_size)
        return value if now else (lambda: value)

    def write_memory(self, addr: int, data: int, transfer_size: int = 32, **attrs: Any) -> None:
        addr &= 0xFFFFFFFF
        nbytes = transfer_size // 8
        if PPB_START <= addr < PPB_END and transfer_size == 32 and not addr & 3:
            if self._probe.write_ppb_word(addr, data):
                return
        self._probe.write_stub_memory(addr, (data & ((1 << transfer_size) - 1))
                                      .to_bytes(nbytes, "little"))

    def _read(self, addr: int, transfer_size: int) -> int:
        nbytes = transfer_size // 8
        if PPB_START <= addr < PPB_END:
            word = self._probe.read_ppb_word(addr & ~3)
            if word is not None:
                shift = 8 * (addr & 3)
                return (word >> shift) & ((1 << transfer_size) - 1)
        return int.from_bytes(self._probe.read_stub_memory(addr, nbytes), "little")

    # Blocks: one stub read for everything outside the debug region.

    def read_memory_block8(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        return list(self._read_bytes(addr & 0xFFFFFFFF, size))

    def read_memory_block32(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        data = self._read_bytes(addr & 0xFFFFFFFF, size * 4)
        return list(struct.unpack(f"<{size}I", data))

    def write_memory_block8(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        self._write_bytes(addr & 0xFFFFFFFF, bytes(data))

    def write_memory_block32(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        self._write_bytes(addr & 0xFFFFFFFF, struct.pack(f"<{len(data)}I", *data))

    def _read_bytes(self, addr: int, length: int) -> bytes:
        if length <= 0:
            return b""
        if addr + length <= PPB_START or addr >= PPB_END:
            return self._probe.read_stub_memory(addr, length)
        out = bytearray()  # the debug region: word by word, so fakes answer
        while len(out) < length:
            a = addr + len(out)
            if a % 4 == 0 and len(out) + 4 <= length:
                out += self._read(a, 32).to_bytes(4, "little")
            else:
                out.append(self._read(a, 8))
        return bytes(out)

    def _write_bytes(self, addr: int, data: bytes) -> None:
        if not data:
            return
        if addr + len(data) <= PPB_START or addr >= PPB_END:
            self._probe.write_stub_memory(addr, data)
            return
        i = 0
        while i < len(data):
            if (addr + i) % 4 == 0 and i + 4 <= len(data):
                self.write_memory(addr + i, int.from_bytes(data[i:i + 4], "little"), 32)
                i += 4
            else:
                self.write_memory(addr + i, data[i], 8)
                i += 1


class GdbRspProbePlugin(Plugin):
    """Registers `gdbrsp` with pyOCD (entry point group `pyocd.probe`)."""

    def should_load(self) -> bool:
        return True

    def load(self) -> type:
        return GdbRspProbe

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def description(self) -> str:
        return "GDB remote-protocol stub (QEMU -gdb, Renode StartGdbServer) as a debug probe"

    @property
    def options(self) -> List[OptionInfo]:
        return [
            OptionInfo("gdbrsp.reset_command", str, QEMU_RESET_COMMAND,
                       "Monitor command (qRcmd) that resets the emulated machine: "
                       f"'{QEMU_RESET_COMMAND}' for QEMU; Renode's is '{RENODE_RESET_COMMAND}'."),
            OptionInfo("gdbrsp.timeout", float, DEFAULT_TIMEOUT,
                       "Seconds to wait for each reply from the GDB stub."),
            OptionInfo("gdbrsp.max_read", int, 0,
                       "Bytes per 'm' packet; 0 takes half the stub's PacketSize "
                       "(QEMU: 2048)."),
        ]
