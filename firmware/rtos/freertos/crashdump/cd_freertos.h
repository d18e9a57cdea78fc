/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump for FreeRTOS (CMake target crashdump::freertos; docs/rtos.md).
 * Include it at the END of FreeRTOSConfig.h:
 *
 *   #define configRECORD_STACK_HIGH_ADDRESS 1     (needed: the stack's top)
 *   #define configCHECK_FOR_STACK_OVERFLOW 2      (recommended)
 *   #include "crashdump/cd_freertos.h"
 *
 * It maps the kernel's trace hooks onto crashdump's thread table (task
 * create -> cd_thread_add(), delete -> cd_thread_remove(), switched in ->
 * cd_thread_switch(), which also moves the stack guard), and configASSERT()
 * onto CD_ASSERT(). crashdump::freertos also defines the stack-overflow and
 * malloc-failed hooks as bugchecks (weak, so yours win):
 *   vApplicationStackOverflowHook  CD_BUGCHECK_STACK_OVERFLOW, p1 = task handle,
 *                                  p2 = address of its name
 *   vApplicationMallocFailedHook   CD_BUGCHECK_MALLOC_FAILED
 * Set CD_THREAD_MAX in crashdump's config header to at least the number of
 * tasks (idle and timer tasks included), and CD_THREAD_CONTEXT to the port's
 * saved-context layout: CD_CTX_R4_R11_LR (the default: ARM_CM4F, ARM_CM7),
 * CD_CTX_R4_R11 (ARM_CM3, ARM_CM0), CD_CTX_PSPLIM_LR_R4_R11 (ARM_CM33_NTZ,
 * ARM_CM55_NTZ, ARM_CM85_NTZ).
 *
 * Handlers: with crashdump::startup's vector table, name the port's handlers
 * after the CMSIS ones in FreeRTOSConfig.h:
 *   #define vPortSVCHandler SVC_Handler
 *   #define xPortPendSVHandler PendSV_Handler
 *   #define xPortSysTickHandler SysTick_Handler
 * (the ARMv8-M ports already use the CMSIS names). Interrupts whose handlers
 * call FreeRTOS "FromISR" functions need a priority numerically at or above
 * configMAX_SYSCALL_INTERRUPT_PRIORITY; cd_proto_rx_byte() calls nothing of
 * FreeRTOS's, so a UART handler that only feeds crashdump may have any
 * priority.
 *
 * A project that defines these trace hooks for another tool calls the
 * CD_FREERTOS_* macros below from its own definitions instead.
 */
#ifndef CD_FREERTOS_H
#define CD_FREERTOS_H

#ifndef __ASSEMBLER__

#include <stdint.h>

#include "crashdump/crashdump.h"

#if !defined(configRECORD_STACK_HIGH_ADDRESS) || (configRECORD_STACK_HIGH_ADDRESS != 1)
#error "crashdump/cd_freertos.h: set configRECORD_STACK_HIGH_ADDRESS to 1 before including it"
#endif
#if defined(configNUMBER_OF_CORES) && (configNUMBER_OF_CORES > 1)
#error "crashdump/cd_freertos.h: FreeRTOS SMP is not supported yet"
#endif

/* Expanded inside tasks.c, where the TCB's fields are visible. */
#define CD_FREERTOS_TASK_CREATE(tcb)                                                      \
    (void)cd_thread_add((uint32_t)(uintptr_t)(tcb), (tcb)->pcTaskName,                    \
                        (uintptr_t)(tcb)->pxStack, (uintptr_t)((tcb)->pxEndOfStack + 1),  \
                        (const volatile uint32_t *)(const volatile void *)&(tcb)->pxTopOfStack)
#define CD_FREERTOS_TASK_DELETE(tcb) (void)cd_thread_remove((uint32_t)(uintptr_t)(tcb))
#define CD_FREERTOS_TASK_SWITCHED_IN() cd_thread_switch((uint32_t)(uintptr_t)pxCurrentTCB)

#ifndef traceTASK_CREATE
#define traceTASK_CREATE(pxNewTCB) CD_FREERTOS_TASK_CREATE(pxNewTCB)
#endif
#ifndef traceTASK_DELETE
#define traceTASK_DELETE(pxTCB) CD_FREERTOS_TASK_DELETE(pxTCB)
#endif
#ifndef traceTASK_SWITCHED_IN
#define traceTASK_SWITCHED_IN() CD_FREERTOS_TASK_SWITCHED_IN()
#endif
#ifndef configASSERT
#define configASSERT(x) CD_ASSERT(x)
#endif

#endif /* __ASSEMBLER__ */

#endif /* CD_FREERTOS_H */
