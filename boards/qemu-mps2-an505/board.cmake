# SPDX-License-Identifier: Apache-2.0
# Arm MPS2 AN505 (Cortex-M33, ARMv8-M Mainline with the Security Extension) as
# emulated by QEMU's `mps2-an505` machine. The firmware runs in the Secure
# state, where QEMU boots it. Built without the FPU (+nofp) so this board covers
# the integer-only Mainline fault path; the M4F and M7 boards cover the FPU.
set(CD_CPU_FLAGS -mcpu=cortex-m33+nofp -mthumb -mfloat-abi=soft)
# Large frames and items: the emulated UART is fast and RAM is plentiful.
# IRQ 31 is an IoTKit interrupt wired to nothing: it plays the watchdog's early warning.
set(CD_BOARD_DEFS CD_FRAME_MAX=4096u CD_ITEM_MAX=1024u CD_WATCHDOG_IRQ=31)
