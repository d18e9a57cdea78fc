/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constants shared by the QEMU MPS2 boards. Each board's board.h includes
 * this file; the port, the demo and the dump partition driver are shared too
 * (boards/common/mps2, demo, flash). Two memory maps:
 *
 * The AN385 map (qemu-mps2-an385 Cortex-M3, qemu-mps2-an386 Cortex-M4F,
 * qemu-mps2-an500 Cortex-M7; mps2.ld), the default:
 *   0x00000000 .. 0x003DFFFF  code (RAM standing in for flash): the image
 *   0x003E0000 .. 0x003FFFFF  dump partition, 128 KiB, outside the image so a
 *                             warm reset keeps it (mps2.ld keeps it out of FLASH)
 *   0x01010000 .. 0x1FFFFFFF  QEMU "reserved": reads zero, ignores writes (NOT
 *                             unmapped), so the port puts an MPU no-access
 *                             region over its top 1 MiB and the stack's bottom
 *   0x20000000 .. 0x200000FF  MPU stack guard (bottom of the main stack)
 *   0x20000000 .. 0x202FFFFF  RAM: main stack (bottom, 8 KiB), .data, .bss
 *   0x20300000 .. 0x203FFFFF  .noinit (crashdump storage), fixed address
 *
 * The TrustZone map (board.h defines BOARD_MPS2_TZ first: qemu-mps2-an505
 * Cortex-M33; mps2_tz.ld). The firmware runs in the Secure state (QEMU boots
 * it there, SAU off, so all memory is Secure) and uses the Secure aliases:
 *   0x10000000 .. 0x103DFFFF  SSRAM1 (code, RAM in QEMU): the image
 *   0x103E0000 .. 0x103FFFFF  dump partition, 128 KiB, outside the image
 *   0x38000000 .. 0x382FFFFF  SSRAM2+3: main stack (bottom, 8 KiB, guarded by
 *                             MSPLIM, no MPU), .data, .bss
 *   0x38300000 .. 0x383FFFFF  .noinit
 *   0x50200000                CMSDK UART0 (Secure alias), RX = IRQ 32 (the
 *                             IoTKit's expansion interrupt 0). Behind a PPC
 *                             whose reset state lets privileged Secure
 *                             accesses through, so nothing must be configured.
 * Checked in QEMU 7.2: SYSRESETREQ resets the whole machine and the firmware
 * boots again; bytes written to SSRAM1 outside the image (the dump partition)
 * survive it; 0x60000000 is unmapped (a load there is a precise bus fault).
 */
#ifndef MPS2_BOARD_H
#define MPS2_BOARD_H

#define BOARD_UART_BAUD 115200u      /* QEMU ignores the rate; the divider must be >= 16 */
#define BOARD_CODE_SIZE (4u << 20)
#define BOARD_RAM_SIZE (4u << 20)
/* An address where nothing is mapped (reading it bus-faults), shared with the
 * fault injector. The AN500 maps 16 MiB of PSRAM at 0x60000000, so its
 * board.cmake moves CD_FAULT_BAD_ADDR and this follows. */
#if defined(CD_FAULT_BAD_ADDR)
#define BOARD_UNMAPPED_ADDR (CD_FAULT_BAD_ADDR + 0u)
#else
#define BOARD_UNMAPPED_ADDR 0x60000000u
#endif
#define BOARD_DUMP_SIZE (128u * 1024u)
#define BOARD_DUMP_ERASE_SIZE 4096u

#if defined(BOARD_MPS2_TZ)
#define BOARD_CPU_HZ 20000000u       /* QEMU's mps2-an505 system clock, also SysTick's */
#define BOARD_UART0_BASE 0x50200000u /* CMSDK APB UART0, Secure alias */
#define BOARD_UART0_RX_IRQN 32
#define BOARD_IRQ_COUNT 48u          /* the IoTKit's 32, then the FPGA's first 16 */
#define BOARD_CODE_BASE 0x10000000u
#define BOARD_RAM_BASE 0x38000000u
#else
#define BOARD_CPU_HZ 25000000u       /* QEMU's mps2 system clock, also SysTick's */
#define BOARD_UART0_BASE 0x40004000u /* CMSDK APB UART0 */
#define BOARD_UART0_RX_IRQN 0
#define BOARD_IRQ_COUNT 32u
#define BOARD_CODE_BASE 0x00000000u
#define BOARD_RAM_BASE 0x20000000u
#endif

/* Dump partition: the top 128 KiB of the code region (mps2.ld, mps2_tz.ld). */
#define BOARD_DUMP_BASE (BOARD_CODE_BASE + BOARD_CODE_SIZE - BOARD_DUMP_SIZE)

/* Demo storage: room for a 64 KiB host ring. */
#define DEMO_SELF_ITEM_SIZE 64u
#define DEMO_SELF_ITEM_COUNT 128u
#define DEMO_SOURCE_COUNT 4u
#define DEMO_SOURCE_MAX_BYTES (72u * 1024u)
#define DEMO_TRIAGE_COUNT 8u

#endif /* MPS2_BOARD_H */
