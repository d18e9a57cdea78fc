# SPDX-License-Identifier: Apache-2.0
# BBC micro:bit v1 (nRF51822, Cortex-M0, 16 KiB RAM) as emulated by QEMU's
# `microbit` machine. Small frames and items: RAM is tight (two frame buffers
# of CD_FRAME_MAX bytes). IRQ 25 is SWI5, a software interrupt: it plays the
# watchdog's early warning.
set(CD_CPU_FLAGS -mcpu=cortex-m0 -mthumb)
set(CD_BOARD_DEFS CD_FRAME_MAX=512u CD_ITEM_MAX=128u CD_WATCHDOG_IRQ=25)
