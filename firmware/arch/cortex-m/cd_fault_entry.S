/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cortex-M fault entry: HardFault/NMI (and MemManage/BusFault/UsageFault/
 * SecureFault on Mainline) handlers, cd_bugcheck() and cd_watchdog_warning().
 *
 * Every path does the same in assembly, then calls cd_fault_entry_c():
 *   1. read MSP, PSP, PRIMASK (and MSPLIM on v8-M) before touching them; cpsid i;
 *   2. switch SP to the library's fault stack (cd_fault_stack). A nested entry
 *      whose MSP already lies inside the fault stack keeps it, so the outer
 *      handler's frames and the nested exception frame below them survive.
 *      On v8-M, MSPLIM is cleared before the switch and set to the bottom of
 *      the fault stack after it, so neither the switch nor an old limit trips;
 *   3. push r4-r11 (never touched before this point), then the special
 *      registers (cd_fault_save_t, cd_fault_priv.h) and call C with its address.
 * cd_bugcheck() (and cd_watchdog_warning() called as a function) masks
 * interrupts first of all, keeping the caller's PRIMASK for the dump, so no
 * other thread or handler runs between the assert and the capture.
 * The faulting SP is never dereferenced here: C validates it first.
 *
 * The Thumb-1 variant (v6-M, v8-M Baseline) uses only v6-M instructions;
 * building for -mcpu=cortex-m0 makes the assembler enforce that.
 */
#include "cd_fault_priv.h"

    .syntax unified
    .thumb
    .cfi_sections .debug_frame

/* ------------------------------------------------------------------ data */

    .section .bss.cd_fault_stack, "aw", %nobits
    .balign 8
    .global cd_fault_stack
cd_fault_stack:
    .space CD_FAULT_STACK_BYTES
cd_fault_stack_top:
    .size cd_fault_stack, CD_FAULT_STACK_BYTES

    .section .bss.cd_fault_bug_frame, "aw", %nobits
    .balign 4
    .global cd_fault_bug_frame
cd_fault_bug_frame:
    .space 4
    .size cd_fault_bug_frame, 4

/* The caller's PRIMASK, kept by the bugcheck head, which masks interrupts
 * before anything else so that no other thread or handler runs between the
 * assert and the capture. */
    .section .bss.cd_fault_bug_primask, "aw", %nobits
    .balign 4
cd_fault_bug_primask:
    .space 4
    .size cd_fault_bug_primask, 4

#if (CD_FAULT_STACK_BYTES % 8) != 0
#error "CD_FAULT_STACK_BYTES must be a multiple of 8"
#endif

/* ------------------------------------------------------------------ entry */

#if !defined(CD_CM_THUMB1)

/* Each entry reads PRIMASK (before the shared body's cpsid), puts its reason
 * above it (bits 8 and up: PRIMASK is bit 0) and jumps to the one copy of the
 * body, cd_fault_entry_common. Scratch: r0-r3, r12. */
.macro CD_ENTRY reason
    mrs r2, primask
    .if \reason
    orr r2, r2, #(\reason << 8)
    .endif
    b.w cd_fault_entry_common
.endm

/* Thumb-2. In: LR = EXC_RETURN (0 on the bugcheck path), r2 = PRIMASK | reason << 8. */
.macro CD_ENTRY_BODY
    mrs r0, msp
    mrs r1, psp
    cpsid i
#if defined(CD_CM_V8M)
    mrs r3, msplim
    mov r12, #0
    msr msplim, r12
#else
    mov r3, #0
#endif
    ldr r12, =cd_fault_stack
    cmp r0, r12
    blo 2f
    ldr r12, =cd_fault_stack_top
    cmp r0, r12
    bhi 2f
    bic r12, r0, #7             /* nested: stay below the outer handler */
    b 3f
2:  ldr r12, =cd_fault_stack_top
3:  mov sp, r12
#if defined(CD_CM_V8M)
    ldr r12, =cd_fault_stack
    msr msplim, r12
#endif
    push {r4-r11}
    mrs r4, control
    mov r5, lr
    lsr r6, r2, #8
    and r2, r2, #1
    mov r7, #0
    push {r0-r7}
    mov r0, sp
    bl cd_fault_entry_c
    b .
.endm

