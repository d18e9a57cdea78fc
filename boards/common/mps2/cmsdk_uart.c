/* SPDX-License-Identifier: Apache-2.0 */
#include "cmsdk_uart.h"

#include "cm_regs.h"

int cmsdk_uart_init(cmsdk_uart_t *u, uint32_t clock_hz, uint32_t baud)
{
    uint32_t div = baud != 0u ? clock_hz / baud : 0u;

    if (div < 16u) {
        return -1;
    }
    u->CTRL = 0u;
    u->BAUDDIV = div;
    u->INTSTATUS = 0xFu;
    u->CTRL = CMSDK_UART_CTRL_TXEN | CMSDK_UART_CTRL_RXEN;
    return 0;
}

void cmsdk_uart_rx_irq_start(cmsdk_uart_t *u, unsigned irqn)
{
    u->CTRL |= CMSDK_UART_CTRL_RXINTEN;
    /* QEMU only polls its chardev again after a data register read; without
     * this the first host byte can wait about a second. The read is skipped if
     * a byte is already there: the interrupt pended below collects it. */
    if ((u->STATE & CMSDK_UART_STATE_RXFULL) == 0u) {
        (void)u->DATA;
    }
    cm_nvic_enable(irqn);
    cm_nvic_set_pending(irqn);
}

void cmsdk_uart_rx_disable(cmsdk_uart_t *u)
{
    u->CTRL &= ~(CMSDK_UART_CTRL_RXEN | CMSDK_UART_CTRL_RXINTEN);
}

void cmsdk_uart_write(cmsdk_uart_t *u, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (u->STATE & CMSDK_UART_STATE_TXFULL) {
        }
        u->DATA = buf[i];
    }
}

void cmsdk_uart_flush(cmsdk_uart_t *u)
{
    while (u->STATE & CMSDK_UART_STATE_TXFULL) {
    }
}
