/* SPDX-License-Identifier: Apache-2.0 */
#include "stm32f4_usart.h"

void f4_usart_init(f4_usart_t *u, uint32_t pclk_hz, uint32_t baud)
{
    u->CR1 = 0u;
    u->CR2 = 0u;   /* 1 stop bit */
    u->CR3 = 0u;   /* no RTS/CTS */
    u->BRR = (pclk_hz + baud / 2u) / baud;
    u->CR1 = F4_USART_CR1_UE | F4_USART_CR1_TE | F4_USART_CR1_RE | F4_USART_CR1_RXNEIE;
}

void f4_usart_write(f4_usart_t *u, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((u->SR & F4_USART_SR_TXE) == 0u) {
        }
        u->DR = buf[i];
    }
}

void f4_usart_drain(f4_usart_t *u)
{
    while ((u->SR & F4_USART_SR_TC) == 0u) {
    }
}

int f4_usart_getc(f4_usart_t *u)
{
    uint32_t sr = u->SR;

    if ((sr & (F4_USART_SR_RXNE | F4_USART_SR_ORE)) == 0u) {
        return -1;
    }
    return (int)(u->DR & 0xFFu);
}
