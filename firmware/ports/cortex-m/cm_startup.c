/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump::startup: Cortex-M startup in C (ARMv6-M, ARMv7-M, ARMv8-M).
 *
 * The hardware loads the initial stack pointer and Reset_Handler from the vector
 * table, so C runs from the first instruction. Reset_Handler copies .data from
 * its load address, zeroes .bss, runs static constructors and calls main().
 * It never touches .noinit: that section holds the crashdump storage, which must
 * survive a warm reset, and cm_sections.ld keeps it out of every loaded segment.
 */
#include <stdint.h>

#include "cm_regs.h"
#include "cm_startup.h"
#include "crashdump/cd_config.h"

/* Linker script symbols (crashdump_cortex_m.ld, or the firmware's own script). */
extern uint8_t __stack_top[];
extern uint32_t __data_start, __data_end, __data_load;
extern uint32_t __bss_start, __bss_end;
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

void Reset_Handler(void);

void cm_default_handler(void)
{
    for (;;) {
    }
}

#define CM_WEAK_DEFAULT __attribute__((weak, alias("cm_default_handler")))

void NMI_Handler(void) CM_WEAK_DEFAULT;
void HardFault_Handler(void) CM_WEAK_DEFAULT;
void MemManage_Handler(void) CM_WEAK_DEFAULT;
void BusFault_Handler(void) CM_WEAK_DEFAULT;
void UsageFault_Handler(void) CM_WEAK_DEFAULT;
void SecureFault_Handler(void) CM_WEAK_DEFAULT;
void SVC_Handler(void) CM_WEAK_DEFAULT;
void DebugMon_Handler(void) CM_WEAK_DEFAULT;
void PendSV_Handler(void) CM_WEAK_DEFAULT;
void SysTick_Handler(void) CM_WEAK_DEFAULT;

/* External interrupts: weak IRQ<n>_Handler for each n below CD_IRQ_COUNT, so
 * that a firmware handles interrupt n by defining IRQ<n>_Handler. */
#define CM_IRQ(n) void IRQ##n##_Handler(void) CM_WEAK_DEFAULT;
#include "cm_irq_list.inc"
#undef CM_IRQ

/* Exceptions 0..15. Entries reserved on a given architecture version are never
 * taken there, so one table serves all of them. */
__attribute__((section(".vectors.core"), used)) const cm_vector_t cm_core_vectors[16] = {
    (cm_vector_t)(uintptr_t)__stack_top, /* 0: initial MSP */
    Reset_Handler,                        /* 1 */
    NMI_Handler,                          /* 2 */
    HardFault_Handler,                    /* 3 */
    MemManage_Handler,                    /* 4: v7-M, v8-M Mainline */
    BusFault_Handler,                     /* 5: v7-M, v8-M Mainline */
    UsageFault_Handler,                   /* 6: v7-M, v8-M Mainline */
    SecureFault_Handler,                  /* 7: v8-M Security Extension */
    0,
    0,
    0,
    SVC_Handler,                          /* 11 */
    DebugMon_Handler,                     /* 12: v7-M, v8-M Mainline */
    0,
    PendSV_Handler,                       /* 14 */
    SysTick_Handler,                      /* 15 */
};

#if CD_IRQ_COUNT > 0
/* Right after the core vectors (the linker script places .vectors.irq there). */
__attribute__((section(".vectors.irq"), used)) const cm_vector_t cm_irq_vectors[CD_IRQ_COUNT] = {
#define CM_IRQ(n) IRQ##n##_Handler,
#include "cm_irq_list.inc"
#undef CM_IRQ
};
#endif

/* The copy and zero loops must not become memcpy/memset calls: those may come
 * from a library built with other assumptions, and nothing is initialised yet. */
__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Hard-float code may touch FP registers anywhere from here on. */
    CM_SCB->CPACR |= CM_CPACR_FPU_FULL;
    cm_dsb();
    cm_isb();
#endif
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
    /* Boot ROMs or a bootloader may have left VTOR elsewhere. */
    CM_SCB->VTOR = (uint32_t)(uintptr_t)cm_core_vectors;
    cm_dsb();
#endif

    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) {
        *dst++ = 0u;
    }

    for (void (**fn)(void) = __preinit_array_start; fn < __preinit_array_end; fn++) {
        (*fn)();
    }
    for (void (**fn)(void) = __init_array_start; fn < __init_array_end; fn++) {
        (*fn)();
    }

    (void)main();
    for (;;) {
        cm_wfi();
    }
}
