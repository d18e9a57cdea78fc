# SPDX-License-Identifier: Apache-2.0
"""Finding a dump's ELF by build-id: the note reader, the directory index,
and `decode`/`gdbserver` with --symbols, $CRASHDUMP_SYMBOLS and --force-elf."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

from crashdump.cli import main
from crashdump.decode.elf import Elf
from crashdump.decode.elf_index import EM_ARM, ElfIndex, elf_problems, read_elf_id
from crashdump.dumpfile.build import build_dump
from crashdump.dumpfile.parse import MemBlock, Regs

EM_X86_64 = 62


def tiny_elf(machine: int = EM_ARM, build_id: bytes = b"", wide: bool = False,
             big: bool = False, other_note: bool = True) -> bytes:
    """An ELF with no code: a header, a note section (another vendor's note
    first, then the GNU build-id, if given), .shstrtab and the section table."""
    e = ">" if big else "<"

    def note(name: bytes, kind: int, desc: bytes) -> bytes:
        pad = lambda b: b + bytes(-len(b) % 4)  # noqa: E731
        return struct.pack(e + "III", len(name), len(desc), kind) + pad(name) + pad(desc)

    notes = note(b"Xyz\0", 3, b"\xee" * 8) if other_note else b""
    if build_id:
        notes += note(b"GNU\0", 3, build_id)
    names = b"\0.note.gnu.build-id\0.shstrtab\0"
    ehsize, shentsize = (64, 64) if wide else (52, 40)
    notes_at = ehsize
    names_at = notes_at + len(notes)
    shoff = names_at + len(names) + (-(names_at + len(names)) % 8)

    def sh(name: int, kind: int, offset: int, size: int) -> bytes:
        if wide:
            return struct.pack(e + "IIQQQQIIQQ", name, kind, 0, 0, offset, size, 0, 0, 4, 0)
        return struct.pack(e + "IIIIIIIIII", name, kind, 0, 0, offset, size, 0, 0, 4, 0)

    table = sh(0, 0, 0, 0) + sh(1, 7, notes_at, len(notes)) + sh(20, 3, names_at, len(names))
    ident = b"\x7fELF" + bytes([2 if wide else 1, 2 if big else 1, 1]) + bytes(9)
    if wide:
        header = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, machine, 1, 0, 0, shoff, 0,
                                     ehsize, 0, 0, shentsize, 3, 2)
    else:
        header = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, machine, 1, 0, 0, shoff, 0,
                                     ehsize, 0, 0, shentsize, 3, 2)
    body = header + notes + names
    return body + bytes(shoff - len(body)) + table


@pytest.mark.parametrize("wide,big", [(False, False), (True, False), (False, True)])
def test_build_id_note_read_in_every_layout(tmp_path: Path, wide: bool, big: bool) -> None:
    f = tmp_path / "fw.elf"
    f.write_bytes(tiny_elf(build_id=bytes(range(20)), wide=wide, big=big))
    assert read_elf_id(f) == (EM_ARM, bytes(range(20)))
    f.write_bytes(tiny_elf(EM_X86_64, wide=wide, big=big))
    assert read_elf_id(f) == (EM_X86_64, None)


def test_not_an_elf_or_cut_short(tmp_path: Path) -> None:
    f = tmp_path / "x"
    for data in (b"", b"hello", b"\x7fELF" + bytes(60), tiny_elf(build_id=b"\1" * 20)[:70]):
        f.write_bytes(data)
        got = read_elf_id(f)
        assert got is None or got[1] is None, data
    assert read_elf_id(tmp_path / "missing") is None


def test_pyelftools_agrees_on_a_real_elf() -> None:
    """Elf.build_id is read_elf_id's; pyelftools' note parser must find the same."""
    from elftools.elf.elffile import ELFFile
    path = Path(sys.executable).resolve()
    with open(path, "rb") as fh:
        if fh.read(4) != b"\x7fELF":
            pytest.skip("the Python interpreter is not an ELF file")
        fh.seek(0)
        ids = [bytes.fromhex(n["n_desc"]) for s in ELFFile(fh).iter_sections()
               if s["sh_type"] == "SHT_NOTE" for n in s.iter_notes()
               if n["n_type"] == "NT_GNU_BUILD_ID"]
    with Elf(path) as elf:
        assert elf.build_id == (ids[0] if ids else None)
        assert elf.machine != EM_ARM


def test_index_finds_arm_elfs_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "fw.elf").write_bytes(tiny_elf(build_id=b"\1" * 20))
    (tmp_path / "a" / "copy.elf").write_bytes(tiny_elf(build_id=b"\1" * 20))
    (tmp_path / "host.bin").write_bytes(tiny_elf(EM_X86_64, build_id=b"\2" * 20))
    (tmp_path / "notes.txt").write_text("x")
    index = ElfIndex([tmp_path])
    assert index.find(b"\1" * 20) == tmp_path / "a" / "copy.elf"   # a/ before a/b/
    assert index.find(b"\2" * 20) is None      # not for Arm
    assert index.find(b"") is None and index.scanned == 3
    assert "(3 ELF files)" in index.describe()


def test_elf_problems() -> None:
    assert elf_problems("fw", EM_ARM, b"\1", b"\1") == []
    assert elf_problems("fw", EM_ARM, None, b"\1") == []         # cannot check: report warns
    assert elf_problems("fw", EM_ARM, b"\1", b"") == []
    assert elf_problems("fw", EM_ARM, b"\1", b"\2") == [
        "build-id mismatch: the dump is from build 02, fw is 01"]
    assert elf_problems("ls", EM_X86_64, None, b"\2") == ["ls is not an Arm ELF (e_machine 62)"]


# ---------------------------------------------------------------- CLI


def setup_files(tmp_path: Path) -> Tuple[Path, Path, Path]:
    """A dump of build 11.., a symbol tree holding its ELF, and another build's ELF."""
    dump = tmp_path / "crash.cdmp"
    dump.write_bytes(build_dump(regs=Regs(r=(0,) * 13, sp=0x20000F00, lr=0x101, pc=0x200,
                                          xpsr=0), stack=MemBlock(0x20000F00, bytes(64)),
                                build_id=b"\x11" * 20))
    syms = tmp_path / "syms"
    (syms / "v1").mkdir(parents=True)
    (syms / "v1" / "fw.elf").write_bytes(tiny_elf(build_id=b"\x11" * 20))
    other = tmp_path / "other.elf"
    other.write_bytes(tiny_elf(build_id=b"\x22" * 20))
    return dump, syms, other


