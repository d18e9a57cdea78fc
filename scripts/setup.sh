#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything crashdump needs on a Debian/Ubuntu machine, idempotently:
# the Arm toolchain, QEMU, gdb-multiarch, CMake, and a Python virtual environment
# (.venv) with the host tool installed in editable mode. Safe to run repeatedly;
# a second run takes a few seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gdb-multiarch
          cmake make gcc libc6-dev python3-venv python3-pip git
          clang libclang-rt-14-dev)   # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv"
    python3 -m venv "$venv"
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp="$venv/.crashdump-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    echo "setup: installing the host tool into $venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e "$root[test,bench]"
    touch "$stamp"
fi