/* Thumb-2. Builds the bugcheck block (cd_fault_bug_block_t) below the caller's
 * SP with r0-r3, r12, LR as they are now, PC = \self, xPSR with T set; records
 * it in cd_fault_bug_frame, makes SP the MSP (Thread mode may run on PSP) and
 * sets LR = 0 for CD_ENTRY. Must be privileged. The head saves the caller's
 * registers and loads r1 = \self, r2 = \reason without touching the flags;
 * CD_BUG_TAIL (one copy, in cd_bugcheck) does the rest. */
.macro CD_BUG_HEAD self, reason
    sub sp, #8
    push {r0-r3, r12, lr}
    mrs r3, primask
    cpsid i
    ldr r1, =cd_fault_bug_primask
    str r3, [r1]
    ldr r1, =\self
    mov r2, #\reason
.endm

/* The bugcheck path's entry: the caller's PRIMASK, kept by the head. */
.macro CD_BUG_ENTRY
    ldr r2, =cd_fault_bug_primask
    ldr r2, [r2]
    b.w cd_fault_entry_common
.endm

.macro CD_BUG_TAIL
    mrs r0, xpsr
    orr r0, r0, #0x01000000
    bic r1, r1, #1
    strd r1, r0, [sp, #24]
    mrs r0, control
    push {r0, r2}
    add r0, sp, #8
    ldr r1, =cd_fault_bug_frame
    str r0, [r1]
    mrs r0, control
    bic r0, r0, #2
    msr control, r0
    isb
    mov lr, #0
.endm

/* From another section to the tail. */
.macro CD_BUG_TO_TAIL
    b.w cd_fault_bug_tail
.endm

#else /* CD_CM_THUMB1 */

/* Thumb-1 (v6-M instructions only). Same contract as above. A B cannot reach
 * another section from Thumb-1 code, hence the BX. */
.macro CD_ENTRY reason
    mrs r2, primask
    .if \reason
    movs r3, #\reason
    lsls r3, r3, #8
    orrs r2, r3
    .endif
    ldr r3, =cd_fault_entry_common
    bx r3
.endm

.macro CD_ENTRY_BODY
    mrs r0, msp
    mrs r1, psp
    cpsid i
#if defined(CD_CM_V8M)
    mrs r3, msplim
    mov r12, r3
    movs r3, #0
    msr msplim, r3
#endif
    ldr r3, =cd_fault_stack
    cmp r0, r3
    blo 2f
    ldr r3, =cd_fault_stack_top
    cmp r0, r3
    bhi 2f
    lsrs r3, r0, #3             /* nested: stay below the outer handler */
    lsls r3, r3, #3
    b 3f
2:  ldr r3, =cd_fault_stack_top
3:  mov sp, r3
#if defined(CD_CM_V8M)
    ldr r3, =cd_fault_stack
    msr msplim, r3
    mov r3, r12
#else
    movs r3, #0
#endif
    push {r4-r7}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}
    mrs r4, control
    mov r5, lr
    lsrs r6, r2, #8
    movs r7, #1
    ands r2, r7
    movs r7, #0
    push {r0-r7}
    mov r0, sp
    bl cd_fault_entry_c
    b .
.endm

/* Thumb-1: the head also reads xPSR into r0 (before the first flag-setting
 * instruction); the tail stores r12 and LR, which the head leaves alone. */
.macro CD_BUG_HEAD self, reason
    sub sp, #16
    push {r0-r3}
    mrs r0, xpsr
    mrs r3, primask
    cpsid i
    ldr r1, =cd_fault_bug_primask
    str r3, [r1]
    ldr r1, =\self
    movs r2, #\reason
.endm

.macro CD_BUG_ENTRY
    ldr r2, =cd_fault_bug_primask
    ldr r2, [r2]
    ldr r3, =cd_fault_entry_common
    bx r3
.endm

