/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads: the RTOS-neutral table a crash dump lists threads from
 * (crashdump.h, "threads"). An RTOS adapter (firmware/rtos/) or a scheduler
 * calls cd_thread_add()/cd_thread_remove() from its task create and delete
 * hooks and cd_thread_switch() from its context switch. The table lives in
 * .bss (CD_THREAD_MAX entries, config header): it describes this boot's
 * threads only, and is read by the fault path with interrupts masked.
 */
#include <stddef.h>
#include <stdint.h>

#include "cd_arch.h"
#include "cd_crash.h"
#include "cd_internal.h"

#if CD_THREAD_MAX > 0

static cd_thread_t s_threads[CD_THREAD_MAX];
static volatile uint32_t s_current; /* id of the running thread, 0 = none */

static cd_thread_t *find(uint32_t id)
{
    for (uint32_t i = 0; i < CD_THREAD_MAX; i++) {
        if (s_threads[i].id == id) {
            return &s_threads[i];
        }
    }
    return NULL;
}

int cd_thread_add(uint32_t id, const char *name, uintptr_t stack_lo, uintptr_t stack_hi,
                  const volatile uint32_t *sp_slot)
{
    if (id == 0u || stack_lo >= stack_hi || sp_slot == NULL) {
        return CD_E_INVAL;
    }
    uint32_t key = cd_arch_irq_lock();
    cd_thread_t *t = find(id);
    if (t == NULL) {
        t = find(0u);
    }
    int rc = CD_E_NOSPACE;
    if (t != NULL) {
        t->name = name;
        t->stack_lo = stack_lo;
        t->stack_hi = stack_hi;
        t->sp_slot = sp_slot;
        t->id = id; /* last: the fault path keys on it */
        rc = CD_OK;
    }
    cd_arch_irq_unlock(key);
    return rc;
}

int cd_thread_remove(uint32_t id)
{
    if (id == 0u) {
        return CD_E_INVAL;
    }
    uint32_t key = cd_arch_irq_lock();
    cd_thread_t *t = find(id);
    if (t != NULL) {
        t->id = 0u;
        if (s_current == id) {
            s_current = 0u;
        }
    }
    cd_arch_irq_unlock(key);
    return t != NULL ? CD_OK : CD_E_NOT_FOUND;
}

void cd_thread_switch(uint32_t id)
{
    s_current = id;
    const cd_thread_t *t = id != 0u ? find(id) : NULL;
    cd_arch_thread_guard(t != NULL ? t->stack_lo : 0u);
}

uint32_t cd_thread_current(void)
{
    return s_current;
}

int cd_thread_stack_holds(uintptr_t addr, uint32_t len)
{
    const cd_thread_t *t = s_current != 0u ? find(s_current) : NULL;
    return t == NULL || (addr >= t->stack_lo && addr <= t->stack_hi && len <= t->stack_hi - addr);
}

const cd_thread_t *cd_thread_at(uint32_t index, uint32_t *total)
{
    uint32_t n = 0;
    const cd_thread_t *found = NULL;
    for (uint32_t i = 0; i < CD_THREAD_MAX; i++) {
        if (s_threads[i].id != 0u) {
            if (n == index) {
                found = &s_threads[i];
            }
            n++;
        }
    }
    if (total != NULL) {
        *total = n;
    }
    return found;
}

#else /* CD_THREAD_MAX == 0: no thread table, every call says so */

int cd_thread_add(uint32_t id, const char *name, uintptr_t stack_lo, uintptr_t stack_hi,
                  const volatile uint32_t *sp_slot)
{
    (void)id;
    (void)name;
    (void)stack_lo;
    (void)stack_hi;
    (void)sp_slot;
    return CD_E_NOSPACE;
}

int cd_thread_remove(uint32_t id)
{
    (void)id;
    return CD_E_NOT_FOUND;
}

void cd_thread_switch(uint32_t id)
{
    (void)id;
}

uint32_t cd_thread_current(void)
{
    return 0u;
}

int cd_thread_stack_holds(uintptr_t addr, uint32_t len)
{
    (void)addr;
    (void)len;
    return 1;
}

const cd_thread_t *cd_thread_at(uint32_t index, uint32_t *total)
{
    (void)index;
    if (total != NULL) {
        *total = 0u;
    }
    return NULL;
}

#endif
