/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler fixture's context switch (sched.h), ARMv7-M and ARMv8-M
 * Mainline. Saved context on the outgoing thread's stack, from its saved SP
 * upward: r4-r11, EXC_RETURN, then s16-s31 if EXC_RETURN.FType is 0 (the
 * thread's FP context is active), then the hardware frame. FreeRTOS's
 * ARM_CM4F/ARM_CM7 ports save the same (docs/dump-format.md, "Threads").
 */
    .syntax unified
    .thumb

    .section .text.PendSV_Handler, "ax", %progbits
    .global PendSV_Handler
    .type PendSV_Handler, %function
    .thumb_func
PendSV_Handler:
#if defined(__ARM_ARCH_6M__)
    /* Thumb-1: no stmdb, and ldm/stm reach r0-r7 only; the same layout. */
    cpsid i
    mrs r0, psp
    subs r0, #36
    mov r1, r0
    stmia r1!, {r4-r7}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    stmia r1!, {r4-r7}
    mov r4, lr
    str r4, [r1]
    ldr r1, =sched_current
    ldr r1, [r1]
    str r0, [r1]                /* sched_current->sp */
    bl sched_pick               /* r0 = the next thread */
    ldr r0, [r0]                /* its saved SP */
    mov r1, r0
    adds r1, #16
    ldmia r1!, {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    ldmia r1!, {r2}
    mov lr, r2
    msr psp, r1
    ldmia r0!, {r4-r7}
    cpsie i
    bx lr
#else
    cpsid i
    mrs r0, psp
#if defined(__ARM_FP)
    tst lr, #0x10
    it eq
    vstmdbeq r0!, {s16-s31}
#endif
    stmdb r0!, {r4-r11, lr}
    ldr r1, =sched_current
    ldr r1, [r1]
    str r0, [r1]                /* sched_current->sp */
    bl sched_pick               /* r0 = the next thread */
    ldr r0, [r0]                /* its saved SP */
    ldmia r0!, {r4-r11, lr}
#if defined(__ARM_FP)
    tst lr, #0x10
    it eq
    vldmiaeq r0!, {s16-s31}
#endif
    msr psp, r0
    cpsie i
    bx lr
#endif
    .ltorg
    .size PendSV_Handler, . - PendSV_Handler
