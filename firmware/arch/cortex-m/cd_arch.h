/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cortex-M (v6-M, v7-M, v8-M) primitives the portable core inlines on hot paths.
 * A host build supplies its own cd_arch.h with the same two functions.
 */
#ifndef CD_ARCH_H
#define CD_ARCH_H

#include <stdint.h>

#include "crashdump/cd_config.h" /* CD_THREAD_GUARD_REGION from the firmware's config file */

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

/* Context switch (cd_thread_switch()): the stack guard for the thread whose
 * stack starts at stack_lo (0: none). ARMv8-M Mainline: PSPLIM, so a push
 * below it is a STKOF UsageFault before anything is overwritten. ARMv7-M with
 * CD_THREAD_GUARD_REGION: that MPU region becomes a 32-byte no-access block at
 * the bottom of the stack (rounded up to 32), so the first push into it is a
 * MemManage fault. Elsewhere nothing: a scheduler's own overflow check (the
 * FreeRTOS hook) must report it. */
#if defined(CD_THREAD_GUARD_REGION) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
/* The guard is larger than any exception frame (32 bytes + 4 of alignment;
 * 104 + 4 with FP state): the hardware stacks a frame from its lowest word
 * up, so a frame that started below a smaller guard would land its first
 * words under the stack, in whatever lies there, before the guard faulted. */
#if defined(__ARM_FP)
#define CD_GUARD_BYTES 128u
#define CD_GUARD_SIZE_FIELD 6u
#else
#define CD_GUARD_BYTES 64u
#define CD_GUARD_SIZE_FIELD 5u
#endif
#endif

static inline void cd_arch_thread_guard(uintptr_t stack_lo)
{
#if defined(__ARM_ARCH_8M_MAIN__)
    __asm volatile("msr psplim, %0" ::"r"(stack_lo) : "memory");
#elif defined(CD_THREAD_GUARD_REGION) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
    volatile uint32_t *const mpu = (volatile uint32_t *)0xE000ED94u; /* CTRL, RNR, RBAR, RASR */
    mpu[1] = CD_THREAD_GUARD_REGION;
    if (stack_lo == 0u) {
        mpu[3] = 0u;
    } else {
        /* The lowest aligned block of CD_GUARD_BYTES above the stack's lowest
         * 16 bytes, which stay readable: an RTOS's own overflow check
         * (FreeRTOS's configCHECK_FOR_STACK_OVERFLOW 2) reads them at every
         * switch, while this guard is still on. */
        mpu[2] = (uint32_t)((stack_lo + 16u + CD_GUARD_BYTES - 1u) & ~(uintptr_t)(CD_GUARD_BYTES - 1u));
        /* XN, AP = no access, SIZE = CD_GUARD_BYTES (field log2 - 1), ENABLE */
        mpu[3] = (1u << 28) | (CD_GUARD_SIZE_FIELD << 1) | 1u;
        if ((mpu[0] & 1u) == 0u) {
            mpu[0] = (1u << 2) | 1u; /* PRIVDEFENA | ENABLE */
        }
    }
    __asm volatile("dsb\n\tisb" ::: "memory");
#else
    (void)stack_lo;
#endif
}

#endif /* CD_ARCH_H */
