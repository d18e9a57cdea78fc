# SPDX-License-Identifier: Apache-2.0
"""The host package's layers: every import (at the top of a module, in a
function or under TYPE_CHECKING) points down the order below or stays in its
own layer, and no two modules import each other, directly or round a loop.

A layer is a subpackage of crashdump, or a top-level module named here."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

PACKAGE = Path(__file__).resolve().parents[2] / "host" / "crashdump"

# Lowest first; a module may import from its own layer and the layers before it.
LAYERS: List[Tuple[str, ...]] = [
    ("errors", "rsp"),   # the exception tree; GDB RSP packets (gdbserver and probe/rsp_client)
    ("protocol",),       # wire formats, status, guid, framing, transport, client
    ("dumpfile",),       # the dump file: format, parse, build
    ("decode",),         # ELF, fault registers, unwinding, report
    ("probe",),          # pyOCD: reading dumps from flash, the gdbrsp probe
    ("gdbserver",),      # a dump served to GDB
    ("pull",),           # where dumps come from: serial and probe sources
    ("harness", "emulate", "robot", "pytest_plugin"),  # the last three re-export harness/
    ("cli", "__main__"),
]
RANK: Dict[str, int] = {name: i for i, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> Optional[str]:
    """The layer of crashdump.X.Y: X; None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imports(path: Path, modules: Set[str]) -> Set[str]:
    """The crashdump modules `path` imports, wherever the import statement is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("crashdump")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("crashdump"):
                continue
            # `from . import x` imports the module x, `from .m import f` the module m
            subs = {f"{target}.{a.name}" for a in node.names} & modules
            found |= subs or {target}
    return found - {name}


def graph() -> Dict[str, Set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports(p, modules) for p in paths}


def test_every_layer_is_known() -> None:
    layers = {layer(m) for m in graph()} - {None}
    assert layers == set(RANK), "add the new module or subpackage to LAYERS"


def test_imports_point_down() -> None:
    upward = []
    for module, targets in graph().items():
        own = layer(module)
        if own is None:
            continue  # crashdump/__init__.py: lazy re-exports by name only
        for target in targets:
            other = layer(target)
            if other is not None and RANK[other] > RANK[own]:
                upward.append(f"{module} imports {target} ({own} is below {other})")
    assert upward == []


def test_no_import_cycles() -> None:
    deps = {m: {t for t in ts if layer(t) is not None} for m, ts in graph().items()}
    deps = {m: ts for m, ts in deps.items() if layer(m) is not None}
    cycles = []
    state: Dict[str, int] = {}  # 1 = on the path, 2 = done
    path: List[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(deps.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(deps):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The import reader sees relative, absolute and function-level imports."""
    global PACKAGE
    saved = PACKAGE
    PACKAGE = tmp_path / "crashdump"
    try:
        (PACKAGE / "protocol").mkdir(parents=True)
        (PACKAGE / "cli").mkdir()
        for p in ("__init__.py", "protocol/__init__.py", "cli/__init__.py", "cli/x.py"):
            (PACKAGE / p).write_text("")
        (PACKAGE / "protocol" / "client.py").write_text(
            "def f():\n    from ..cli import x\n    import crashdump.cli\n")
        (PACKAGE / "cli" / "x.py").write_text("from ..protocol import client\n")
        g = graph()
        assert g["crashdump.protocol.client"] == {"crashdump.cli.x", "crashdump.cli"}
        assert g["crashdump.cli.x"] == {"crashdump.protocol.client"}
    finally:
        PACKAGE = saved
