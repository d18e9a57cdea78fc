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

#include <stdint.h>

#include "crashdump/cd_port.h"

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

/* Any context (idempotent stores). For cd_port_memory_map(): fills regions[0]
 * with the main stack, [ram_start + guard_bytes, __stack_top), and regions[1]
 * with the rest of RAM, [__stack_top, ram_end); the caller sets their flags.
 * The main stack (at the bottom of RAM, cm_sections.ld) must be a region of
 * its own: the library dumps the stack from SP up to the end of SP's region,
 * and must stop at the stack's top instead of running on into .data/.bss,
 * which the dump writer itself changes while it writes. guard_bytes leaves out
 * an MPU guard at the stack's bottom: it cannot be read with the MPU on, and a
 * fault frame that would lie there (stacking failed) must count as unreadable.
 * The stack's top is a linker symbol, hence filled at run time. Inline, so
 * cd_port_memory_map() stays a leaf on the fault path. */
static inline void cm_ram_regions(cd_mem_region_t regions[2], uintptr_t ram_start,
                                  uintptr_t ram_end, uintptr_t guard_bytes)
{
    extern uint8_t __stack_top[];
    uintptr_t top = (uintptr_t)__stack_top;

    regions[0].start = ram_start + guard_bytes;
    regions[0].len = top - regions[0].start;
    regions[1].start = top;
    regions[1].len = ram_end - top;
}

/* Called by Reset_Handler once .data and .bss are set up. */
int main(void);

#endif /* CM_STARTUP_H */
