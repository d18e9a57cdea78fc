# SPDX-License-Identifier: Apache-2.0
"""Debug-probe access to targets: the only package in crashdump that imports pyOCD.

- `rsp_client`: a GDB remote-protocol client (no pyOCD), for QEMU's `-gdb`
  stub or Renode's `machine StartGdbServer`.
- `gdbrsp`: the pyOCD debug-probe plugin `gdbrsp` built on it, registered
  through the `pyocd.probe` entry point, so unmodified pyOCD can use
  `-u gdbrsp:HOST:PORT` (see docs/gdbrsp-probe.md).

This `__init__` imports neither, so `import crashdump` does not load pyOCD.
"""
