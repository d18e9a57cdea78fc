/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The app's crashdump port for QEMU mps2-an386 (firmware/include/crashdump/
 * cd_port.h): memory map, byte output and reset, on the CMSDK UART0. The
 * build-id and the dump partition come from the package (crashdump::build_id,
 * crashdump::flash_ram). The UART's receive interrupt feeds the protocol.
 */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"

typedef struct {
    volatile uint32_t DATA, STATE, CTRL, INTSTATUS, BAUDDIV;
} cmsdk_uart_t;

#define UART0 ((cmsdk_uart_t *)0x40004000u)
#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TXEN (1u << 0)
#define UART_CTRL_RXEN (1u << 1)
#define UART_CTRL_RXINTEN (1u << 3)
#define UART_INT_RX (1u << 1)
#define UART0_RX_IRQN 0u

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ISPR0 (*(volatile uint32_t *)0xE000E200u)
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define CPU_HZ 25000000u

extern uint8_t __stack_top[];

/* The main stack is a region of its own: a dump saves the stack from SP up to
 * the end of SP's region, and must stop at the stack's top. */
static cd_mem_region_t memory_map[] = {
    {0x00000000u, 0x00400000u, CD_MEM_READ},                /* code (and the dump partition) */
    {0x20000000u, 0u, CD_MEM_READ | CD_MEM_WRITE},          /* main stack */
    {0u, 0u, CD_MEM_READ | CD_MEM_WRITE},                   /* .data, .bss, .noinit */
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    uintptr_t top = (uintptr_t)__stack_top;

    memory_map[1].len = top - 0x20000000u;
    memory_map[2].start = top;
    memory_map[2].len = 0x20400000u - top;
    *count = sizeof memory_map / sizeof memory_map[0];
    return memory_map;
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (UART0->STATE & UART_STATE_TXFULL) {
        }
        UART0->DATA = buf[i];
    }
}

void cd_port_reset(void)
{
    UART0->CTRL &= ~(UART_CTRL_RXEN | UART_CTRL_RXINTEN);
    while (UART0->STATE & UART_STATE_TXFULL) {
    }
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = 0x05FA0004u; /* SYSRESETREQ */
    for (;;) {
    }
}

void uart0_rx_irq_handler(void)
{
    UART0->INTSTATUS = UART_INT_RX;
    while (UART0->STATE & UART_STATE_RXFULL) {
        cd_proto_rx_byte((uint8_t)UART0->DATA);
    }
}

volatile uint32_t app_ticks;

void SysTick_Handler(void)
{
    app_ticks++;
}

void port_start(void)
{
    UART0->BAUDDIV = CPU_HZ / 115200u;
    UART0->CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXINTEN;
    /* QEMU polls its character device again only after a DATA read. */
    if ((UART0->STATE & UART_STATE_RXFULL) == 0u) {
        (void)UART0->DATA;
    }
    NVIC_ISER0 = 1u << UART0_RX_IRQN;
    NVIC_ISPR0 = 1u << UART0_RX_IRQN;

    SYST_RVR = CPU_HZ / APP_TICK_HZ - 1u;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
}
