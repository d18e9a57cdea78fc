/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump port for an nRF5 board with the legacy UART (QEMU microbit,
 * nRF51822; nRF52840-DK): memory map, build-id, UART byte stream and warm
 * reset (cd_port.h), the UART RX interrupt that feeds the protocol parser, and
 * the watchdog-warning interrupt. The dump partition comes from
 * boards/common/flash/flash_nvmc.c. board.h gives:
 *
 *   BOARD_FLASH_BASE/SIZE, BOARD_RAM_BASE/SIZE   memory map
 *   BOARD_UART0_BASE, BOARD_UART0_IRQN, BOARD_UART_TX_PIN, BOARD_UART_RX_PIN,
 *   BOARD_IRQ_COUNT
 *
 * and, where the family needs them (nRF52; both default to 0 for the nRF51):
 *
 *   BOARD_NRF5_HFXO         1: start the crystal oscillator before the UART,
 *                           whose baud rate is only as accurate as HFCLK
 *   BOARD_NRF5_APPROTECT    1: keep the debug port open on nRF52 silicon whose
 *                           APPROTECT is on after every reset unless firmware
 *                           opens it (nRF52840 build code F and later)
 *
 * The FPU (nRF52) needs nothing here: cm_startup.c enables it for hard-float
 * builds before any C runs.
 */
#include <stddef.h>
#include <stdint.h>

#include "cm_regs.h"
#include "cm_startup.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"
#include "nrf5_uart.h"

#ifndef BOARD_NRF5_HFXO
#define BOARD_NRF5_HFXO 0
#endif
#ifndef BOARD_NRF5_APPROTECT
#define BOARD_NRF5_APPROTECT 0
#endif

/* CLOCK (nRF51 and nRF52, 0x40000000) and the nRF52 APPROTECT and UICR words
 * used below; offsets from the nRF52840 Product Specification. */
#define NRF5_CLOCK_TASKS_HFCLKSTART (*(volatile uint32_t *)0x40000000u)
#define NRF5_CLOCK_EVENTS_HFCLKSTARTED (*(volatile uint32_t *)0x40000100u)
#define NRF52_APPROTECT_DISABLE (*(volatile uint32_t *)0x40000558u)
#define NRF52_UICR_APPROTECT (*(volatile const uint32_t *)0x10001208u)
#define NRF52_APPROTECT_HW_DISABLED 0x5Au /* UICR value and DISABLE key */

/* HFXO start-up is well under 1 ms; give up after about 100 ms at 64 MHz and
 * stay on the internal oscillator (an emulator may not model the event). */
#define HFXO_WAIT_LOOPS 1000000u

#ifdef CD_WATCHDOG_IRQ
_Static_assert(CD_WATCHDOG_IRQ < BOARD_IRQ_COUNT && CD_WATCHDOG_IRQ != BOARD_UART0_IRQN,
               "CD_WATCHDOG_IRQ must be a free vector");
#endif

static const nrf5_uart_t uart0 = {BOARD_UART0_BASE, BOARD_UART_TX_PIN, BOARD_UART_RX_PIN};

volatile uint32_t board_rx_event;

/* The main stack is a region of its own (cm_ram_regions). */
static cd_mem_region_t memory_map[] = {
    {BOARD_FLASH_BASE, BOARD_FLASH_SIZE, CD_MEM_READ}, /* dump partition included */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* main stack */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* .data, .bss, .noinit */
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    cm_ram_regions(&memory_map[1], BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE, 0u);
    *count = sizeof(memory_map) / sizeof(memory_map[0]);
    return memory_map;
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    nrf5_uart_write(&uart0, buf, len);
}

void cd_port_reset(void)
{
    /* What the host sends from now on waits in QEMU's socket for the rebooted
     * firmware; Renode's UART drops it (as real hardware would), and the host
     * repeats a request that got no answer (docs/protocol.md, "Retries and
     * duplicates"). TX is already drained (nrf5_uart_write waits for
     * TXDRDY). */
    nrf5_uart_rx_stop(&uart0);
    cm_system_reset();
}

static void uart0_isr(void)
{
    int c;

    while ((c = nrf5_uart_getc(&uart0)) >= 0) {
        cd_proto_rx_byte((uint8_t)c);
        board_rx_event = 1u;
    }
}

/* The UART's interrupt in crashdump::startup's vector table (CD_IRQ_COUNT =
 * BOARD_IRQ_COUNT); every other interrupt keeps its weak default, for the
 * application to claim. The watchdog-warning stand-in (CD_WATCHDOG_IRQ) is
 * cd_watchdog_warning() itself, aliased by the library. */
void CM_IRQ_HANDLER(BOARD_UART0_IRQN)(void)
{
    uart0_isr();
}

/* Thread, at boot. nRF52 build code F and later keep the access port locked
 * after every reset unless UICR.APPROTECT says HwDisabled *and* the firmware
 * writes the SwDisable key; a probe then can still read a dump after a crash.
 * Skipped when UICR does not ask for it, so a production UICR that locks the
 * device keeps it locked. */
static void nrf5_debug_port_open(void)
{
#if BOARD_NRF5_APPROTECT
    if ((NRF52_UICR_APPROTECT & 0xFFu) == NRF52_APPROTECT_HW_DISABLED) {
        NRF52_APPROTECT_DISABLE = NRF52_APPROTECT_HW_DISABLED;
    }
#endif
}

/* Thread, at boot. The UART's baud generator runs from HFCLK; the internal
 * RC oscillator (HFINT, +-1.5 % typical on nRF52) is close to the limit of
 * what a receiver tolerates, so nRF52 boards run HFCLK from the crystal. */
static void nrf5_hfclk_start(void)
{
#if BOARD_NRF5_HFXO
    NRF5_CLOCK_EVENTS_HFCLKSTARTED = 0u;
    NRF5_CLOCK_TASKS_HFCLKSTART = 1u;
    for (uint32_t i = 0; i < HFXO_WAIT_LOOPS && NRF5_CLOCK_EVENTS_HFCLKSTARTED == 0u; i++) {
    }
#endif
}

void board_start(void)
{
    nrf5_debug_port_open();
    nrf5_hfclk_start();
    nrf5_uart_init(&uart0);
    nrf5_uart_rx_irq_start(&uart0, BOARD_UART0_IRQN);
#ifdef CD_WATCHDOG_IRQ
    cm_nvic_clear_pending(CD_WATCHDOG_IRQ);
    cm_nvic_enable(CD_WATCHDOG_IRQ);
#endif
}

void board_rx_hold(void)
{
    cm_nvic_disable(BOARD_UART0_IRQN);
}

void board_rx_resume(void)
{
    /* RXDRDY stays set while a byte waits, so the interrupt is taken again. */
    cm_nvic_enable(BOARD_UART0_IRQN);
}
