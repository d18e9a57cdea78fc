# Arm MPS2 AN500 (Cortex-M7) as emulated by QEMU's `mps2-an500` machine: the
# AN385 memory map with an M7 and its double-precision FPU (FPv5-D16).
# Hard-float ABI: the shared startup enables the FPU (CPACR) before any C code runs.
set(CD_CPU_FLAGS -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard)
# Large frames and items: the emulated UART is fast and RAM is plentiful.
# IRQ 31 is wired to nothing on the AN500: it plays the watchdog's early warning.
set(CD_BOARD_DEFS CD_FRAME_MAX=4096u CD_ITEM_MAX=1024u CD_FAULT_WDT_IRQ=31u)
