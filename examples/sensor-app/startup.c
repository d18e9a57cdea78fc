/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The app's own vector table and reset code, as a vendor startup file would
 * have them. crashdump::crashdump defines the fault handlers under their CMSIS
 * names (HardFault_Handler, MemManage_Handler, BusFault_Handler,
 * UsageFault_Handler, NMI_Handler), so the table just names them.
 */
#include <stdint.h>

extern uint32_t __stack_top[], __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void Reset_Handler(void);
void HardFault_Handler(void);
void NMI_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SysTick_Handler(void);
void uart0_rx_irq_handler(void);

static void unused_handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = unused_handler, /* SVC */
    [14] = unused_handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 + 0] = uart0_rx_irq_handler, /* CMSDK UART0 RX */
};

__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void)
{
    /* CPACR: full access to CP10/CP11 before any hard-float code runs. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n isb" ::: "memory");
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) {
        *d++ = *s++;
    }
    for (uint32_t *d = __bss_start; d < __bss_end;) {
        *d++ = 0u;
    }
    (void)main();
    for (;;) {
    }
}
