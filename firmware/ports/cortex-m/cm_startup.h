/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump::startup (cm_startup.c): the vector table, Reset_Handler and weak
 * default handlers of a Cortex-M firmware. The table is the 16 core vectors
 * (.vectors.core) followed by CD_IRQ_COUNT external interrupt vectors
 * (.vectors.irq; CD_IRQ_COUNT comes from the crashdump config header, default
 * 0); the linker script places both at the start of flash
 * (crashdump_cortex_m.ld does).
 *
 * Every handler has a weak default that spins (cm_default_handler), so a
 * firmware adds its own by defining a function of that name anywhere:
 *   core exceptions   CMSIS names: SVC_Handler, PendSV_Handler, SysTick_Handler...
 *                     (crashdump::crashdump defines the fault handlers:
 *                     HardFault_Handler, NMI_Handler, MemManage_Handler,
 *                     BusFault_Handler, UsageFault_Handler, SecureFault_Handler)
 *   interrupt n       IRQ<n>_Handler, e.g. IRQ8_Handler; CM_IRQ_HANDLER(n)
 *                     names it from a macro that expands to a plain decimal
 *                     number (no `u` suffix)
 * With CD_WATCHDOG_IRQ set, crashdump::crashdump defines that interrupt's
 * handler as cd_watchdog_warning() itself.
 *
 * A firmware that owns its vector table (a vendor's startup file) does not
 * link crashdump::startup; its table names the handlers above.
 */
#ifndef CM_STARTUP_H
#define CM_STARTUP_H

#include <stdint.h>

#include "crashdump/cd_port.h"

typedef void (*cm_vector_t)(void);

/* Spins forever with interrupts untouched: where an exception nobody handles
 * ends up. A debugger shows the exception number in IPSR. */
void cm_default_handler(void);

/* The handler name of external interrupt n: CM_IRQ_HANDLER(UART0_IRQN) with
 * UART0_IRQN defined as 5 is IRQ5_Handler. */
#define CM_IRQ_HANDLER(n) CM_IRQ_HANDLER_(n)
#define CM_IRQ_HANDLER_(n) IRQ##n##_Handler

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
