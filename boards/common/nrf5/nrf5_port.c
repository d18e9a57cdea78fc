/*
 * crashdump port for an nRF5 board with the legacy UART (QEMU microbit,
 * nRF51822): memory map, build-id, UART byte stream and warm reset
 * (cd_port.h), the UART RX interrupt that feeds the protocol parser, and the
 * watchdog-warning interrupt. The dump partition comes from
 * boards/common/flash/flash_nvmc.c. board.h gives:
 *
 *   BOARD_FLASH_BASE/SIZE, BOARD_RAM_BASE/SIZE   memory map
 *   BOARD_UART0_BASE, BOARD_UART0_IRQN, BOARD_UART_TX_PIN, BOARD_UART_RX_PIN,
 *   BOARD_IRQ_COUNT
 */
#include <stddef.h>
#include <stdint.h>

#include "cm_build_id.h"
#include "cm_regs.h"
#include "cm_startup.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"
#include "nrf5_uart.h"

#ifdef CD_FAULT_WDT_IRQ
_Static_assert(CD_FAULT_WDT_IRQ < BOARD_IRQ_COUNT && CD_FAULT_WDT_IRQ != BOARD_UART0_IRQN,
               "CD_FAULT_WDT_IRQ must be a free vector");
#endif

static const nrf5_uart_t uart0 = {BOARD_UART0_BASE, BOARD_UART_TX_PIN, BOARD_UART_RX_PIN};

volatile uint32_t board_rx_event;

/* The main stack (at the bottom of RAM, cm_sections.ld) is a region of its
 * own: the library dumps the stack from SP up to the end of SP's region, and
 * must stop at the stack's top instead of running on into .data/.bss, which
 * the dump writer itself changes while it writes. The stack's top is a
 * linker symbol, so the RAM entries are completed at run time (idempotent
 * stores, safe in any context). */
extern uint8_t __stack_top[];

static cd_mem_region_t memory_map[] = {
    {BOARD_FLASH_BASE, BOARD_FLASH_SIZE, CD_MEM_READ}, /* dump partition included */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* main stack */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* .data, .bss, .noinit */
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    uintptr_t top = (uintptr_t)__stack_top;

    memory_map[1].len = top - BOARD_RAM_BASE;
    memory_map[2].start = top;
    memory_map[2].len = BOARD_RAM_BASE + BOARD_RAM_SIZE - top;
    *count = sizeof(memory_map) / sizeof(memory_map[0]);
    return memory_map;
}

const uint8_t *cd_port_build_id(size_t *len)
{
    return cm_build_id(CD_BUILD_ID_MAX, len);
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    nrf5_uart_write(&uart0, buf, len);
}

void cd_port_reset(void)
{
    /* What the host sends from now on waits in QEMU's socket for the rebooted
     * firmware; TX is already drained (nrf5_uart_write waits for TXDRDY). */
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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
CM_IRQ_VECTORS(BOARD_IRQ_COUNT) = {
    [0 ... BOARD_IRQ_COUNT - 1] = cm_default_handler,
    [BOARD_UART0_IRQN] = uart0_isr,
#ifdef CD_FAULT_WDT_IRQ
    /* Stands in for a watchdog's early-warning interrupt (the fault injector
     * pends it). cd_watchdog_warning() is the vector itself: it must see the
     * exception frame of the interrupted code, which a wrapper would hide. */
    [CD_FAULT_WDT_IRQ] = cd_watchdog_warning,
#endif
};
#pragma GCC diagnostic pop

void board_start(void)
{
    nrf5_uart_init(&uart0);
    nrf5_uart_rx_irq_start(&uart0, BOARD_UART0_IRQN);
#ifdef CD_FAULT_WDT_IRQ
    cm_nvic_clear_pending(CD_FAULT_WDT_IRQ);
    cm_nvic_enable(CD_FAULT_WDT_IRQ);
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

void board_print_line(const char *s)
{
    static const uint8_t eol[] = {'\r', '\n', 0x00};
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    nrf5_uart_write(&uart0, (const uint8_t *)s, n);
    nrf5_uart_write(&uart0, eol, sizeof(eol));
}
