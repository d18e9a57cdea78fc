# SPDX-License-Identifier: Apache-2.0
# Sourced by the scripts: the boards CI builds and runs in QEMU.
QEMU_BOARDS=(qemu-mps2-an385 qemu-mps2-an386 qemu-mps2-an500 qemu-mps2-an505 qemu-microbit)
# Real hardware, not run here: CI builds them (warnings are errors) and the host
# tests check their ELF layout; Renode suites run them in users' CI.
BUILD_ONLY_BOARDS=(nrf52840dk stm32f4-discovery)
