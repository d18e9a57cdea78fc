/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32F407 peripherals this board uses (RM0090), written for this project in
 * the style of cortex-m/cm_regs.h: register blocks as structs named as in the
 * reference manual, only the bits the port touches. The flash interface is in
 * boards/common/flash/flash_stm32f4.h.
 */
#ifndef STM32F4_REGS_H
#define STM32F4_REGS_H

#include <stddef.h>
#include <stdint.h>

#define F4_RW volatile uint32_t

/* ---------------------------------------------------------------- RCC */

/* Reset and clock control at 0x40023800. After reset the system runs from HSI
 * (16 MHz) with AHB, APB1 and APB2 undivided, which this board keeps. */
typedef struct {
    F4_RW CR;         /* 0x00 clock control */
    F4_RW PLLCFGR;    /* 0x04 */
    F4_RW CFGR;       /* 0x08 clock configuration (SW, prescalers) */
    F4_RW CIR;        /* 0x0C */
    F4_RW AHB1RSTR;   /* 0x10 */
    F4_RW AHB2RSTR;   /* 0x14 */
    F4_RW AHB3RSTR;   /* 0x18 */
    uint32_t reserved0;
    F4_RW APB1RSTR;   /* 0x20 */
    F4_RW APB2RSTR;   /* 0x24 */
    uint32_t reserved1[2];
    F4_RW AHB1ENR;    /* 0x30 AHB1 clock enable (GPIO ports) */
    F4_RW AHB2ENR;    /* 0x34 */
    F4_RW AHB3ENR;    /* 0x38 */
    uint32_t reserved2;
    F4_RW APB1ENR;    /* 0x40 APB1 clock enable (USART2) */
    F4_RW APB2ENR;    /* 0x44 */
} f4_rcc_t;

#define F4_RCC ((f4_rcc_t *)0x40023800u)

#define F4_RCC_AHB1ENR_GPIOAEN (1u << 0)
#define F4_RCC_APB1ENR_USART2EN (1u << 17)

/* ---------------------------------------------------------------- GPIO */

/* GPIO port, port A at 0x40020000. Two bits per pin in MODER/OSPEEDR/PUPDR,
 * four per pin in AFR[0] (pins 0..7) and AFR[1] (8..15). */
typedef struct {
    F4_RW MODER;      /* 0x00 00 input, 01 output, 10 alternate function, 11 analog */
    F4_RW OTYPER;     /* 0x04 */
    F4_RW OSPEEDR;    /* 0x08 */
    F4_RW PUPDR;      /* 0x0C 00 none, 01 pull-up, 10 pull-down */
    F4_RW IDR;        /* 0x10 */
    F4_RW ODR;        /* 0x14 */
    F4_RW BSRR;       /* 0x18 */
    F4_RW LCKR;       /* 0x1C */
    F4_RW AFR[2];     /* 0x20 AFRL, 0x24 AFRH */
} f4_gpio_t;

#define F4_GPIOA ((f4_gpio_t *)0x40020000u)

#define F4_GPIO_MODER_AF 2u
#define F4_GPIO_PUPDR_PULLUP 1u
#define F4_GPIO_AF7_USART1_3 7u

/* ---------------------------------------------------------------- USART */

/* USART (v1, STM32F4), USART2 at 0x40004400 on APB1, IRQ 38. */
typedef struct {
    F4_RW SR;         /* 0x00 status; RXNE/ORE clear by reading SR then DR */
    F4_RW DR;         /* 0x04 data */
    F4_RW BRR;        /* 0x08 baud rate: f_PCLK / baud with OVER8 = 0 */
    F4_RW CR1;        /* 0x0C */
    F4_RW CR2;        /* 0x10 stop bits (00 = 1) */
    F4_RW CR3;        /* 0x14 flow control (0 = none) */
    F4_RW GTPR;       /* 0x18 */
} f4_usart_t;

#define F4_USART2 ((f4_usart_t *)0x40004400u)
#define F4_USART2_IRQN 38

#define F4_USART_SR_PE (1u << 0)
#define F4_USART_SR_FE (1u << 1)
#define F4_USART_SR_NF (1u << 2)
#define F4_USART_SR_ORE (1u << 3)
#define F4_USART_SR_RXNE (1u << 5)
#define F4_USART_SR_TC (1u << 6)
#define F4_USART_SR_TXE (1u << 7)

#define F4_USART_CR1_RE (1u << 2)
#define F4_USART_CR1_TE (1u << 3)
#define F4_USART_CR1_RXNEIE (1u << 5)
#define F4_USART_CR1_UE (1u << 13)

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(offsetof(f4_rcc_t, AHB1ENR) == 0x30, "RCC.AHB1ENR");
_Static_assert(offsetof(f4_rcc_t, APB1ENR) == 0x40, "RCC.APB1ENR");
_Static_assert(offsetof(f4_gpio_t, AFR) == 0x20, "GPIO.AFR");
_Static_assert(offsetof(f4_usart_t, GTPR) == 0x18, "USART.GTPR");
#endif

#undef F4_RW

#endif /* STM32F4_REGS_H */
