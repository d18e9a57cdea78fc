/*
 * crashdump port for QEMU mps2-an385: memory map, build-id, UART0 byte stream
 * and warm reset (cd_port.h), plus the UART0 RX interrupt that feeds the
 * protocol parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "cm_build_id.h"
#include "cm_regs.h"
#include "cm_startup.h"
#include "cmsdk_uart.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"

#define UART0 ((cmsdk_uart_t *)BOARD_UART0_BASE)

_Static_assert(BOARD_CPU_HZ / BOARD_UART_BAUD >= 16u, "CMSDK UART divider must be >= 16");

volatile uint32_t board_rx_event;

static const cd_mem_region_t memory_map[] = {
    {0x00000000u, 4u << 20, CD_MEM_READ},               /* code (RAM in QEMU, flash on hardware) */
    {0x20000000u, 4u << 20, CD_MEM_READ | CD_MEM_WRITE}, /* SRAM */
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    *count = sizeof(memory_map) / sizeof(memory_map[0]);
    return memory_map;
}

const uint8_t *cd_port_build_id(size_t *len)
{
    return cm_build_id(CD_BUILD_ID_MAX, len);
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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
CM_IRQ_VECTORS(BOARD_IRQ_COUNT) = {
    [0 ... BOARD_IRQ_COUNT - 1] = cm_default_handler,
    [BOARD_UART0_RX_IRQN] = uart0_rx_isr,
};
#pragma GCC diagnostic pop

void board_uart_start(void)
{
    (void)cmsdk_uart_init(UART0, BOARD_CPU_HZ, BOARD_UART_BAUD);
    cmsdk_uart_rx_irq_start(UART0, BOARD_UART0_RX_IRQN);
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

void board_print_line(const char *s)
{
    static const uint8_t eol[] = {'\r', '\n', 0x00};
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    cmsdk_uart_write(UART0, (const uint8_t *)s, n);
    cmsdk_uart_write(UART0, eol, sizeof(eol));
}
