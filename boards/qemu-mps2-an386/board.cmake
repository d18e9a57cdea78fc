# SPDX-License-Identifier: Apache-2.0
# Arm MPS2 AN386 (Cortex-M4F) as emulated by QEMU's `mps2-an386` machine. Hard-float
# ABI: the shared startup enables the FPU (CPACR) before any C code runs.
set(CD_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
# Large frames and items: the emulated UART is fast and RAM is plentiful.
# IRQ 31 is wired to nothing on the AN386: it plays the watchdog's early warning.
set(CD_BOARD_DEFS CD_FRAME_MAX=4096u CD_ITEM_MAX=1024u CD_WATCHDOG_IRQ=31)
