/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interface between the architecture's fault entry
 * (firmware/arch/cortex-m/) and the portable crash path (cd_dump.c).
 */
#ifndef CD_CRASH_H
#define CD_CRASH_H

#include <stdint.h>

#include "crashdump/cd_format.h"

/* Everything the fault entry captured, handed to the portable crash path. */
typedef struct {
    uint32_t reason;          /* CD_REASON_* */
    uint32_t code;            /* fault: exception number; bugcheck: caller's code */
    uint32_t param[4];        /* fault: CFSR, HFSR, fault address (0 if none valid), PC */
    uint32_t flags;           /* CD_DUMP_F_BAD_SP, CD_DUMP_F_FPU as known at capture */
    uint32_t cpuid;
    uint8_t arch;             /* CD_ARCH_* */
    cd_dump_regs_t regs;
    cd_dump_fault_t fault;    /* zero on v6-M, which has no fault status registers */
    cd_dump_fpu_t fpu;        /* meaningful when flags has CD_DUMP_F_FPU */
} cd_crash_ctx_t;

/* Fault-path stages, recorded in the crash record as they are reached, so a
 * nested fault tells where the first one's handling stopped. */
enum {
    CD_STAGE_ENTRY = 1,       /* fault entry, on the fault stack */
    CD_STAGE_RECORD = 2,      /* crash record stored in .noinit */
    CD_STAGE_TRIAGE = 3,      /* inside the client's triage callback */
    CD_STAGE_ADDITIONAL = 4,  /* inside the client's additional-data callbacks */
    CD_STAGE_WRITE = 5,       /* programming sections */
    CD_STAGE_COMMIT = 6,      /* programming the header */
    CD_STAGE_DONE = 7,        /* dump committed (or skipped), about to reset */
};

/* Fault context, on the fault stack, interrupts masked. Stores the crash
 * record, runs the client callbacks, writes the dump, and resets through
 * cd_arch_reset(). A fault inside this path re-enters the fault entry, which
 * calls it again: the second call finishes the dump with what the first one
 * wrote (flag CD_DUMP_F_NESTED, stage recorded) and resets; a third resets at
 * once. Never returns. */
__attribute__((noreturn)) void cd_crash_handle(cd_crash_ctx_t *ctx);

/* Fault context. For an entry that found the library's own fault-critical
 * state overwritten (a guard word or a nesting count changed by a stack
 * overflow or a stray write): stores the crash record of ctx with result
 * CD_E_LIB_STATE, writes no dump, and resets. Reads nothing but the crash
 * record area. Never returns. */
__attribute__((noreturn)) void cd_crash_state_lost(const cd_crash_ctx_t *ctx);

/* Thread, at boot (cd_init() calls it). Enables the architecture's fault
 * handling: on v7-M / v8-M Mainline the MemManage, BusFault and UsageFault
 * handlers (so a fault inside the crash path escalates to HardFault instead
 * of locking up). Nothing on v6-M. */
void cd_arch_fault_init(void);

/* Any, fault. 1 if [addr, addr + len) lies in the stack of the running
 * registered thread, or if no registered thread is running (nothing to
 * check against); else 0. */
int cd_thread_stack_holds(uintptr_t addr, uint32_t len);

/* Fault. Immediate warm reset (SYSRESETREQ), without waiting for anything. */
__attribute__((noreturn)) void cd_arch_reset(void);

/* Any, fault. 1 if [addr, addr + len) lies inside one region of the port's
 * memory map (so reading it cannot bus-fault), else 0. */
int cd_mem_readable(uintptr_t addr, uint32_t len);

/* Thread (test builds, CD_ENABLE_FAULT_CMDS). Triggers fault `kind` (CD_FAULT_*)
 * with known values in r0-r12 (see firmware/arch/cortex-m/cd_fault_inject.c) from a
 * dedicated noinline function per kind, so a decoded dump names it. Returns
 * CD_E_INVAL for an unknown kind, CD_E_UNSUPPORTED for one this core or board
 * cannot do (e.g. divide by zero on v6-M, watchdog without CD_WATCHDOG_IRQ);
 * otherwise does not return. The protocol answers OK before calling it. */
int cd_fault_inject(uint32_t kind);

/* The CD_FAULT_* kind being injected, 0 when none; read through
 * cd_fault_injected() (crashdump.h). Set by cd_fault_inject(). */
extern volatile uint32_t cd_fault_injecting;

#endif /* CD_CRASH_H */
