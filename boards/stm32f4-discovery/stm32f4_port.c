/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump port for the STM32F4-Discovery (STM32F407VG): memory map,
 * build-id, USART2 byte stream and warm reset (cd_port.h), the USART2 RX
 * interrupt that feeds the protocol parser, and the watchdog-warning
 * interrupt. The dump partition comes from boards/common/flash/flash_stm32f4.c.
 *
 * Clocks: the reset state (HSI 16 MHz, no PLL, buses undivided, zero flash
 * wait states) is kept, so SysTick and USART2 both run at 16 MHz and nothing
 * needs configuring before the first byte. A product running at 168 MHz
 * changes BOARD_CPU_HZ / BOARD_PCLK1_HZ only.
 */
#include <stddef.h>
#include <stdint.h>

#include "cm_regs.h"
#include "cm_startup.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"
#include "stm32f4_regs.h"
#include "stm32f4_usart.h"

#ifdef CD_WATCHDOG_IRQ
_Static_assert(CD_WATCHDOG_IRQ < BOARD_IRQ_COUNT && CD_WATCHDOG_IRQ != F4_USART2_IRQN,
               "CD_WATCHDOG_IRQ must be a free vector");
#endif

volatile uint32_t board_rx_event;

/* The main stack is a region of its own (cm_ram_regions). CCM RAM is listed
 * so a triage range may lie there; nothing of the demo uses it. */
static cd_mem_region_t memory_map[] = {
    {BOARD_FLASH_BASE, BOARD_FLASH_SIZE, CD_MEM_READ}, /* dump partition included */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* main stack */
    {BOARD_RAM_BASE, 0u, CD_MEM_READ | CD_MEM_WRITE},   /* .data, .bss, .noinit */
    {BOARD_CCM_BASE, BOARD_CCM_SIZE, CD_MEM_READ | CD_MEM_WRITE},
};

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    cm_ram_regions(&memory_map[1], BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE, 0u);
    *count = sizeof(memory_map) / sizeof(memory_map[0]);
    return memory_map;
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    f4_usart_write(F4_USART2, buf, len);
}

void cd_port_reset(void)
{
    /* The last byte of the reply must leave the wire before the USART is
     * reset with the rest of the chip. */
    f4_usart_drain(F4_USART2);
    cm_nvic_disable(F4_USART2_IRQN);
    cm_system_reset();
}

static void usart2_isr(void)
{
    int c;

    while ((c = f4_usart_getc(F4_USART2)) >= 0) {
        cd_proto_rx_byte((uint8_t)c);
        board_rx_event = 1u;
    }
}

/* The UART's interrupt in crashdump::startup's vector table (CD_IRQ_COUNT =
 * BOARD_IRQ_COUNT); every other interrupt keeps its weak default, for the
 * application to claim. The watchdog-warning stand-in (CD_WATCHDOG_IRQ) is
 * cd_watchdog_warning() itself, aliased by the library. */
void CM_IRQ_HANDLER(F4_USART2_IRQN)(void)
{
    usart2_isr();
}

/* PA2 = USART2_TX, PA3 = USART2_RX, alternate function 7; a pull-up on RX
 * keeps the line idle (high) when no adapter is connected. */
static void usart2_pins(void)
{
    const uint32_t pins = (1u << 2) | (1u << 3);
    uint32_t moder = F4_GPIOA->MODER;
    uint32_t pupdr = F4_GPIOA->PUPDR;
    uint32_t afrl = F4_GPIOA->AFR[0];

    for (uint32_t pin = 0; pin < 8u; pin++) {
        if ((pins & (1u << pin)) == 0u) {
            continue;
        }
        moder = (moder & ~(3u << (2u * pin))) | (F4_GPIO_MODER_AF << (2u * pin));
        afrl = (afrl & ~(0xFu << (4u * pin))) | (F4_GPIO_AF7_USART1_3 << (4u * pin));
    }
    pupdr = (pupdr & ~(3u << (2u * 3u))) | (F4_GPIO_PUPDR_PULLUP << (2u * 3u));
    F4_GPIOA->AFR[0] = afrl;
    F4_GPIOA->PUPDR = pupdr;
    F4_GPIOA->MODER = moder;
}

void board_start(void)
{
    F4_RCC->AHB1ENR |= F4_RCC_AHB1ENR_GPIOAEN;
    F4_RCC->APB1ENR |= F4_RCC_APB1ENR_USART2EN;
    /* Errata: a peripheral is usable two bus cycles after its clock enable;
     * reading the register back provides them. */
    (void)F4_RCC->APB1ENR;

    usart2_pins();
    f4_usart_init(F4_USART2, BOARD_PCLK1_HZ, BOARD_UART_BAUD);
    cm_nvic_clear_pending(F4_USART2_IRQN);
    cm_nvic_enable(F4_USART2_IRQN);
#ifdef CD_WATCHDOG_IRQ
    cm_nvic_clear_pending(CD_WATCHDOG_IRQ);
    cm_nvic_enable(CD_WATCHDOG_IRQ);
#endif
}

void board_rx_hold(void)
{
    cm_nvic_disable(F4_USART2_IRQN);
}

void board_rx_resume(void)
{
    /* RXNE stays set while a byte waits, so the interrupt is taken again. */
    cm_nvic_enable(F4_USART2_IRQN);
}
