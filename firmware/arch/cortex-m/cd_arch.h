/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cortex-M (v6-M, v7-M, v8-M) primitives the portable core inlines on hot paths.
 * A host build supplies its own cd_arch.h with the same two functions.
 */
#ifndef CD_ARCH_H
#define CD_ARCH_H

#include <stdint.h>

/* Masks interrupts (PRIMASK) and returns the previous mask for cd_arch_irq_unlock(). */
static inline uint32_t cd_arch_irq_lock(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

/* Restores the mask saved by cd_arch_irq_lock(); nests correctly. */
static inline void cd_arch_irq_unlock(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

#endif /* CD_ARCH_H */