def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_decode_finds_the_elf_by_build_id(capsys: pytest.CaptureFixture, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dump, syms, other = setup_files(tmp_path)
    code, out, err = run(capsys, "decode", str(dump), "--json")
    assert code == 0 and "no ELF: no symbols" in " ".join(json.loads(out)["warnings"])
    code, out, err = run(capsys, "decode", str(dump), "--symbols", str(syms), "--json")
    assert code == 0, err
    assert not [w for w in json.loads(out)["warnings"] if "ELF" in w or "build-id" in w]
    monkeypatch.setenv("CRASHDUMP_SYMBOLS", f"{tmp_path / 'nowhere-else'}:{syms}")
    (tmp_path / "nowhere-else").mkdir()
    code, out, err = run(capsys, "decode", str(dump), "--json")
    assert code == 0 and not [w for w in json.loads(out)["warnings"] if "ELF" in w]
    # the wrong --elf: the symbol directory's match wins
    code, out, err = run(capsys, "decode", str(dump), "--elf", str(other), "--json")
    assert code == 0 and not [w for w in json.loads(out)["warnings"] if "mismatch" in w]
    monkeypatch.delenv("CRASHDUMP_SYMBOLS")
    # no match anywhere: decoded without symbols, and it says where it looked
    code, out, err = run(capsys, "decode", str(dump), "--symbols", str(tmp_path / "nowhere-else"))
    assert code == 0 and f"warning: no ELF with build-id {'11' * 20} in " in out
    code, _, err = run(capsys, "decode", str(dump), "--symbols", str(tmp_path / "nope"))
    assert code == 2 and "symbol directory" in err and "does not exist" in err


def test_decode_refuses_a_mismatching_or_foreign_elf(capsys: pytest.CaptureFixture,
                                                     tmp_path: Path) -> None:
    dump, syms, other = setup_files(tmp_path)
    code, out, err = run(capsys, "decode", str(dump), "--elf", str(other))
    assert code == 2 and out == ""
    assert err.startswith(f"error: decode {dump}: build-id mismatch: the dump is from build "
                          f"{'11' * 20}, other.elf is {'22' * 20}"), err
    assert "--force-elf" in err and "Traceback" not in err
    code, out, err = run(capsys, "decode", str(dump), "--elf", str(other), "--force-elf")
    assert code == 0 and "warning: build-id mismatch" in out
    x86 = tmp_path / "x86.elf"
    x86.write_bytes(tiny_elf(EM_X86_64, build_id=b"\x11" * 20))
    code, out, err = run(capsys, "decode", str(dump), "--elf", str(x86))
    assert code == 2 and "x86.elf is not an Arm ELF (e_machine 62)" in err
    code, out, err = run(capsys, "decode", str(dump), "--elf", str(x86), "--force-elf")
    assert code == 0 and "warning: x86.elf is not an Arm ELF" in out


def test_gdbserver_finds_the_elf_by_build_id(tmp_path: Path) -> None:
    dump, syms, other = setup_files(tmp_path)
    from crashdump import rsp
    packets = b"".join(rsp.encode(p) for p in (b"?", b"D"))
    for extra, code in ((["--symbols", str(syms)], 0), (["--elf", str(other)], 2), ([], 2)):
        proc = subprocess.run([sys.executable, "-m", "crashdump", "gdbserver", str(dump),
                               "--pipe", *extra], input=packets, capture_output=True,
                              timeout=30)
        assert proc.returncode == code, (extra, proc.stderr)
        if code == 0:
            assert [p for k, p in rsp.PacketReader().feed(proc.stdout) if k == "packet"]
        else:
            assert b"hint: " in proc.stderr and b"Traceback" not in proc.stderr
