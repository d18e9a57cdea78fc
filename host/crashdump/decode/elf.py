# SPDX-License-Identifier: Apache-2.0
"""The firmware ELF: symbols by address, GNU build-id, DWARF line lookup,
call frame information (.debug_frame) and read-only section bytes.

Only this module imports pyelftools. Everything is loaded once, lazily, and
errors from pyelftools are wrapped in ElfError (a CrashdumpError).
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from ..errors import CrashdumpError
from .elf_index import read_elf_id


class ElfError(CrashdumpError):
    """The ELF file is missing, unreadable or not an ELF."""


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int      # Thumb bit cleared for functions
    size: int
    kind: str      # "func" or "object"

    def contains(self, addr: int) -> bool:
        return self.addr <= addr < self.addr + max(self.size, 1)


@dataclass(frozen=True)
class LineInfo:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class CfiRow:
    """One row of a CFI table: from `pc`, CFA = reg + offset; saved registers at
    CFA + offset (None = same value)."""

    pc: int
    cfa_reg: Optional[int]
    cfa_offset: int
    saved: Dict[int, int]   # register -> offset from CFA where it is stored


@dataclass(frozen=True)
class Fde:
    start: int
    end: int
    rows: Tuple[CfiRow, ...]
    ra_reg: int

    def row_at(self, pc: int) -> Optional[CfiRow]:
        pcs = [r.pc for r in self.rows]
        i = bisect.bisect_right(pcs, pc) - 1
        return self.rows[i] if i >= 0 else None


class Elf:
    """A loaded firmware image."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile
        self.path = Path(path)
        try:
            self._file = open(self.path, "rb")
        except OSError as e:
            raise ElfError(f"cannot open {self.path}: {e.strerror or e}") from None
        try:
            self._elf = ELFFile(self._file)
        except (ELFError, Exception) as e:  # noqa: BLE001 -- any parse failure: not an ELF
            self._file.close()
            raise ElfError(f"{self.path} is not an ELF file ({e})") from None
        self.warnings: List[str] = []
        self._symbols: Optional[List[Symbol]] = None
        self._lines: Optional[Tuple[List[int], List[Optional[LineInfo]]]] = None
        self._fdes: Optional[List[Fde]] = None
        self._dwarf: Any = None
        self._dwarf_loaded = False
        self._text: Optional[List[Tuple[int, int]]] = None
        self._ro: Optional[List[Tuple[int, bytes]]] = None
        self._sym_addrs: List[int] = []
        self._addresses: Optional[Dict[str, int]] = None
        self._ident: Optional[Tuple[int, Optional[bytes]]] = None

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Elf":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ identity

    @property
    def build_id(self) -> Optional[bytes]:
        """The GNU build-id note's bytes, None if the ELF has none."""
        return self._identity()[1]

    @property
    def machine(self) -> int:
        """e_machine (EM_ARM = 40)."""
        return self._identity()[0]

    def _identity(self) -> Tuple[int, Optional[bytes]]:
        if self._ident is None:
            self._ident = read_elf_id(self.path) or (0, None)  # pyelftools read it, we not
        return self._ident

    # ------------------------------------------------------------ symbols

    def symbols(self) -> List[Symbol]:
        if self._symbols is None:
            syms: List[Symbol] = []
            table = self._elf.get_section_by_name(".symtab")
            if table is not None:
                for s in table.iter_symbols():
                    kind = {"STT_FUNC": "func", "STT_OBJECT": "object"}.get(s["st_info"]["type"])
                    if kind is None or not s.name or s["st_shndx"] == "SHN_UNDEF":
                        continue
                    addr = s["st_value"] & ~1 if kind == "func" else s["st_value"]
                    syms.append(Symbol(s.name, addr, s["st_size"], kind))
            syms.sort(key=lambda s: (s.addr, -s.size))
            self._symbols = syms
            self._sym_addrs = [s.addr for s in syms]
        return self._symbols

    def address_of(self, name: str) -> Optional[int]:
        """The value of the symbol `name` of any type (linker-script symbols
        included), or None if the ELF has no such defined symbol."""
        if self._addresses is None:
            self._addresses = {}
            table = self._elf.get_section_by_name(".symtab")
            for s in table.iter_symbols() if table is not None else ():
                if s.name and s["st_shndx"] != "SHN_UNDEF":
                    self._addresses.setdefault(s.name, int(s["st_value"]))
        return self._addresses.get(name)

    def symbol_at(self, addr: int, kind: Optional[str] = None) -> Optional[Symbol]:
        """The symbol whose [addr, addr + size) holds addr (functions: Thumb bit ignored)."""
        syms = self.symbols()
        i = bisect.bisect_right(self._sym_addrs, addr) - 1
        while i >= 0 and addr - syms[i].addr < 1 << 20:
            s = syms[i]
            if (kind is None or s.kind == kind) and s.contains(addr):
                return s
            i -= 1
        return None

    def symbol(self, name: str) -> Optional[Symbol]:
        for s in self.symbols():
            if s.name == name:
                return s
        return None

    # ------------------------------------------------------------ DWARF

    @property
    def dwarf(self) -> Any:
        if not self._dwarf_loaded:
            self._dwarf_loaded = True
            try:
                if self._elf.has_dwarf_info():
                    self._dwarf = self._elf.get_dwarf_info()
            except Exception as e:  # noqa: BLE001 -- broken DWARF: decode without it
                self.warnings.append(f"{self.path.name}: DWARF unreadable ({e})")
        return self._dwarf

    def line_at(self, addr: int) -> Optional[LineInfo]:
        """file:line of the instruction at addr, from the DWARF line table."""
        if self._lines is None:
            self._lines = self._load_lines()
        addrs, infos = self._lines
        i = bisect.bisect_right(addrs, addr) - 1
        return infos[i] if i >= 0 else None

    def _load_lines(self) -> Tuple[List[int], List[Optional[LineInfo]]]:
        rows: List[Tuple[int, Optional[LineInfo]]] = []
        dwarf = self.dwarf
        if dwarf is None:
            return [], []
        try:
            for cu in dwarf.iter_CUs():
                program = dwarf.line_program_for_CU(cu)
                if program is None:
                    continue
                header = program.header
                files = header["file_entry"]
                dirs = header["include_directory"]
                v5 = header["version"] >= 5
                seq: List[Tuple[int, Optional[LineInfo]]] = []
                for entry in program.get_entries():
                    st = entry.state
                    if st is None:
                        continue
                    if st.end_sequence:
                        # A sequence of a function the linker discarded is
                        # relocated to 0, where Cortex-M code never is (the
                        # vector table's initial SP is): drop it, or it would
                        # name lines for PC 0 or for the vectors.
                        if seq and seq[0][0] != 0:
                            rows += seq
                            rows.append((st.address, None))
                        seq = []
                        continue
                    index = st.file if v5 else st.file - 1
                    name = "?"
                    if 0 <= index < len(files):
                        fe = files[index]
                        name = fe.name.decode(errors="replace")
                        d = fe.dir_index if v5 else fe.dir_index - 1
                        if not os.path.isabs(name) and 0 <= d < len(dirs) and fe.dir_index:
                            name = os.path.join(dirs[d].decode(errors="replace"), name)
                    seq.append((st.address, LineInfo(name, st.line)))
        except Exception as e:  # noqa: BLE001
            self.warnings.append(f"{self.path.name}: DWARF line table unreadable ({e})")
        rows.sort(key=lambda r: (r[0], r[1] is not None))
        return [r[0] for r in rows], [r[1] for r in rows]

    @property
    def has_lines(self) -> bool:
        if self._lines is None:
            self._lines = self._load_lines()
        return bool(self._lines[0])

    def fdes(self) -> List[Fde]:
        """FDEs from .debug_frame, sorted by start address."""
        if self._fdes is None:
            self._fdes = self._load_fdes()
        return self._fdes

    def _load_fdes(self) -> List[Fde]:
        from elftools.dwarf.callframe import FDE
        out: List[Fde] = []
        dwarf = self.dwarf
        if dwarf is None or not dwarf.has_CFI():
            return out
        try:
            for entry in dwarf.CFI_entries():
                if not isinstance(entry, FDE):
                    continue
                decoded = entry.get_decoded()
                rows = []
                for r in decoded.table:
                    cfa = r["cfa"]
                    saved = {reg: rule.arg for reg, rule in r.items()
                             if isinstance(reg, int) and rule.type == "OFFSET"}
                    rows.append(CfiRow(r["pc"], cfa.reg if cfa.expr is None else None,
                                       cfa.offset or 0, saved))
                start = entry["initial_location"]
                out.append(Fde(start, start + entry["address_range"], tuple(rows),
                               entry.cie["return_address_register"]))
        except Exception as e:  # noqa: BLE001
            self.warnings.append(f"{self.path.name}: .debug_frame unreadable ({e})")
        out.sort(key=lambda f: f.start)
        return out

    def fde_at(self, pc: int) -> Optional[Fde]:
        fdes = self.fdes()
        i = bisect.bisect_right([f.start for f in fdes], pc) - 1
        return fdes[i] if i >= 0 and pc < fdes[i].end else None

    # ------------------------------------------------------------ memory

    def text_ranges(self) -> List[Tuple[int, int]]:
        if self._text is None:
            self._text = [(s["sh_addr"], s["sh_addr"] + s["sh_size"])
                          for s in self._elf.iter_sections()
                          if s["sh_flags"] & 0x4 and s["sh_type"] == "SHT_PROGBITS"]
        return self._text

    def in_text(self, addr: int) -> bool:
        return any(lo <= addr < hi for lo, hi in self.text_ranges())

    def read(self, addr: int, size: int) -> Optional[bytes]:
        """Bytes of a read-only, allocated section (code, constants), or None."""
        if self._ro is None:  # SHF_ALLOC and not SHF_WRITE
            self._ro = [(s["sh_addr"], s.data()) for s in self._elf.iter_sections()
                        if s["sh_flags"] & 0x2 and not s["sh_flags"] & 0x1
                        and s["sh_type"] == "SHT_PROGBITS"]
        for lo, data in self._ro:
            if lo <= addr and addr + size <= lo + len(data):
                return data[addr - lo:addr - lo + size]
        return None
