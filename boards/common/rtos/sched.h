/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal preemptive round-robin scheduler: a TEST FIXTURE for crashdump's
 * thread support, not a product. It switches threads the way FreeRTOS's
 * Cortex-M ports do (PendSV on the process stack, the same saved-context
 * layout: r4-r11 and EXC_RETURN, below them s16-s31 when the thread's FP
 * context is active, below the hardware frame), so what crashdump captures
 * from it is what it captures from FreeRTOS. ARMv6-M, ARMv7-M and ARMv8-M
 * Mainline.
 *
 * Like FreeRTOS's configCHECK_FOR_STACK_OVERFLOW 2, a switch checks the
 * outgoing thread's stack (its saved SP, and a pattern in its lowest
 * SCHED_STACK_CANARY bytes) and calls the stack-overflow hook, which is
 * FreeRTOS adapter's: cd_bugcheck(CD_BUGCHECK_STACK_OVERFLOW, thread, name).
 *
 * Threads register with crashdump (cd_thread_add()) when created, and the
 * switch tells it which one runs (cd_thread_switch()), which also moves the
 * stack guard.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_STACK_CANARY 16u /* bytes of pattern at the bottom of each stack */

typedef struct sched_thread {
    volatile uint32_t sp;        /* saved SP while switched out: first, as in a FreeRTOS TCB */
    const char *name;
    uint32_t wake;               /* tick to wake at, when sleeping */
    uint8_t *stack;
    size_t stack_size;
    struct sched_thread *next;
} sched_thread_t;

/* Thread, before sched_start(): a thread running fn(arg) on stack[0..size)
 * (8-byte aligned, at least 256 bytes). */
void sched_create(sched_thread_t *t, const char *name, void (*fn)(void *), void *arg,
                  uint8_t *stack, size_t size);

/* Thread, from main(): starts SysTick at tick_hz and runs idle_fn as the idle
 * thread on idle_stack (thread mode, PSP); the other threads run from the
 * first tick. Does not return. */
__attribute__((noreturn)) void sched_start(sched_thread_t *idle, uint8_t *idle_stack,
                                           size_t idle_size, uint32_t cpu_hz, uint32_t tick_hz,
                                           void (*idle_fn)(void));

/* Thread: gives up the CPU until `ticks` SysTicks have passed (0: yield). */
void sched_sleep(uint32_t ticks);

/* Any: ticks since sched_start(). */
uint32_t sched_ticks(void);

#endif /* SCHED_H */
