/* SPDX-License-Identifier: Apache-2.0 */
/*
 * USART (STM32F4 USART v1) as the protocol's byte stream: 8N1, no flow
 * control, TX polled, RX by interrupt (RXNEIE). Only what the port needs.
 */
#ifndef STM32F4_USART_H
#define STM32F4_USART_H

#include <stddef.h>
#include <stdint.h>

#include "stm32f4_regs.h"

/* Thread, at boot, with the USART's clock and pins already set up. Sets the
 * baud rate (BRR = pclk_hz / baud, rounded, 16x oversampling), enables TX, RX
 * and the RXNE interrupt in the USART (the NVIC is the caller's). */
void f4_usart_init(f4_usart_t *u, uint32_t pclk_hz, uint32_t baud);

/* Thread. Sends len bytes, waiting for TXE before each. */
void f4_usart_write(f4_usart_t *u, const uint8_t *buf, size_t len);

/* Any. Waits until the last byte has left the shift register (TC). */
void f4_usart_drain(f4_usart_t *u);

/* RX interrupt. Returns the received byte, or -1 if none. Reading SR then DR
 * also clears an overrun (ORE), which would otherwise keep the interrupt
 * asserted with no byte to read; the byte lost to it is the host's to retry
 * (every frame has a CRC). */
int f4_usart_getc(f4_usart_t *u);

#endif /* STM32F4_USART_H */
