/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host-native stand-in for firmware/arch/cortex-m/cd_arch.h. Interrupts are
 * modelled by POSIX signals delivered to the test thread, so "masking
 * interrupts" blocks all signals, exactly as PRIMASK holds off every handler.
 */
#ifndef CD_ARCH_H
#define CD_ARCH_H

#include <signal.h>
#include <stdint.h>

extern volatile int cd_host_irq_locked; /* for tests: nonzero inside a critical section */

static inline uint32_t cd_arch_irq_lock(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, 0);
    return (uint32_t)cd_host_irq_locked++;
}

static inline void cd_arch_irq_unlock(uint32_t prev)
{
    cd_host_irq_locked = (int)prev;
    if (prev == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, 0);
    }
}

/* No stack guard on the host. */
static inline void cd_arch_thread_guard(uintptr_t stack_lo)
{
    (void)stack_lo;
}

#endif /* CD_ARCH_H */
