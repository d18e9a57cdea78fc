/* SPDX-License-Identifier: Apache-2.0 */
/* The thread table (cd_thread.c): registration, update, removal, the current
 * thread, a full table, bad arguments, and enumeration in slot order. */
#include <stdint.h>

#include "cd_internal.h"
#include "unit.h"

static uint32_t sp_a, sp_b;
static uint8_t stack_a[256], stack_b[128];

static void reset(void)
{
    const cd_thread_t *t;
    while ((t = cd_thread_at(0, NULL)) != NULL) {
        (void)cd_thread_remove(t->id);
    }
    cd_thread_switch(0);
}

TEST(add_find_remove)
{
    uint32_t total = 99;
    reset();
    CHECK_EQ(cd_thread_at(0, &total) == NULL, 1);
    CHECK_EQ(total, 0);
    CHECK_EQ(cd_thread_add(0x100, "a", (uintptr_t)stack_a, (uintptr_t)(stack_a + 256), &sp_a), CD_OK);
    CHECK_EQ(cd_thread_add(0x200, "b", (uintptr_t)stack_b, (uintptr_t)(stack_b + 128), &sp_b), CD_OK);
    const cd_thread_t *t = cd_thread_at(1, &total);
    CHECK_EQ(total, 2);
    CHECK_EQ(t->id, 0x200);
    CHECK_EQ(t->stack_hi - t->stack_lo, 128);
    CHECK_EQ(t->sp_slot == &sp_b, 1);
    /* Same id again: an update in place, not a second entry. */
    CHECK_EQ(cd_thread_add(0x100, "a2", (uintptr_t)stack_a, (uintptr_t)(stack_a + 128), &sp_a), CD_OK);
    CHECK_EQ(cd_thread_at(0, &total)->stack_hi - cd_thread_at(0, NULL)->stack_lo, 128);
    CHECK_EQ(total, 2);
    CHECK_EQ(cd_thread_remove(0x100), CD_OK);
    CHECK_EQ(cd_thread_remove(0x100), CD_E_NOT_FOUND);
    CHECK_EQ(cd_thread_at(0, &total)->id, 0x200);
    CHECK_EQ(total, 1);
}

TEST(bad_arguments)
{
    reset();
    CHECK_EQ(cd_thread_add(0, "z", 16, 32, &sp_a), CD_E_INVAL);
    CHECK_EQ(cd_thread_add(1, "z", 32, 32, &sp_a), CD_E_INVAL);
    CHECK_EQ(cd_thread_add(1, "z", 16, 32, NULL), CD_E_INVAL);
    CHECK_EQ(cd_thread_remove(0), CD_E_INVAL);
    CHECK_EQ(cd_thread_at(0, NULL) == NULL, 1);
}

TEST(full_table)
{
    reset();
    for (uint32_t i = 1; i <= CD_THREAD_MAX; i++) {
        CHECK_EQ(cd_thread_add(i, "t", 16, 32, &sp_a), CD_OK);
    }
    CHECK_EQ(cd_thread_add(CD_THREAD_MAX + 1, "t", 16, 32, &sp_a), CD_E_NOSPACE);
    /* A freed entry is reused. */
    CHECK_EQ(cd_thread_remove(2), CD_OK);
    CHECK_EQ(cd_thread_add(CD_THREAD_MAX + 1, "t", 16, 32, &sp_a), CD_OK);
}

TEST(current_thread)
{
    reset();
    CHECK_EQ(cd_thread_add(7, "x", 16, 32, &sp_a), CD_OK);
    CHECK_EQ(cd_thread_current(), 0);
    cd_thread_switch(7);
    CHECK_EQ(cd_thread_current(), 7);
    /* Removing the running thread (a task deleting itself) clears it. */
    CHECK_EQ(cd_thread_remove(7), CD_OK);
    CHECK_EQ(cd_thread_current(), 0);
}

int main(void)
{
    RUN(add_find_remove);
    RUN(bad_arguments);
    RUN(full_table);
    RUN(current_thread);
    return UNIT_END();
}
