# SPDX-License-Identifier: Apache-2.0
# Arm MPS2 AN500 (Cortex-M7) as emulated by QEMU's `mps2-an500` machine: the
# AN385 memory map with an M7 and its double-precision FPU (FPv5-D16).
# Hard-float ABI: the shared startup enables the FPU (CPACR) before any C code runs.
set(CD_CPU_FLAGS -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard)
# Large frames and items: the emulated UART is fast and RAM is plentiful.
# IRQ 31 is wired to nothing on the AN500: it plays the watchdog's early warning.
# 0x60000000, the other boards' unmapped address, is PSRAM on the AN500 (QEMU's
# hw/arm/mps2.c); 0x70000000 is unmapped (emulate.py's Board.unmapped_addr).
set(CD_BOARD_DEFS CD_FRAME_MAX=4096u CD_ITEM_MAX=1024u CD_WATCHDOG_IRQ=31
    CD_FAULT_BAD_ADDR=0x70000000)
