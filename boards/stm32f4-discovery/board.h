/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32F4-Discovery (STM32F407VG, Cortex-M4F) board constants, for the port
 * (stm32f4_port.c), the flash driver (boards/common/flash/flash_stm32f4.c) and
 * the shared demo.
 *
 * Memory map:
 *   0x08000000 .. 0x080BFFFF  flash sectors 0..9: the image (768 KiB)
 *   0x080C0000 .. 0x080FFFFF  dump partition: sectors 10 and 11, 128 KiB each,
 *                             one dump slot per sector (2 slots)
 *   0x10000000 .. 0x1000FFFF  CCM data RAM, 64 KiB (CPU only, unused by the demo)
 *   0x1FFFC010 .. 0x1FFFFFFF  reserved: a stack overflow faults here
 *   0x20000000 .. 0x20013FFF  SRAM1: main stack (bottom, 8 KiB), .data, .bss
 *   0x20014000 .. 0x2001FFFF  .noinit (crashdump storage, 48 KiB), fixed address
 *
 * Serial: USART2 on PA2 (TX) / PA3 (RX), AF7, 115200 8N1, no flow control. The
 * Discovery board's ST-LINK/V2 has no virtual COM port: connect a 3.3 V
 * USB-UART adapter's RX to PA2, TX to PA3 and GND to GND (P1 header).
 */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_CPU_HZ 16000000u       /* HSI, reset default: SysTick's clock */
#define BOARD_PCLK1_HZ 16000000u     /* APB1 (USART2) = HCLK / 1 */
#define BOARD_UART_BAUD 115200u      /* BRR 139: 115108 baud, -0.08 % */
#define BOARD_IRQ_COUNT 82u          /* STM32F407: IRQ 0..81 */

#define BOARD_FLASH_BASE 0x08000000u
#define BOARD_FLASH_SIZE (1024u * 1024u)
#define BOARD_RAM_BASE 0x20000000u
#define BOARD_RAM_SIZE (128u * 1024u)
#define BOARD_CCM_BASE 0x10000000u
#define BOARD_CCM_SIZE (64u * 1024u)
#define BOARD_UNMAPPED_ADDR 0x30000000u /* reserved on the STM32F407: bus fault */

/* Dump partition: sectors 10 and 11 (stm32f4-discovery.ld). The port
 * contract's erase unit is one 128 KiB sector, so each of the 2 slots is one
 * sector; the demo uses 2 slots here (DEMO_DUMP_SLOTS), as 3 would need a
 * third sector. */
#define BOARD_DUMP_BASE 0x080C0000u
#define BOARD_DUMP_SIZE (256u * 1024u)
#define BOARD_DUMP_ERASE_SIZE (128u * 1024u)
#define DEMO_DUMP_SLOTS 2u

/* Demo storage, about 41 KiB: self ring of 8 KiB, four 8 KiB host sources. */
#define DEMO_SELF_ITEM_SIZE 64u
#define DEMO_SELF_ITEM_COUNT 128u
#define DEMO_SOURCE_COUNT 4u
#define DEMO_SOURCE_MAX_BYTES 8192u
#define DEMO_TRIAGE_COUNT 8u

#endif /* BOARD_H */
