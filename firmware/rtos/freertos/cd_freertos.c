/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FreeRTOS's application hooks as crashdump bugchecks (crashdump::freertos,
 * crashdump/cd_freertos.h). Weak: a firmware's own definitions take over.
 * FreeRTOS's headers are not needed here; the handle and name are passed on
 * as addresses.
 */
#include <stdint.h>

#include "crashdump/crashdump.h"

__attribute__((weak)) void vApplicationStackOverflowHook(void *task, char *name)
{
    cd_bugcheck(CD_BUGCHECK_STACK_OVERFLOW, (uint32_t)(uintptr_t)task, (uint32_t)(uintptr_t)name,
                0u, 0u);
}

__attribute__((weak)) void vApplicationMallocFailedHook(void)
{
    cd_bugcheck(CD_BUGCHECK_MALLOC_FAILED, 0u, 0u, 0u, 0u);
}
