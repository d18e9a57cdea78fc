/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler fixture's C half (sched.h); the switch itself is sched_switch.S. */
#include "sched.h"

#include "cm_regs.h"
#include "crashdump/crashdump.h"

#define XPSR_THUMB 0x01000000u
#define CANARY 0xA5u
#define EXC_RETURN_THREAD_PSP 0xFFFFFFFDu /* thread mode, PSP, basic frame (Secure on v8-M) */

sched_thread_t *sched_current;
static sched_thread_t *s_first; /* the created threads */
static sched_thread_t *s_idle;
static volatile uint32_t s_ticks;

void sched_create(sched_thread_t *t, const char *name, void (*fn)(void *), void *arg,
                  uint8_t *stack, size_t size)
{
    uint32_t *sp = (uint32_t *)(void *)(stack + size);

    /* Hardware frame, then the saved context sched_switch.S pops. */
    *--sp = XPSR_THUMB;
    *--sp = (uint32_t)(uintptr_t)fn;          /* pc */
    *--sp = 0u;                               /* lr: nothing to return to (debuggers stop) */
    *--sp = 0x12121212u;                      /* r12 */
    *--sp = 0x03030303u;
    *--sp = 0x02020202u;
    *--sp = 0x01010101u;
    *--sp = (uint32_t)(uintptr_t)arg;         /* r0 */
    *--sp = EXC_RETURN_THREAD_PSP;
    for (uint32_t r = 11; r >= 4; r--) {
        *--sp = r * 0x01010101u;
    }
    for (uint32_t i = 0; i < SCHED_STACK_CANARY; i++) {
        stack[i] = CANARY;
    }
    t->sp = (uint32_t)(uintptr_t)sp;
    t->name = name;
    t->stack = stack;
    t->stack_size = size;
    t->wake = 0;
    t->next = s_first;
    s_first = t;
    (void)cd_thread_add((uint32_t)(uintptr_t)t, name, (uintptr_t)stack, (uintptr_t)(stack + size),
                        &t->sp);
}

/* PendSV, interrupts masked (sched_switch.S): the next thread after the
 * current one, round robin, whose sleep is over; the idle thread when none
 * is. Tells crashdump, which moves the stack guard. */
/* The FreeRTOS adapter's hook (firmware/rtos/freertos): a bugcheck. */
void vApplicationStackOverflowHook(void *task, char *name);

static void check_stack(const sched_thread_t *t)
{
    int bad = t->sp < (uint32_t)(uintptr_t)t->stack + SCHED_STACK_CANARY;
    for (uint32_t i = 0; i < SCHED_STACK_CANARY && t != s_idle; i++) {
        bad |= t->stack[i] != CANARY;
    }
    if (bad) {
        vApplicationStackOverflowHook((void *)(uintptr_t)t, (char *)(uintptr_t)t->name);
    }
}

sched_thread_t *sched_pick(void)
{
    sched_thread_t *t = sched_current;
    check_stack(t);
    sched_thread_t *pick = s_idle;
    for (sched_thread_t *n = s_first; n != NULL; n = n->next) {
        t = t->next != NULL ? t->next : s_first;
        if ((int32_t)(s_ticks - t->wake) >= 0) {
            pick = t;
            break;
        }
    }
    sched_current = pick;
    cd_thread_switch((uint32_t)(uintptr_t)pick);
    return pick;
}

void SysTick_Handler(void)
{
    s_ticks++;
    CM_SCB->ICSR = CM_ICSR_PENDSVSET;
}

uint32_t sched_ticks(void)
{
    return s_ticks;
}

void sched_sleep(uint32_t ticks)
{
    sched_current->wake = s_ticks + ticks;
    CM_SCB->ICSR = CM_ICSR_PENDSVSET;
    cm_dsb();
    cm_isb();
}

void sched_start(sched_thread_t *idle, uint8_t *idle_stack, size_t idle_size, uint32_t cpu_hz,
                 uint32_t tick_hz, void (*idle_fn)(void))
{
    idle->name = "idle";
    idle->stack = idle_stack;
    idle->stack_size = idle_size;
    idle->wake = 0;
    idle->next = NULL;
    s_idle = idle;
    sched_current = idle;
    (void)cd_thread_add((uint32_t)(uintptr_t)idle, "idle", (uintptr_t)idle_stack,
                        (uintptr_t)(idle_stack + idle_size), &idle->sp);
    cd_thread_switch((uint32_t)(uintptr_t)idle);

    /* PendSV and SysTick at the lowest priority, as FreeRTOS sets them. */
#if defined(__ARM_ARCH_6M__)
    /* ARMv6-M: SHPR3 is word-accessible only. */
    *(volatile uint32_t *)(void *)&CM_SCB->SHPR[8] |= 0xFFFF0000u;
#else
    CM_SCB->SHPR[14 - 4] = 0xFFu;
    CM_SCB->SHPR[15 - 4] = 0xFFu;
#endif
    (void)cm_systick_start(cpu_hz / tick_hz);
    /* idle_fn runs on the idle stack, in thread mode on PSP; main()'s frame
     * stays behind on the main stack, which the handlers use from now on. */
    __asm volatile("msr psp, %0\n\t"
                   "mrs r1, control\n\t"
#if defined(__ARM_ARCH_6M__) /* GCC's inline assembly is in divided syntax here */
                   "mov r2, #2\n\t"
                   "orr r1, r2\n\t"
                   "msr control, r1\n\t"
                   "isb\n\t"
                   "mov r2, #0\n\t" /* idle_fn never returns: a debugger stops there */
#else
                   "movs r2, #2\n\t"
                   "orrs r1, r2\n\t"
                   "msr control, r1\n\t"
                   "isb\n\t"
                   "movs r2, #0\n\t"
#endif
                   "mov lr, r2\n\t"
                   "bx %1" ::"l"((uint32_t)(uintptr_t)(idle_stack + idle_size)),
                   "l"(idle_fn)
                   : "r1", "r2", "cc", "memory");
    for (;;) {
    }
}