.macro CD_BUG_TAIL
    movs r3, #1
    lsls r3, r3, #24
    orrs r0, r3
    str r0, [sp, #28]
    movs r3, #1
    bics r1, r3
    str r1, [sp, #24]
    mov r0, r12
    str r0, [sp, #16]
    mov r0, lr
    str r0, [sp, #20]
    mrs r0, control
    push {r0, r2}
    add r0, sp, #8
    ldr r1, =cd_fault_bug_frame
    str r0, [r1]
    mrs r0, control
    movs r1, #2
    bics r0, r1
    msr control, r0
    isb
    movs r0, #0
    mov lr, r0
.endm

.macro CD_BUG_TO_TAIL
    ldr r3, =cd_fault_bug_tail
    bx r3
.endm

#endif /* CD_CM_THUMB1 */

/* ------------------------------------------------------------------ common body */

/* Steps 1-3 above for every entry (CD_ENTRY jumps here). */
    .section .text.cd_fault_entry_common, "ax", %progbits
    .balign 4
    .type cd_fault_entry_common, %function
    .thumb_func
cd_fault_entry_common:
    CD_ENTRY_BODY
    .ltorg
    .size cd_fault_entry_common, . - cd_fault_entry_common

/* ------------------------------------------------------------------ handlers */

    .section .text.cd_fault_handler, "ax", %progbits
    .balign 4
    .global HardFault_Handler
    .global NMI_Handler
    .type HardFault_Handler, %function
    .type NMI_Handler, %function
    .thumb_func
HardFault_Handler:
    .thumb_func
NMI_Handler:
#if defined(CD_CM_MAINLINE)
    .global MemManage_Handler
    .global BusFault_Handler
    .global UsageFault_Handler
    .type MemManage_Handler, %function
    .type BusFault_Handler, %function
    .type UsageFault_Handler, %function
    .thumb_func
MemManage_Handler:
    .thumb_func
BusFault_Handler:
    .thumb_func
UsageFault_Handler:
#if defined(__ARM_ARCH_8M_MAIN__)
    .global SecureFault_Handler
    .type SecureFault_Handler, %function
    .thumb_func
SecureFault_Handler:
#endif
#endif
    CD_ENTRY CD_ENTRY_FAULT
    .ltorg
    .size HardFault_Handler, . - HardFault_Handler

/* ------------------------------------------------------------------ bugcheck */

    .section .text.cd_bugcheck, "ax", %progbits
    .balign 4
    .global cd_bugcheck
    .type cd_bugcheck, %function
    .thumb_func
cd_bugcheck:
    /* A bugcheck dump's PC is cd_bugcheck itself (the prelude stacks it as
     * the frame's PC, with the caller's LR): only this entry row is ever
     * unwound from, so a debugger walks from here into the caller. Past the
     * first instruction the frame is the fault path's own: not unwindable. */
    .cfi_startproc
    CD_BUG_HEAD cd_bugcheck, CD_ENTRY_BUGCHECK
    .cfi_undefined lr
    .type cd_fault_bug_tail, %function
    .thumb_func
cd_fault_bug_tail:
    CD_BUG_TAIL
    CD_BUG_ENTRY
    .ltorg
    .cfi_endproc
    .size cd_bugcheck, . - cd_bugcheck

/* ------------------------------------------------------------------ watchdog */

/* Installed directly as the watchdog interrupt's vector, or reached from its
 * ISR as the very first thing (tail call, `b cd_watchdog_warning`, with LR
 * still holding EXC_RETURN and SP at the exception frame): then the dump shows
 * the interrupted context. Called any other way (LR is not an EXC_RETURN), it
 * falls back to the bugcheck capture of its caller (PC = cd_watchdog_warning,
 * APSR flags and, on Thumb-1, r0 lost to the test). */
    .section .text.cd_watchdog_warning, "ax", %progbits
    .balign 4
    .global cd_watchdog_warning
    .type cd_watchdog_warning, %function
    .thumb_func
cd_watchdog_warning:
#if !defined(CD_CM_THUMB1)
    cmp lr, #0xF0000000
    bhs 1f
#else
    mov r0, lr
    lsrs r0, r0, #28
    cmp r0, #15
    beq 1f
#endif
    CD_BUG_HEAD cd_watchdog_warning, CD_ENTRY_WATCHDOG
    CD_BUG_TO_TAIL
1:
    CD_ENTRY CD_ENTRY_WATCHDOG
    .ltorg
    .size cd_watchdog_warning, . - cd_watchdog_warning

/* With CD_WATCHDOG_IRQ (config header; a plain decimal number), that
 * interrupt's handler in crashdump::startup's vector table is
 * cd_watchdog_warning itself: IRQ<n>_Handler is defined here as an alias,
 * replacing the weak default. */
#if defined(CD_WATCHDOG_IRQ)
#define CD_WDT_VECTOR_(n) IRQ##n##_Handler
#define CD_WDT_VECTOR(n) CD_WDT_VECTOR_(n)
    .global CD_WDT_VECTOR(CD_WATCHDOG_IRQ)
    .thumb_set CD_WDT_VECTOR(CD_WATCHDOG_IRQ), cd_watchdog_warning
#endif
