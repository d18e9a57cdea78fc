/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump port for QEMU's MPS2 machines with a CMSDK UART (AN385 Cortex-M3,
 * AN386 Cortex-M4F, AN500 Cortex-M7, AN505 Cortex-M33): memory map, build-id, UART byte stream
 * and warm reset (cd_port.h), the UART RX interrupt that feeds the protocol
 * parser, and the watchdog-warning interrupt. The dump partition comes from
 * boards/common/flash/flash_ram.c; the board's board.h gives the addresses:
 *
 *   BOARD_CODE_BASE/SIZE, BOARD_RAM_BASE/SIZE   memory map
 *   BOARD_UART0_BASE, BOARD_UART0_RX_IRQN, BOARD_UART_BAUD, BOARD_IRQ_COUNT
 */
#include <stddef.h>
#include <stdint.h>

#include "cm_mpu.h"
#include "cm_regs.h"
#include "cm_startup.h"
#include "cmsdk_uart.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"

#define UART0 ((cmsdk_uart_t *)BOARD_UART0_BASE)

_Static_assert(BOARD_CPU_HZ / BOARD_UART_BAUD >= 16u, "CMSDK UART divider must be >= 16");
#ifdef CD_WATCHDOG_IRQ
_Static_assert(CD_WATCHDOG_IRQ < BOARD_IRQ_COUNT && CD_WATCHDOG_IRQ != BOARD_UART0_RX_IRQN,
               "CD_WATCHDOG_IRQ must be a free vector");
#endif

volatile uint32_t board_rx_event;

/* Stack guard. ARMv7-M: an MPU region (cm_mpu.h) of 256 bytes at the bottom
 * of the stack, plus 1 MiB below RAM, which QEMU's MPS2 maps as
 * read-as-zero/write-ignored. ARMv8-M: MSPLIM at the bottom of the stack (a
 * push below it is a STKOF UsageFault), so no memory is given up to a guard. */
#if defined(__ARM_ARCH_8M_MAIN__)
#define STACK_GUARD_LOG2 0u
#else
#define STACK_GUARD_LOG2 8u
#define BELOW_RAM_GUARD_LOG2 20u
#endif

/* The main stack is a region of its own, without the MPU guard at its bottom
 * (cm_ram_regions). */
static cd_mem_region_t memory_map[] = {
    {BOARD_CODE_BASE, BOARD_CODE_SIZE, CD_MEM_READ}, /* RAM in QEMU, flash on hardware */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* main stack above its guard */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* .data, .bss, .noinit */
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    cm_ram_regions(&memory_map[1], BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE,
                   STACK_GUARD_LOG2 != 0u ? 1u << STACK_GUARD_LOG2 : 0u);
    *count = sizeof(memory_map) / sizeof(memory_map[0]);
    return memory_map;
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    cmsdk_uart_write(UART0, buf, len);
}

void cd_port_reset(void)
{
    /* Stop taking bytes first: what the host sends from now on stays in QEMU's
     * socket (the UART flow-controls it) and reaches the rebooted firmware,
     * instead of a parser that the reset is about to discard. */
    cmsdk_uart_rx_disable(UART0);
    /* QEMU has sent a byte once it leaves the one-byte TX buffer; real
     * hardware would need one more character time for the shift register. */
    cmsdk_uart_flush(UART0);
    cm_system_reset();
}

static void uart0_rx_isr(void)
{
    int c;

    cmsdk_uart_rx_ack(UART0);
    while ((c = cmsdk_uart_getc(UART0)) >= 0) {
        cd_proto_rx_byte((uint8_t)c);
        board_rx_event = 1u;
    }
}

/* The UART's interrupt in crashdump::startup's vector table (CD_IRQ_COUNT =
 * BOARD_IRQ_COUNT); every other interrupt keeps its weak default, for the
 * application to claim. The watchdog-warning stand-in (CD_WATCHDOG_IRQ) is
 * cd_watchdog_warning() itself, aliased by the library. */
void CM_IRQ_HANDLER(BOARD_UART0_RX_IRQN)(void)
{
    uart0_rx_isr();
}

void board_start(void)
{
    extern uint8_t __stack_limit[];

#if defined(__ARM_ARCH_8M_MAIN__)
    __asm volatile("msr msplim, %0" ::"r"(__stack_limit) : "memory");
#else
    (void)cm_mpu_stack_guard((uintptr_t)__stack_limit, STACK_GUARD_LOG2, BELOW_RAM_GUARD_LOG2);
#endif
    (void)cmsdk_uart_init(UART0, BOARD_CPU_HZ, BOARD_UART_BAUD);
    cmsdk_uart_rx_irq_start(UART0, BOARD_UART0_RX_IRQN);
#ifdef CD_WATCHDOG_IRQ
    cm_nvic_clear_pending(CD_WATCHDOG_IRQ);
    cm_nvic_enable(CD_WATCHDOG_IRQ);
#endif
}

void board_rx_hold(void)
{
    cm_nvic_disable(BOARD_UART0_RX_IRQN);
}

void board_rx_resume(void)
{
    /* A byte that arrived meanwhile left the interrupt pending in the NVIC. */
    cm_nvic_enable(BOARD_UART0_RX_IRQN);
}
