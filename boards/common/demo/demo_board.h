/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the shared demo application (demo.c) and the threaded fixture
 * (boards/common/rtos) need from a board. Each board provides these services
 * in its port (e.g. boards/common/mps2/mps2_port.c) and the constants below
 * in its own board.h:
 *
 *   BOARD_CPU_HZ            SysTick clock (processor clock), Hz
 *   DEMO_SELF_ITEM_SIZE     self ring: bytes per record
 *   DEMO_SELF_ITEM_COUNT    self ring: records
 *   DEMO_SOURCE_COUNT       host data source slots
 *   DEMO_SOURCE_MAX_BYTES   cap per source (a multiple of 4)
 *   DEMO_TRIAGE_COUNT       triage table entries
 *   DEMO_DUMP_SLOTS         (optional, default 3) dump slots; each slot is
 *                           partition size / slots, rounded down to erase units
 *   BOARD_UNMAPPED_ADDR     an address where nothing is mapped (reading it
 *                           bus-faults), for the fault-injection demos
 *   CD_WATCHDOG_IRQ        (from board.cmake) the external interrupt that
 *                           plays the watchdog's early warning
 */
#ifndef DEMO_BOARD_H
#define DEMO_BOARD_H

#include <stdint.h>

#include "board.h"

/* Boards whose erase unit is large (STM32F4: 128 KiB sectors) set fewer. */
#ifndef DEMO_DUMP_SLOTS
#define DEMO_DUMP_SLOTS 3u
#endif

/* Set to 1 by the UART RX interrupt after it fed bytes to the protocol parser.
 * The main loop clears it with interrupts masked before deciding to sleep. */
extern volatile uint32_t board_rx_event;

/* Thread, at boot, interrupts masked, after cd_init() (received bytes go
 * straight to the library). Starts the UART (TX polled, RX by interrupt into
 * cd_proto_rx_byte()) and enables the watchdog-warning interrupt. */
void board_start(void);

/* Thread. Hold off / resume the UART RX interrupt. While held, a received byte
 * waits in the UART and QEMU keeps the rest in its socket (flow control), so
 * nothing reaches the protocol parser while cd_proto_poll() is answering.
 * This matters because the parser drops bytes until poll has finished, and a
 * fast host starts its next request as soon as it has the response's last byte,
 * which can be before poll returns. (Real hardware without a deeper RX buffer
 * would overrun instead after one byte.) */
void board_rx_hold(void);
void board_rx_resume(void);

#endif /* DEMO_BOARD_H */
