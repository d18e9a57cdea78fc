/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nRF52840-DK (PCA10056; nRF52840, Cortex-M4F) board constants. The port, the
 * UART and NVMC drivers and the demo are shared with the micro:bit
 * (boards/common/nrf5, flash, demo); only these constants differ.
 *
 * Memory map:
 *   0x00000000 .. 0x000E7FFF  flash: the image (928 KiB)
 *   0x000E8000 .. 0x000FFFFF  dump partition, 96 KiB = 24 NVMC pages of 4 KiB:
 *                             3 slots of 32 KiB (an nRF5 SDK bootloader at
 *                             0xF8000 would collide: move the partition down)
 *   0x1FFFxxxx                unmapped: a stack overflow faults here
 *   0x20000000 .. 0x2002FFFF  RAM: main stack (bottom, 8 KiB), .data, .bss
 *   0x20030000 .. 0x2003FFFF  .noinit (crashdump storage), fixed address
 *
 * Serial: UART0 (legacy, not UARTE) on P0.06 (TX) / P0.08 (RX), the pins the
 * DK routes to its interface MCU's virtual COM port (USB, /dev/ttyACM*),
 * 115200 8N1, no flow control (RTS P0.05 / CTS P0.07 are left unused).
 */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_CPU_HZ 64000000u       /* HCLK, SysTick's clock */
#define BOARD_UART0_BASE 0x40002000u
#define BOARD_UART0_IRQN 2          /* UARTE0_UART0 */
#define BOARD_UART_TX_PIN 6u         /* P0.06 -> interface MCU (VCOM RxD) */
#define BOARD_UART_RX_PIN 8u         /* P0.08 <- interface MCU (VCOM TxD) */
#define BOARD_IRQ_COUNT 48u

#define BOARD_NRF5_HFXO 1            /* UART baud from the 32 MHz crystal */
#define BOARD_NRF5_APPROTECT 1       /* reopen the debug port if UICR allows */

#define BOARD_FLASH_BASE 0x00000000u
#define BOARD_FLASH_SIZE (1024u * 1024u)
#define BOARD_RAM_BASE 0x20000000u
#define BOARD_RAM_SIZE (256u * 1024u)
#define BOARD_UNMAPPED_ADDR 0x60000000u /* nothing there on the nRF52840: bus fault */

/* Dump partition: the top 96 KiB of flash (nrf52840dk.ld). 3 slots of 32 KiB
 * hold the demo's ~25 KiB of rings plus 1 KiB of stack. A page erase takes
 * up to 85 ms, so a slot (8 pages) takes up to 0.7 s: cd_init() erases torn
 * slots at boot, the fault path erases only when no slot is free. */
#define BOARD_DUMP_BASE 0x000E8000u
#define BOARD_DUMP_SIZE (96u * 1024u)
#define BOARD_DUMP_ERASE_SIZE 4096u  /* nRF52 NVMC page */

/* Demo storage, about 25 KiB: self ring of 8 KiB, four 4 KiB host sources. */
#define DEMO_SELF_ITEM_SIZE 64u
#define DEMO_SELF_ITEM_COUNT 128u
#define DEMO_SOURCE_COUNT 4u
#define DEMO_SOURCE_MAX_BYTES 4096u
#define DEMO_TRIAGE_COUNT 8u

#endif /* BOARD_H */
