# SPDX-License-Identifier: Apache-2.0
"""The crash dump file (docs/dump-format.md): its formats (format.py), the
parser that checks and reads a dump (parse.py), and the builder the tests and
fuzzers make dumps with (build.py)."""
