/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault injection bodies (test builds, CD_ENABLE_FAULT_CMDS): one function per
 * CD_FAULT_* kind, named cd_fault_do_<kind>, that loads known values into the
 * registers and faults on the very next instruction. The value scheme and the
 * operand registers are documented in cd_fault_inject.c. Written in v6-M
 * instructions except where a kind needs Thumb-2 (DIV0).
 *
 * Each function carries call frame information (.debug_frame, like the C code
 * built with -g), so GDB's `bt` on a dump (`crashdump gdbserver`) and
 * `crashdump decode` unwind from the faulting instruction through the caller
 * chain to main: the return address stays in LR except where a body pushes it
 * (STACK_OVERFLOW), and every SP adjustment is described. r4-r11 are
 * callee-saved but overwritten with the pattern and never restored, so the
 * CFI marks them undefined: a debugger shows them as not saved in the callers
 * instead of showing the pattern as the callers' values.
 */
#include "cd_fault_priv.h"

/* CD_FAULT_* of cd_format.h (a C header); cd_fault_inject.c asserts they match. */
#define CD_FAULT_BAD_READ 1
#define CD_FAULT_BAD_WRITE 2
#define CD_FAULT_UNDEF 3
#define CD_FAULT_DIV0 4
#define CD_FAULT_UNALIGNED 5
#define CD_FAULT_BAD_BRANCH 6
#define CD_FAULT_STACK_OVERFLOW 7
#define CD_FAULT_BUGCHECK 8
#define CD_FAULT_NMI 9
#define CD_FAULT_TRIAGE_UNMAPPED 10
#define CD_FAULT_WATCHDOG 11
#define CD_FAULT_NESTED 12

    .syntax unified
    .thumb
    .cfi_sections .debug_frame

/* r\first..r12 = CD_FAULT_PAT(n, kind); r8-r12 go through r1. */
.macro CD_PATTERNS kind, first
#if defined(__ARM_FP)
    /* With an FPU: s0-s31 and FPSCR patterned too, which also makes the FPU
     * state live (CONTROL.FPCA), so the fault stacks an extended frame. */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ldr r1, =CD_FAULT_FPAT(\n, \kind)
    vmov s\n, r1
    .endr
    ldr r1, =CD_FAULT_FPSCR(\kind)
    vmsr fpscr, r1
#endif
    ldr r1, =CD_FAULT_PAT(8, \kind)
    mov r8, r1
    ldr r1, =CD_FAULT_PAT(9, \kind)
    mov r9, r1
    ldr r1, =CD_FAULT_PAT(10, \kind)
    mov r10, r1
    ldr r1, =CD_FAULT_PAT(11, \kind)
    mov r11, r1
    ldr r1, =CD_FAULT_PAT(12, \kind)
    mov r12, r1
    ldr r7, =CD_FAULT_PAT(7, \kind)
    ldr r6, =CD_FAULT_PAT(6, \kind)
    ldr r5, =CD_FAULT_PAT(5, \kind)
    ldr r4, =CD_FAULT_PAT(4, \kind)
    .if \first <= 3
    ldr r3, =CD_FAULT_PAT(3, \kind)
    .endif
    .if \first <= 2
    ldr r2, =CD_FAULT_PAT(2, \kind)
    .endif
    .if \first <= 1
    ldr r1, =CD_FAULT_PAT(1, \kind)
    .endif
    .if \first <= 0
    ldr r0, =CD_FAULT_PAT(0, \kind)
    .endif
.endm

.macro CD_FUNC name
    .section .text.\name, "ax", %progbits
    .balign 4
    .global \name
    .type \name, %function
    .thumb_func
\name:
    .cfi_startproc
    .irp r, r4,r5,r6,r7,r8,r9,r10,r11
    .cfi_undefined \r
    .endr
.endm

.macro CD_END name
    b .
    .cfi_endproc
    .ltorg
    .size \name, . - \name
.endm

/* r0 = CD_FAULT_BAD_ADDR; precise bus fault on the load. */
CD_FUNC cd_fault_do_bad_read
    CD_PATTERNS CD_FAULT_BAD_READ, 1
    ldr r0, =CD_FAULT_BAD_ADDR
    ldr r0, [r0]
CD_END cd_fault_do_bad_read

/* r0 = CD_FAULT_BAD_ADDR; bus fault on the store (imprecise on hardware:
 * the stacked PC may then be a few instructions later, here the `b .`). */
CD_FUNC cd_fault_do_bad_write
    CD_PATTERNS CD_FAULT_BAD_WRITE, 1
    ldr r0, =CD_FAULT_BAD_ADDR
    str r0, [r0]
CD_END cd_fault_do_bad_write

