/*
 * QEMU mps2-an385 board constants and the few board services the demo uses.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#define BOARD_CPU_HZ 25000000u       /* QEMU's mps2 system clock, also SysTick's */
#define BOARD_UART0_BASE 0x40004000u /* CMSDK APB UART0 */
#define BOARD_UART0_RX_IRQN 0u
#define BOARD_IRQ_COUNT 32u
#define BOARD_UART_BAUD 115200u      /* QEMU ignores the rate; the divider must be >= 16 */

/* Set to 1 by the UART RX interrupt after it fed bytes to the protocol parser.
 * The main loop clears it with interrupts masked before deciding to sleep. */
extern volatile uint32_t board_rx_event;

/* Thread, at boot. Starts UART0 (TX polled, RX by interrupt into
 * cd_proto_rx_byte()). Interrupts must still be masked globally or the
 * library initialised, since RX bytes go straight to the library. */
void board_uart_start(void);

/* Thread. Hold off / resume the UART RX interrupt. While held, a received byte
 * waits in the UART and QEMU keeps the rest in its socket (flow control), so
 * nothing reaches the protocol parser while cd_proto_poll() is answering.
 * This matters because the parser drops bytes until poll has finished, and a
 * fast host starts its next request as soon as it has the response's last byte,
 * which can be before poll returns. (Real hardware without a deeper RX buffer
 * would overrun instead after one byte.) */
void board_rx_hold(void);
void board_rx_resume(void);

/* Thread. Writes a line of text to UART0, blocking, followed by "\r\n" and one
 * 0x00. The 0x00 is the protocol's frame delimiter: a host frame parser drops
 * the text as one bad frame and starts clean on the next real one. Without it,
 * text printed at boot would fuse with the next response frame and spoil it. */
void board_print_line(const char *s);

#endif /* BOARD_H */
