/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to firmware/arch/cortex-m: configuration and the layout shared by the
 * assembly fault entry (cd_fault_entry.S) and its C half (cd_fault.c).
 * Included from assembly too, so only preprocessor lines outside the C guard.
 */
#ifndef CD_FAULT_PRIV_H
#define CD_FAULT_PRIV_H

#include "crashdump/cd_config.h" /* the firmware's settings (preprocessor only) */

/* Bytes of the library-owned stack the fault path runs on (a multiple of 8).
 * Holds the C capture code and cd_crash_handle(), twice when a fault nests. */
#ifndef CD_FAULT_STACK_BYTES
#define CD_FAULT_STACK_BYTES 1024
#endif

/* Fault injection (CD_ENABLE_FAULT_CMDS): an address outside the memory map,
 * so a load or store there bus-faults. The default suits the MPS2 boards
 * (nothing is mapped at 0x60000000 in QEMU's mps2-an385/an386); a board
 * overrides it with -D through CD_BOARD_DEFS. */
#ifndef CD_FAULT_BAD_ADDR
#define CD_FAULT_BAD_ADDR 0x60000000
#endif

/* Known register values of an injected fault: register n (0..12) holds
 * CD_FAULT_PAT(n, kind) unless cd_fault_inject.c says it is an operand. */
#define CD_FAULT_PAT(n, kind) (0xCD000000 | ((n) << 16) | (kind))
/* With an FPU, s<n> = CD_FAULT_FPAT(n, kind) and FPSCR = CD_FAULT_FPSCR(kind)
 * (the N, Z, C, V flags and the kind in the cumulative exception bits). */
#define CD_FAULT_FPAT(n, kind) (0x4C000000 | ((n) << 16) | (kind))
#define CD_FAULT_FPSCR(kind) (0xF0000000 | ((kind) & 0x1F))
#define CD_FAULT_BUG_CODE(kind) (0xB0660000 | (kind))
#define CD_FAULT_BUG_P1 0x11111111
#define CD_FAULT_BUG_P2 0x22222222
#define CD_FAULT_BUG_P3 0x33333333
#define CD_FAULT_BUG_P4 0x44444444

/* Architecture profile of this build. */
#if defined(__ARM_ARCH_6M__)
#define CD_CM_V6M 1
#elif defined(__ARM_ARCH_8M_BASE__)
#define CD_CM_V8MBASE 1
#elif defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
#define CD_CM_MAINLINE 1 /* v7-M, v7E-M, v8-M Mainline: fault status registers, BASEPRI */
#else
#error "crashdump: unsupported Cortex-M architecture"
#endif

/* Thumb-1 only instruction set (entry code restricted to v6-M instructions). */
#if defined(CD_CM_V6M) || defined(CD_CM_V8MBASE)
#define CD_CM_THUMB1 1
#endif

#if defined(__ARM_ARCH_8M_BASE__) || defined(__ARM_ARCH_8M_MAIN__)
#define CD_CM_V8M 1
#endif

/* Reason codes handed from the entry to C (same values as CD_REASON_*). */
#define CD_ENTRY_FAULT 1
#define CD_ENTRY_BUGCHECK 2
#define CD_ENTRY_WATCHDOG 3

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * What the assembly entry pushed on the fault stack before calling
 * cd_fault_entry_c(): first the callee-saved registers (higher addresses),
 * then the special registers read before anything changed them.
 */
typedef struct {
    uint32_t msp;        /* MSP at entry (before the switch to the fault stack) */
    uint32_t psp;
    uint32_t primask;    /* before the entry's cpsid */
    uint32_t msplim;     /* v8-M: before the entry cleared it; else 0 */
    uint32_t control;    /* bugcheck path: after SPSEL was cleared (original in the block) */
    uint32_t exc_return; /* LR at entry; 0 on the bugcheck path (no exception frame) */
    uint32_t reason;     /* CD_ENTRY_*; 0 on the bugcheck path (reason in the block) */
    uint32_t zero;
    uint32_t callee[8];  /* Thumb-2: r4..r11; Thumb-1: r8..r11, r4..r7 */
} cd_fault_save_t;

/* The bugcheck path pushes this block below the caller's SP: the original
 * CONTROL and the reason, then an 8-word frame shaped like an exception frame. */
typedef struct {
    uint32_t control;
    uint32_t reason;
    uint32_t frame[8];   /* r0-r3, r12, lr (return address), pc (entry point), xpsr */
} cd_fault_bug_block_t;

/* Set by the bugcheck path to its block's frame, read by cd_fault_entry_c(). */
extern uint32_t *volatile cd_fault_bug_frame;

void cd_fault_entry_c(cd_fault_save_t *save) __attribute__((noreturn));
#endif

#endif /* CD_FAULT_PRIV_H */
