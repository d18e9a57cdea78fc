# SPDX-License-Identifier: Apache-2.0
# Arm MPS2 AN385 (Cortex-M3) as emulated by QEMU's `mps2-an385` machine.
set(CD_CPU_FLAGS -mcpu=cortex-m3 -mthumb)
# Large frames and items: the emulated UART is fast and RAM is plentiful.
# IRQ 31 is wired to nothing on the AN385: it plays the watchdog's early warning.
set(CD_BOARD_DEFS CD_FRAME_MAX=4096u CD_ITEM_MAX=1024u CD_WATCHDOG_IRQ=31)
