/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stack guard with the ARMv7-M MPU (PMSAv7: Cortex-M3/M4/M7). ARMv8-M's MPU
 * has another register layout (RBAR/RLAR) and offers MSPLIM instead; ARMv6-M
 * parts like the nRF51 have no MPU.
 *
 * Why: the main stack sits at the bottom of RAM so an overflow leaves RAM, but
 * what lies below RAM is board-specific. On QEMU's MPS2 machines 0x01010000..
 * 0x1FFFFFFF is a "reserved" region that reads as zero and ignores writes, so
 * an overflow runs on silently for megabytes. A no-access region at the bottom
 * of the stack turns the first push into it into a MemManage fault (escalated
 * to HardFault if MemManage is disabled). HardFault runs with the MPU off
 * (HFNMIENA = 0), so its exception frame can still be stacked into the guard,
 * which is real RAM: the guard must hold the largest frame (26 words with the
 * FPU), hence at least 128 bytes. A second region covers `below_size` bytes
 * under the guard, so a large frame that jumps over the guard faults too.
 */
#ifndef CM_MPU_H
#define CM_MPU_H

#include <stdint.h>

#include "cm_regs.h"

typedef struct {
    volatile const uint32_t TYPE; /* 0xE000ED90 */
    volatile uint32_t CTRL;       /* 0xE000ED94 */
    volatile uint32_t RNR;        /* 0xE000ED98 */
    volatile uint32_t RBAR;       /* 0xE000ED9C */
    volatile uint32_t RASR;       /* 0xE000EDA0 */
} cm_mpu_v7_t;

#define CM_MPU_V7 ((cm_mpu_v7_t *)0xE000ED90u)

#define CM_MPU_CTRL_ENABLE (1u << 0)
#define CM_MPU_CTRL_PRIVDEFENA (1u << 2) /* default memory map for privileged code */
#define CM_MPU_RASR_ENABLE (1u << 0)
#define CM_MPU_RASR_SIZE(log2) (((uint32_t)(log2) - 1u) << 1) /* region of 2^log2 bytes */
#define CM_MPU_RASR_AP_NONE (0u << 24)
#define CM_MPU_RASR_XN (1u << 28)
#define CM_MPU_TYPE_DREGION(t) (((t) >> 8) & 0xFFu)

/* Thread, at boot, before the stack is deep. Makes [guard_base, guard_base +
 * 2^guard_log2) and the 2^below_log2 bytes under it (below_log2 = 0: none)
 * no-access regions 0 and 1 and enables the MPU with the default map for
 * everything else. Each base must be aligned to its size; guard_log2 >= 7.
 * Returns 0, or -1 if the core has no MPU (then nothing changes). */
static inline int cm_mpu_stack_guard(uintptr_t guard_base, unsigned guard_log2, unsigned below_log2)
{
    if (CM_MPU_TYPE_DREGION(CM_MPU_V7->TYPE) < 2u) {
        return -1;
    }
    CM_MPU_V7->CTRL = 0u;
    CM_MPU_V7->RNR = 0u;
    CM_MPU_V7->RBAR = (uint32_t)guard_base;
    CM_MPU_V7->RASR = CM_MPU_RASR_XN | CM_MPU_RASR_AP_NONE | CM_MPU_RASR_SIZE(guard_log2) |
                      CM_MPU_RASR_ENABLE;
    CM_MPU_V7->RNR = 1u;
    if (below_log2 != 0u) {
        CM_MPU_V7->RBAR = (uint32_t)(guard_base - ((uintptr_t)1 << below_log2));
        CM_MPU_V7->RASR = CM_MPU_RASR_XN | CM_MPU_RASR_AP_NONE | CM_MPU_RASR_SIZE(below_log2) |
                          CM_MPU_RASR_ENABLE;
    } else {
        CM_MPU_V7->RASR = 0u;
    }
    CM_MPU_V7->CTRL = CM_MPU_CTRL_PRIVDEFENA | CM_MPU_CTRL_ENABLE;
    cm_dsb();
    cm_isb();
    return 0;
}

#endif /* CM_MPU_H */
