/*
 * Shared Cortex-M startup: the 16 core exception vectors, Reset_Handler and the
 * weak default handlers live in cm_startup.c. A board adds its own interrupt
 * vectors with CM_IRQ_VECTORS; the linker script (cm_sections.ld) places them
 * right after the core vectors.
 *
 * Handlers use the CMSIS names (HardFault_Handler, SysTick_Handler, ...) and are
 * weak, so defining one anywhere in the firmware replaces the default.
 */
#ifndef CM_STARTUP_H
#define CM_STARTUP_H

typedef void (*cm_vector_t)(void);

/* Spins forever with interrupts untouched: where an exception nobody handles
 * ends up. A debugger shows the exception number in IPSR. */
void cm_default_handler(void);

/* Defines the board's table of `count` external interrupt vectors (IRQ 0 first).
 * Typical use, defaulting every entry and then naming the ones in use:
 *
 *   #pragma GCC diagnostic push
 *   #pragma GCC diagnostic ignored "-Woverride-init"
 *   CM_IRQ_VECTORS(32) = {
 *       [0 ... 31] = cm_default_handler,
 *       [0] = uart0_rx_isr,
 *   };
 *   #pragma GCC diagnostic pop
 *
 * (-Woverride-init, part of -Wextra, flags exactly this intended override.) */
#define CM_IRQ_VECTORS(count)                                                       \
    __attribute__((section(".vectors.irq"), used)) const cm_vector_t cm_irq_vectors[count]

/* Called by Reset_Handler once .data and .bss are set up. */
int main(void);

#endif /* CM_STARTUP_H */
