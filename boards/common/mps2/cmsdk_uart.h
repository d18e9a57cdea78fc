/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm CMSDK APB UART (MPS2 family: AN385/AN386/AN500 at 0x40004000, AN505 at
 * 0x50200000). One-byte buffers each way; TX is polled, RX is read from the
 * board's RX interrupt. QEMU quirks handled here (docs: shared emulator notes):
 * the baud divider must be >= 16, a byte waiting when the RX interrupt is
 * enabled never interrupts, and RX stalls ~1 s until the data register is read.
 */
#ifndef CMSDK_UART_H
#define CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    volatile uint32_t DATA;      /* 0x00 */
    volatile uint32_t STATE;     /* 0x04 */
    volatile uint32_t CTRL;      /* 0x08 */
    volatile uint32_t INTSTATUS; /* 0x0C read: pending interrupts; write 1s: clear */
    volatile uint32_t BAUDDIV;   /* 0x10 */
} cmsdk_uart_t;

#define CMSDK_UART_STATE_TXFULL (1u << 0)
#define CMSDK_UART_STATE_RXFULL (1u << 1)
#define CMSDK_UART_CTRL_TXEN (1u << 0)
#define CMSDK_UART_CTRL_RXEN (1u << 1)
#define CMSDK_UART_CTRL_RXINTEN (1u << 3)
#define CMSDK_UART_INT_RX (1u << 1)

/* Thread, at boot. Enables TX and RX at clock_hz / baud. Returns 0, or -1 if
 * that divider is below 16 (the UART would silently do nothing). */
int cmsdk_uart_init(cmsdk_uart_t *u, uint32_t clock_hz, uint32_t baud);

/* Thread, at boot. Enables the RX interrupt `irqn` in the UART and the NVIC and
 * pends it once, so a byte that arrived earlier is read too. */
void cmsdk_uart_rx_irq_start(cmsdk_uart_t *u, unsigned irqn);

/* Any. Stops receiving; bytes the sender has not yet delivered wait outside
 * the UART (QEMU holds them in its chardev until RX is enabled again). */
void cmsdk_uart_rx_disable(cmsdk_uart_t *u);

/* Thread. Sends len bytes, waiting for room before each. */
void cmsdk_uart_write(cmsdk_uart_t *u, const uint8_t *buf, size_t len);

/* Any. Waits until the last byte written has left the TX buffer. */
void cmsdk_uart_flush(cmsdk_uart_t *u);

/* RX interrupt. Acknowledge first, then drain with cmsdk_uart_getc() so a byte
 * arriving in between raises the interrupt again instead of being missed. */
static inline void cmsdk_uart_rx_ack(cmsdk_uart_t *u)
{
    u->INTSTATUS = CMSDK_UART_INT_RX;
}

/* Any. Returns the received byte, or -1 if none is waiting. */
static inline int cmsdk_uart_getc(cmsdk_uart_t *u)
{
    if ((u->STATE & CMSDK_UART_STATE_RXFULL) == 0u) {
        return -1;
    }
    return (int)(u->DATA & 0xFFu);
}

#endif /* CMSDK_UART_H */
