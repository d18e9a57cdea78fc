/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nRF5 legacy UART (UART0 at 0x40002000 on nRF51 and nRF52; not UARTE): the
 * few registers this project uses. One byte at a time each way: TX waits for
 * TXDRDY, RX is read from the board's RX interrupt (INTENSET.RXDRDY). The
 * receive FIFO holds 6 bytes; QEMU flow-controls the host behind it. The
 * register offsets and values used here are the same on nRF51 and nRF52 (on
 * nRF52 a PSEL value's bit 31 = 0 means connected, which a pin number gives).
 */
#ifndef NRF5_UART_H
#define NRF5_UART_H

#include <stddef.h>
#include <stdint.h>

#define NRF5_UART_TASKS_STARTRX 0x000u
#define NRF5_UART_TASKS_STOPRX 0x004u
#define NRF5_UART_TASKS_STARTTX 0x008u
#define NRF5_UART_TASKS_STOPTX 0x00Cu
#define NRF5_UART_EVENTS_RXDRDY 0x108u
#define NRF5_UART_EVENTS_TXDRDY 0x11Cu
#define NRF5_UART_EVENTS_ERROR 0x124u
#define NRF5_UART_INTENSET 0x304u
#define NRF5_UART_INTENCLR 0x308u
#define NRF5_UART_ERRORSRC 0x480u
#define NRF5_UART_ENABLE 0x500u
#define NRF5_UART_PSELTXD 0x50Cu
#define NRF5_UART_PSELRXD 0x514u
#define NRF5_UART_RXD 0x518u
#define NRF5_UART_TXD 0x51Cu
#define NRF5_UART_BAUDRATE 0x524u

#define NRF5_UART_ENABLE_ENABLED 4u
#define NRF5_UART_INT_RXDRDY (1u << 2)
#define NRF5_UART_BAUD_115200 0x01D7E000u

typedef struct {
    uintptr_t base;      /* 0x40002000 */
    uint32_t tx_pin;     /* PSELTXD (micro:bit: P0.24; nRF52840-DK: P0.06) */
    uint32_t rx_pin;     /* PSELRXD (micro:bit: P0.25; nRF52840-DK: P0.08) */
} nrf5_uart_t;

/* Thread, at boot. Selects the pins, sets 115200 baud, enables the UART and
 * starts both directions. */
void nrf5_uart_init(const nrf5_uart_t *u);

/* Thread, at boot. Enables the RXDRDY interrupt in the UART and IRQ `irqn`
 * in the NVIC, and pends it once so a byte that came earlier is read too. */
void nrf5_uart_rx_irq_start(const nrf5_uart_t *u, unsigned irqn);

/* Any. Stops receiving: the sender's further bytes wait outside the UART
 * (QEMU keeps them in its chardev). */
void nrf5_uart_rx_stop(const nrf5_uart_t *u);

/* Thread. Sends len bytes; returns when the last one has left TXD. */
void nrf5_uart_write(const nrf5_uart_t *u, const uint8_t *buf, size_t len);

/* RX interrupt or polling. Returns the next received byte, or -1 if none.
 * Clears RXDRDY before reading RXD, so a byte still in the FIFO sets it again. */
int nrf5_uart_getc(const nrf5_uart_t *u);

#endif /* NRF5_UART_H */
