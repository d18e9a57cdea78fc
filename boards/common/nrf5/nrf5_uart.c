/* SPDX-License-Identifier: Apache-2.0 */
#include "nrf5_uart.h"

#include "cm_regs.h"

#define REG(u, off) (*(volatile uint32_t *)((u)->base + (off)))

void nrf5_uart_init(const nrf5_uart_t *u)
{
    REG(u, NRF5_UART_ENABLE) = 0u;
    REG(u, NRF5_UART_PSELTXD) = u->tx_pin;
    REG(u, NRF5_UART_PSELRXD) = u->rx_pin;
    REG(u, NRF5_UART_BAUDRATE) = NRF5_UART_BAUD_115200;
    REG(u, NRF5_UART_EVENTS_RXDRDY) = 0u;
    REG(u, NRF5_UART_EVENTS_TXDRDY) = 0u;
    REG(u, NRF5_UART_EVENTS_ERROR) = 0u;
    REG(u, NRF5_UART_ENABLE) = NRF5_UART_ENABLE_ENABLED;
    REG(u, NRF5_UART_TASKS_STARTTX) = 1u;
    REG(u, NRF5_UART_TASKS_STARTRX) = 1u;
}

void nrf5_uart_rx_irq_start(const nrf5_uart_t *u, unsigned irqn)
{
    REG(u, NRF5_UART_INTENSET) = NRF5_UART_INT_RXDRDY;
    cm_nvic_enable(irqn);
    cm_nvic_set_pending(irqn);
}

void nrf5_uart_rx_stop(const nrf5_uart_t *u)
{
    REG(u, NRF5_UART_INTENCLR) = NRF5_UART_INT_RXDRDY;
    REG(u, NRF5_UART_TASKS_STOPRX) = 1u;
}

void nrf5_uart_write(const nrf5_uart_t *u, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        REG(u, NRF5_UART_TXD) = buf[i];
        while (REG(u, NRF5_UART_EVENTS_TXDRDY) == 0u) {
        }
        REG(u, NRF5_UART_EVENTS_TXDRDY) = 0u;
    }
}

int nrf5_uart_getc(const nrf5_uart_t *u)
{
    if (REG(u, NRF5_UART_EVENTS_RXDRDY) == 0u) {
        return -1;
    }
    REG(u, NRF5_UART_EVENTS_RXDRDY) = 0u;
    return (int)(REG(u, NRF5_UART_RXD) & 0xFFu);
}