/* All of r0-r12 patterned; permanently undefined encoding. */
CD_FUNC cd_fault_do_undef
    CD_PATTERNS CD_FAULT_UNDEF, 0
    udf #0
CD_END cd_fault_do_undef

#if defined(CD_CM_MAINLINE)
/* r0 = 0, the divisor (CCR.DIV_0_TRP set by the caller). */
CD_FUNC cd_fault_do_div0
    CD_PATTERNS CD_FAULT_DIV0, 1
    mov r0, #0
    sdiv r0, r1, r0
CD_END cd_fault_do_div0
#endif

/* r0 = address of cd_fault_word + 1 (CCR.UNALIGN_TRP set by the caller on
 * Mainline; v6-M and v8-M Baseline always fault on an unaligned word load). */
CD_FUNC cd_fault_do_unaligned
    CD_PATTERNS CD_FAULT_UNALIGNED, 1
    ldr r0, =cd_fault_word + 1
    ldr r0, [r0]
CD_END cd_fault_do_unaligned

/* r0 = this function's own address with bit 0 clear: the BX clears EPSR.T and
 * the next fetch, at the start of this function, faults (INVSTATE UsageFault;
 * HardFault on v6-M). So the stacked PC is the function's first instruction
 * and LR is still the return address into cd_fault_inject(). */
CD_FUNC cd_fault_do_bad_branch
.Lbad_branch_target:
    CD_PATTERNS CD_FAULT_BAD_BRANCH, 1
    ldr r0, =.Lbad_branch_target
    bx r0
CD_END cd_fault_do_bad_branch

/* Real recursion, 36 bytes per level, until a push runs off the stack region
 * (bus fault when the stack lies at the bottom of RAM; STKOF on v8-M with
 * MSPLIM). All of r0-r12 patterned at every level. */
CD_FUNC cd_fault_do_stack_overflow
    CD_PATTERNS CD_FAULT_STACK_OVERFLOW, 0
    push {r0-r7, lr}
    .cfi_adjust_cfa_offset 36
    .cfi_offset r4, -20
    .cfi_offset r5, -16
    .cfi_offset r6, -12
    .cfi_offset r7, -8
    .cfi_offset lr, -4
    bl cd_fault_do_stack_overflow
CD_END cd_fault_do_stack_overflow

/* cd_bugcheck(CD_FAULT_BUG_CODE(kind), P1, P2, P3, P4): r0-r3 and [sp] are
 * the arguments, r4-r12 patterned. */
.macro CD_BUGCHECK_BODY kind
    push {r0, lr}           /* the return address, for unwinding past us */
    .cfi_adjust_cfa_offset 8
    .cfi_offset lr, -4
    CD_PATTERNS \kind, 4
    sub sp, #8
    .cfi_adjust_cfa_offset 8
    ldr r0, =CD_FAULT_BUG_P4
    str r0, [sp]
    ldr r3, =CD_FAULT_BUG_P3
    ldr r2, =CD_FAULT_BUG_P2
    ldr r1, =CD_FAULT_BUG_P1
    ldr r0, =CD_FAULT_BUG_CODE(\kind)
    bl cd_bugcheck
.endm

CD_FUNC cd_fault_do_bugcheck
    CD_BUGCHECK_BODY CD_FAULT_BUGCHECK
CD_END cd_fault_do_bugcheck

CD_FUNC cd_fault_do_triage_unmapped
    CD_BUGCHECK_BODY CD_FAULT_TRIAGE_UNMAPPED
CD_END cd_fault_do_triage_unmapped

CD_FUNC cd_fault_do_nested
    CD_BUGCHECK_BODY CD_FAULT_NESTED
CD_END cd_fault_do_nested

/* void cd_fault_do_<nmi|watchdog>(volatile uint32_t *reg, uint32_t value):
 * r0 = reg, r1 = value (the pend register and bit), r2-r12 patterned; the
 * exception is taken right after the store and its barriers, so the stacked
 * PC is at or just after the `dsb`/`isb`, before the `b .`. */
.macro CD_PEND_BODY kind
    push {r0, r1}
    .cfi_adjust_cfa_offset 8
    CD_PATTERNS \kind, 2
    pop {r0, r1}
    .cfi_adjust_cfa_offset -8
    cpsie i
    str r1, [r0]
    dsb
    isb
.endm

CD_FUNC cd_fault_do_nmi
    CD_PEND_BODY CD_FAULT_NMI
CD_END cd_fault_do_nmi

CD_FUNC cd_fault_do_watchdog
    CD_PEND_BODY CD_FAULT_WATCHDOG
CD_END cd_fault_do_watchdog

    .section .bss.cd_fault_word, "aw", %nobits
    .balign 4
cd_fault_word:
    .space 8
