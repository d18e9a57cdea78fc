# SPDX-License-Identifier: Apache-2.0
"""`crashdump gdbserver`: serve a pulled crash dump to GDB over the remote
serial protocol, for post-mortem debugging with `bt`, `info registers`,
`print`, `x`.

target.py models the crashed core (registers, memory) from a Dump and the
firmware ELF; server.py answers GDB's packets over any byte stream and offers
a TCP and a stdin/stdout front-end. The CLI handler is crashdump.cli.gdb_commands.
"""
from .server import RspServer, listen, serve_pipe, serve_tcp
from .target import Target

__all__ = ["RspServer", "Target", "listen", "serve_pipe", "serve_tcp"]
