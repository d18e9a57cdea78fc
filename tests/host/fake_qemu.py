#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Stands in for qemu-system-arm in host tests of crashdump.emulate.

Its "firmware" (the -kernel file) is JSON telling it what to do:
  {"exit_at_start": 134, "message": "..."}   exit before opening the UART port
  {"run_for": 0.3, "exit": 134}              serve the port, then exit
  {}                                         serve the port until SIGTERM
It writes its argv and pid next to the kernel file (<kernel>.argv, <kernel>.pid).
A kernel that is a real ELF (for boards whose images are checked) takes its
plan from <kernel>.plan instead.
"""
import json
import signal
import socket
import sys
import time

argv = sys.argv[1:]
kernel = argv[argv.index("-kernel") + 1]
with open(kernel + ".argv", "w") as f:
    json.dump(argv, f)
with open(kernel + ".pid", "w") as f:
    f.write(str(__import__("os").getpid()))
with open(kernel, "rb") as f:
    is_elf = f.read(4) == b"\x7fELF"
plan = json.load(open(kernel + ".plan" if is_elf else kernel))

if "exit_at_start" in plan:
    print(plan.get("message", "fake qemu: exiting"), file=sys.stderr)
    sys.exit(plan["exit_at_start"])

serial = argv[argv.index("-serial") + 1]          # tcp:127.0.0.1:PORT,server=on,...
host, port = serial.split(",")[0].split(":")[1:]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, int(port)))
listener.listen(4)
listener.settimeout(0.05)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
deadline = time.monotonic() + plan.get("run_for", 1e9)
clients = []
while time.monotonic() < deadline:
    try:
        clients.append(listener.accept()[0])
    except socket.timeout:
        pass
sys.exit(plan.get("exit", 0))
