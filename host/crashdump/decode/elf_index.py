# SPDX-License-Identifier: Apache-2.0
"""Finding the firmware ELF a dump came from, by its GNU build-id.

read_elf_id() reads an ELF's machine and build-id note with a few small reads
(no pyelftools: a symbol directory may be a whole build tree), ElfIndex maps
the build-ids of the Arm ELFs under some directories (searched recursively,
once, on first use) to their paths, and elf_problems() says why an ELF does
not belong to a dump: not an Arm ELF, or another build.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional, Sequence, Tuple, Union

EM_ARM = 40
SHT_NOTE = 7
NT_GNU_BUILD_ID = 3
_NOTE_MAX = 64 * 1024   # larger note sections are not a build-id's


def _read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("short read")
    return data


def read_elf_id(path: Union[str, os.PathLike]) -> Optional[Tuple[int, Optional[bytes]]]:
    """(e_machine, build-id or None) of an ELF file, None if it is not an ELF
    (or too damaged to tell)."""
    try:
        with open(path, "rb") as f:
            ident = f.read(64)
            if len(ident) < 52 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) \
                    or ident[5] not in (1, 2):
                return None
            end = "<" if ident[5] == 1 else ">"
            wide = ident[4] == 2
            (machine,) = struct.unpack_from(end + "H", ident, 18)
            if wide:
                (shoff,) = struct.unpack_from(end + "Q", ident, 0x28)
                shentsize, shnum = struct.unpack_from(end + "HH", ident, 0x3A)
            else:
                (shoff,) = struct.unpack_from(end + "I", ident, 0x20)
                shentsize, shnum = struct.unpack_from(end + "HH", ident, 0x2E)
            if shentsize < (0x28 if wide else 0x18):
                return machine, None
            table = _read_at(f, shoff, shentsize * shnum) if shoff and shnum else b""
            for i in range(shnum if table else 0):
                sh = table[i * shentsize:(i + 1) * shentsize]
                (sh_type,) = struct.unpack_from(end + "I", sh, 4)
                if sh_type != SHT_NOTE:
                    continue
                offset, size = struct.unpack_from(end + ("QQ" if wide else "II"), sh,
                                                  0x18 if wide else 0x10)
                found = _build_id_note(_read_at(f, offset, min(size, _NOTE_MAX)), end)
                if found is not None:
                    return machine, found
            return machine, None
    except (OSError, ValueError, struct.error):
        return None


def _build_id_note(notes: bytes, end: str) -> Optional[bytes]:
    pos = 0
    while pos + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from(end + "III", notes, pos)
        name_at = pos + 12
        desc_at = name_at + (namesz + 3 & ~3)
        if desc_at + descsz > len(notes):
            return None
        if kind == NT_GNU_BUILD_ID and notes[name_at:name_at + namesz] == b"GNU\0":
            return notes[desc_at:desc_at + descsz]
        pos = desc_at + (descsz + 3 & ~3)
    return None


class ElfIndex:
    """The Arm ELFs with a build-id under `dirs`, by build-id. Where two files
    carry the same build-id (copies), the first found is used: a directory's
    own files before its subdirectories', each in sorted order."""

    def __init__(self, dirs: Sequence[Union[str, os.PathLike]]) -> None:
        self.dirs = [Path(d) for d in dirs]
        self._by_id: Optional[Dict[bytes, Path]] = None
        self.scanned = 0     # ELF files looked at

    def _scan(self) -> Dict[bytes, Path]:
        found: Dict[bytes, Path] = {}
        for top in self.dirs:
            for root, subdirs, files in os.walk(top):
                subdirs.sort()
                for name in sorted(files):
                    path = Path(root, name)
                    ident = read_elf_id(path)
                    if ident is None:
                        continue
                    self.scanned += 1
                    machine, build_id = ident
                    if machine == EM_ARM and build_id:
                        found.setdefault(build_id, path)
        return found

    def find(self, build_id: bytes) -> Optional[Path]:
        if self._by_id is None:
            self._by_id = self._scan()
        return self._by_id.get(build_id) if build_id else None

    def describe(self) -> str:
        """Where it looked: for messages."""
        where = ", ".join(str(d) for d in self.dirs)
        return f"{where} ({self.scanned} ELF file{'s' if self.scanned != 1 else ''})"


def elf_problems(name: str, machine: int, elf_id: Optional[bytes],
                 dump_id: bytes) -> List[str]:
    """Why the ELF `name` cannot be the dump's: it is not for Arm, or its
    build-id is another one. A missing build-id on either side cannot be checked
    and is not a problem here (the report warns about it)."""
    problems = []
    if machine != EM_ARM:
        problems.append(f"{name} is not an Arm ELF (e_machine {machine})")
    if dump_id and elf_id is not None and elf_id != dump_id:
        problems.append(f"build-id mismatch: the dump is from build {dump_id.hex()}, {name} "
                        f"is {elf_id.hex()}")
    return problems
