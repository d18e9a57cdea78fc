/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault injection for tests (built only with CD_ENABLE_FAULT_CMDS, CMake
 * option CD_FAULT_CMDS): cd_fault_inject(kind) sets cd_fault_injecting = kind,
 * prepares what the kind needs (trap enables) and calls the kind's own
 * function cd_fault_do_<kind> (cd_fault_inject_s.S), which loads known values
 * into the registers and faults on its next instruction.
 *
 * Register values at the fault ("pattern"): register n = 0xCD000000 | n << 16 | kind,
 * e.g. r5 = 0xCD050001 for BAD_READ (CD_FAULT_PAT in cd_fault_priv.h).
 * Operand registers, which hold something else:
 *   BAD_READ, BAD_WRITE  r0 = CD_FAULT_BAD_ADDR (default 0x60000000); r1-r12 pattern
 *   UNDEF                r0-r12 pattern (udf #0)
 *   DIV0                 r0 = 0 (the divisor of `sdiv r0, r1, r0`); r1-r12 pattern
 *   UNALIGNED            r0 = an aligned word's address + 1; r1-r12 pattern
 *   BAD_BRANCH           r0 = &cd_fault_do_bad_branch with bit 0 clear; stacked
 *                        PC = that same address (the faulting fetch); r1-r12 pattern
 *   STACK_OVERFLOW       r0-r12 pattern at every recursion level (the frame is
 *                        normally unusable: CD_DUMP_F_BAD_SP)
 *   BUGCHECK, TRIAGE_UNMAPPED, NESTED
 *                        cd_bugcheck(0xB0660000 | kind, 0x11111111, 0x22222222,
 *                        0x33333333, 0x44444444): r0-r3 and [sp] are the
 *                        arguments, r4-r12 pattern
 *   NMI, WATCHDOG        r0 = the pend register (ICSR / NVIC ISPR word),
 *                        r1 = the bit written; r2-r12 pattern
 * STACK_OVERFLOW needs memory that faults right below the stack: in QEMU
 * mps2-an385 it does not (below 0x20000000 reads as zero and ignores writes
 * down to the code alias at 0x00400000, which the recursion then overwrites),
 * so there an MPU guard region or v8-M MSPLIM is needed for a clean fault.
 * With an FPU (__ARM_FP), every kind also sets s<n> = 0x4C000000 | n << 16 | kind
 * and FPSCR = 0xF0000000 | kind before faulting.
 * SP at the fault equals SP before the faulting instruction; LR is the return
 * address into cd_fault_inject() (STACK_OVERFLOW: into the function itself).
 */
#include <stdint.h>

#include "cd_crash.h"
#include "cd_fault_priv.h"
#include "cm_regs.h"
#include "crashdump/cd_status.h"

#if defined(CD_ENABLE_FAULT_CMDS)

_Static_assert(CD_FAULT_BAD_READ == 1 && CD_FAULT_BAD_WRITE == 2 && CD_FAULT_UNDEF == 3 &&
                   CD_FAULT_DIV0 == 4 && CD_FAULT_UNALIGNED == 5 && CD_FAULT_BAD_BRANCH == 6 &&
                   CD_FAULT_STACK_OVERFLOW == 7 && CD_FAULT_BUGCHECK == 8 && CD_FAULT_NMI == 9 &&
                   CD_FAULT_TRIAGE_UNMAPPED == 10 && CD_FAULT_WATCHDOG == 11 &&
                   CD_FAULT_NESTED == 12,
               "cd_fault_inject_s.S numbers the kinds itself");

/* cd_fault_inject_s.S; none returns. */
__attribute__((noreturn)) void cd_fault_do_bad_read(void);
__attribute__((noreturn)) void cd_fault_do_bad_write(void);
__attribute__((noreturn)) void cd_fault_do_undef(void);
__attribute__((noreturn)) void cd_fault_do_div0(void);
__attribute__((noreturn)) void cd_fault_do_unaligned(void);
__attribute__((noreturn)) void cd_fault_do_bad_branch(void);
__attribute__((noreturn)) void cd_fault_do_stack_overflow(void);
__attribute__((noreturn)) void cd_fault_do_bugcheck(void);
__attribute__((noreturn)) void cd_fault_do_triage_unmapped(void);
__attribute__((noreturn)) void cd_fault_do_nested(void);
__attribute__((noreturn)) void cd_fault_do_nmi(volatile uint32_t *reg, uint32_t value);
__attribute__((noreturn)) void cd_fault_do_watchdog(volatile uint32_t *reg, uint32_t value);

int cd_fault_inject(uint32_t kind)
{
    switch (kind) {
    case CD_FAULT_BAD_READ:
    case CD_FAULT_BAD_WRITE:
    case CD_FAULT_UNDEF:
    case CD_FAULT_UNALIGNED:
    case CD_FAULT_BAD_BRANCH:
    case CD_FAULT_STACK_OVERFLOW:
    case CD_FAULT_BUGCHECK:
    case CD_FAULT_TRIAGE_UNMAPPED:
    case CD_FAULT_NESTED:
    case CD_FAULT_NMI:
        break;
    case CD_FAULT_DIV0:
#if !defined(CD_CM_MAINLINE)
        return CD_E_UNSUPPORTED; /* no divide-by-zero trap */
#else
        break;
#endif
    case CD_FAULT_WATCHDOG:
#if !defined(CD_WATCHDOG_IRQ)
        return CD_E_UNSUPPORTED; /* the board wires no early-warning interrupt */
#else
        break;
#endif
    default:
        return CD_E_INVAL;
    }

    cd_fault_injecting = kind;

    switch (kind) {
    case CD_FAULT_BAD_READ:
        cd_fault_do_bad_read();
    case CD_FAULT_BAD_WRITE:
        cd_fault_do_bad_write();
    case CD_FAULT_UNDEF:
        cd_fault_do_undef();
#if defined(CD_CM_MAINLINE)
    case CD_FAULT_DIV0:
        CM_SCB->CCR |= CM_CCR_DIV_0_TRP;
        cm_dsb();
        cm_isb();
        cd_fault_do_div0();
#endif
    case CD_FAULT_UNALIGNED:
#if defined(CD_CM_MAINLINE)
        CM_SCB->CCR |= CM_CCR_UNALIGN_TRP;
        cm_dsb();
        cm_isb(); /* QEMU (like hardware) applies UNALIGN_TRP only after an isb */
#endif
        cd_fault_do_unaligned();
    case CD_FAULT_BAD_BRANCH:
        cd_fault_do_bad_branch();
    case CD_FAULT_STACK_OVERFLOW:
        cd_fault_do_stack_overflow();
    case CD_FAULT_BUGCHECK:
        cd_fault_do_bugcheck();
    case CD_FAULT_TRIAGE_UNMAPPED:
        cd_fault_do_triage_unmapped();
    case CD_FAULT_NESTED:
        cd_fault_do_nested();
    case CD_FAULT_NMI:
        cd_fault_do_nmi(&CM_SCB->ICSR, CM_ICSR_NMIPENDSET);
#if defined(CD_WATCHDOG_IRQ)
    case CD_FAULT_WATCHDOG:
        cm_nvic_clear_pending(CD_WATCHDOG_IRQ);
        cm_nvic_enable(CD_WATCHDOG_IRQ);
        cd_fault_do_watchdog(&CM_NVIC->ISPR[(CD_WATCHDOG_IRQ) >> 5],
                             1u << ((CD_WATCHDOG_IRQ) & 31u));
#endif
    default:
        break;
    }
    return CD_E_INVAL;
}

#endif /* CD_ENABLE_FAULT_CMDS */
