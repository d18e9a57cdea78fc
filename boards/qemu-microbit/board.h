/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU microbit (nRF51822, Cortex-M0) board constants. The port, the UART and
 * NVMC drivers and the demo are shared (boards/common/nrf5, flash, demo).
 *
 * Memory map:
 *   0x00000000 .. 0x00037FFF  flash: the image (224 KiB)
 *   0x00038000 .. 0x0003FFFF  dump partition, 32 KiB = 32 NVMC pages of 1 KiB
 *   0x1FFFxxxx                unmapped: a stack overflow faults here
 *   0x20000000 .. 0x20002FFF  RAM: main stack (bottom, 2 KiB), .data, .bss
 *   0x20003000 .. 0x20003FFF  .noinit (crashdump storage), fixed address
 */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_CPU_HZ 16000000u       /* nRF51 HFCLK, SysTick's clock in QEMU */
#define BOARD_UART0_BASE 0x40002000u
#define BOARD_UART0_IRQN 2
#define BOARD_UART_TX_PIN 24u        /* micro:bit USB serial; QEMU ignores pins */
#define BOARD_UART_RX_PIN 25u
#define BOARD_IRQ_COUNT 32u

#define BOARD_FLASH_BASE 0x00000000u
#define BOARD_FLASH_SIZE (256u * 1024u)
#define BOARD_RAM_BASE 0x20000000u
#define BOARD_RAM_SIZE (16u * 1024u)
#define BOARD_UNMAPPED_ADDR 0x60000000u

/* Dump partition: the top 32 KiB of flash (microbit.ld). 3 slots of 10 KiB
 * each hold the ~4 KiB of rings plus 1 KiB of stack with room to spare. */
#define BOARD_DUMP_BASE 0x00038000u
#define BOARD_DUMP_SIZE (32u * 1024u)
#define BOARD_DUMP_ERASE_SIZE 1024u  /* nRF51 page; 4096 on nRF52 */

/* Demo storage, about 3.4 KiB: a small self ring, two 1 KiB host sources. */
#define DEMO_SELF_ITEM_SIZE 24u
#define DEMO_SELF_ITEM_COUNT 32u
#define DEMO_SOURCE_COUNT 2u
#define DEMO_SOURCE_MAX_BYTES 1152u  /* 32 items of 32 bytes */
#define DEMO_TRIAGE_COUNT 4u

#endif /* BOARD_H */
