/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cortex-M core registers (System Control Space), written for this project in
 * the spirit of CMSIS core headers: only what the boards and the crashdump arch
 * code need, valid for ARMv6-M, ARMv7-M and ARMv8-M (Mainline and Baseline)
 * unless a field says otherwise. Vendor peripherals do not belong here.
 *
 * Register names follow the Arm Architecture Reference Manuals so they can be
 * looked up there; offsets are from the SCS base 0xE000E000.
 */
#ifndef CM_REGS_H
#define CM_REGS_H

#include <stdint.h>

#define CM_RW volatile uint32_t
#define CM_RO volatile const uint32_t
#define CM_WO volatile uint32_t

/* ---------------------------------------------------------------- SCB */

/* System Control Block at 0xE000ED00. Fields marked v7-M exist on ARMv7-M and
 * ARMv8-M Mainline only; on ARMv6-M / ARMv8-M Baseline they read as zero or fault. */
typedef struct {
    CM_RO CPUID;      /* 0x00 */
    CM_RW ICSR;       /* 0x04 interrupt control and state */
    CM_RW VTOR;       /* 0x08 vector table offset (optional on v6-M) */
    CM_RW AIRCR;      /* 0x0C application interrupt and reset control */
    CM_RW SCR;        /* 0x10 system control (SLEEPDEEP, SEVONPEND) */
    CM_RW CCR;        /* 0x14 configuration and control */
    volatile uint8_t SHPR[12]; /* 0x18 system handler priorities (bytes 4..15) */
    CM_RW SHCSR;      /* 0x24 system handler control and state */
    CM_RW CFSR;       /* 0x28 configurable fault status (v7-M): MMFSR|BFSR<<8|UFSR<<16 */
    CM_RW HFSR;       /* 0x2C HardFault status (v7-M) */
    CM_RW DFSR;       /* 0x30 debug fault status */
    CM_RW MMFAR;      /* 0x34 MemManage fault address (v7-M) */
    CM_RW BFAR;       /* 0x38 BusFault address (v7-M) */
    CM_RW AFSR;       /* 0x3C auxiliary fault status (v7-M) */
    uint32_t reserved0[18]; /* 0x40..0x87 feature registers, unused here */
    CM_RW CPACR;      /* 0x88 coprocessor access control (v7-M with FPU) */
    CM_RW NSACR;      /* 0x8C non-secure access control (v8-M with Security Extension) */
} cm_scb_t;

#define CM_SCB ((cm_scb_t *)0xE000ED00u)

/* ICSR */
#define CM_ICSR_VECTACTIVE_MSK 0x1FFu
#define CM_ICSR_PENDSTCLR (1u << 25)
#define CM_ICSR_PENDSTSET (1u << 26)
#define CM_ICSR_PENDSVCLR (1u << 27)
#define CM_ICSR_PENDSVSET (1u << 28)
#define CM_ICSR_NMIPENDSET (1u << 31)

/* AIRCR: writes need the key in the top half-word or they are ignored. */
#define CM_AIRCR_VECTKEY (0x05FAu << 16)
#define CM_AIRCR_VECTCLRACTIVE (1u << 1)
#define CM_AIRCR_SYSRESETREQ (1u << 2)
#define CM_AIRCR_PRIGROUP_POS 8u       /* v7-M */
#define CM_AIRCR_PRIGROUP_MSK (7u << 8)

/* SCR */
#define CM_SCR_SLEEPONEXIT (1u << 1)
#define CM_SCR_SLEEPDEEP (1u << 2)
#define CM_SCR_SEVONPEND (1u << 4)

/* CCR */
#define CM_CCR_UNALIGN_TRP (1u << 3)   /* takes effect after an ISB */
#define CM_CCR_DIV_0_TRP (1u << 4)     /* v7-M */
#define CM_CCR_BFHFNMIGN (1u << 8)     /* v7-M; QEMU ignores it */
#define CM_CCR_STKALIGN (1u << 9)

/* SHCSR (v7-M layout; v6-M has SVCALLPENDED only) */
#define CM_SHCSR_MEMFAULTACT (1u << 0)
#define CM_SHCSR_BUSFAULTACT (1u << 1)
#define CM_SHCSR_USGFAULTACT (1u << 3)
#define CM_SHCSR_SVCALLACT (1u << 7)
#define CM_SHCSR_MONITORACT (1u << 8)
#define CM_SHCSR_PENDSVACT (1u << 10)
#define CM_SHCSR_SYSTICKACT (1u << 11)
#define CM_SHCSR_USGFAULTPENDED (1u << 12)
#define CM_SHCSR_MEMFAULTPENDED (1u << 13)
#define CM_SHCSR_BUSFAULTPENDED (1u << 14)
#define CM_SHCSR_SVCALLPENDED (1u << 15)
#define CM_SHCSR_MEMFAULTENA (1u << 16)
#define CM_SHCSR_BUSFAULTENA (1u << 17)
#define CM_SHCSR_USGFAULTENA (1u << 18)
#define CM_SHCSR_SECUREFAULTENA (1u << 19) /* v8-M with Security Extension */

/* CFSR: MemManage (bits 0..7), BusFault (8..15), UsageFault (16..31). */
#define CM_CFSR_IACCVIOL (1u << 0)
#define CM_CFSR_DACCVIOL (1u << 1)
#define CM_CFSR_MUNSTKERR (1u << 3)
#define CM_CFSR_MSTKERR (1u << 4)
#define CM_CFSR_MLSPERR (1u << 5)
#define CM_CFSR_MMARVALID (1u << 7)
#define CM_CFSR_IBUSERR (1u << 8)
#define CM_CFSR_PRECISERR (1u << 9)
#define CM_CFSR_IMPRECISERR (1u << 10)
#define CM_CFSR_UNSTKERR (1u << 11)
#define CM_CFSR_STKERR (1u << 12)
#define CM_CFSR_LSPERR (1u << 13)
#define CM_CFSR_BFARVALID (1u << 15)
#define CM_CFSR_UNDEFINSTR (1u << 16)
#define CM_CFSR_INVSTATE (1u << 17)
#define CM_CFSR_INVPC (1u << 18)
#define CM_CFSR_NOCP (1u << 19)
#define CM_CFSR_STKOF (1u << 20)       /* v8-M */
#define CM_CFSR_UNALIGNED (1u << 24)
#define CM_CFSR_DIVBYZERO (1u << 25)

/* HFSR */
#define CM_HFSR_VECTTBL (1u << 1)
#define CM_HFSR_FORCED (1u << 30)
#define CM_HFSR_DEBUGEVT (1u << 31)

/* CPACR: full access to CP10 and CP11 (the FPU). */
#define CM_CPACR_FPU_FULL (0xFu << 20)

/* ---------------------------------------------------------------- FPU */

/* Floating-point context control at 0xE000EF34 (v7-M / v8-M with the FP extension). */
typedef struct {
    CM_RW FPCCR;      /* 0xE000EF34 context control */
    CM_RW FPCAR;      /* 0xE000EF38 address of the reserved s0 slot of the lazy frame */
    CM_RW FPDSCR;     /* 0xE000EF3C FPSCR default for a handler's first FP instruction */
} cm_fpu_t;

#define CM_FPU ((cm_fpu_t *)0xE000EF34u)

#define CM_FPCCR_LSPACT (1u << 0)      /* lazy preservation pending: frame space reserved, not written */
#define CM_FPCCR_LSPEN (1u << 30)      /* lazy state preservation enabled (reset default 1) */
#define CM_FPCCR_ASPEN (1u << 31)      /* FP instructions set CONTROL.FPCA (reset default 1) */

/* CONTROL */
#define CM_CONTROL_NPRIV (1u << 0)
#define CM_CONTROL_SPSEL (1u << 1)     /* Thread mode uses PSP */
#define CM_CONTROL_FPCA (1u << 2)      /* FP context active */

/* EXC_RETURN (the LR value on exception entry) */
#define CM_EXC_RETURN_SPSEL (1u << 2)  /* frame is on PSP */
#define CM_EXC_RETURN_MODE (1u << 3)   /* returns to Thread mode */
#define CM_EXC_RETURN_FTYPE (1u << 4)  /* 0: extended frame with FP state (26 words) */
#define CM_EXC_RETURN_DCRS (1u << 5)   /* v8-M: 0: additional state context (r4-r11) stacked */

/* ---------------------------------------------------------------- NVIC */

/* Nested Vectored Interrupt Controller at 0xE000E100. Bit n of word n / 32
 * is external interrupt n (IRQn, i.e. exception number n + 16). ARMv6-M has
 * only word 0 and no IABR/ITNS. */
typedef struct {
    CM_RW ISER[16];   /* 0x100 set enable */
    uint32_t reserved0[16];
    CM_RW ICER[16];   /* 0x180 clear enable */
    uint32_t reserved1[16];
    CM_RW ISPR[16];   /* 0x200 set pending */
    uint32_t reserved2[16];
    CM_RW ICPR[16];   /* 0x280 clear pending */
    uint32_t reserved3[16];
    CM_RW IABR[16];   /* 0x300 active (v7-M, v8-M Mainline) */
    uint32_t reserved4[16];
    CM_RW ITNS[16];   /* 0x380 target non-secure (v8-M) */
    uint32_t reserved5[16];
    volatile uint8_t IPR[496]; /* 0x400 priorities, one byte per IRQ (word access only on v6-M) */
} cm_nvic_t;

#define CM_NVIC ((cm_nvic_t *)0xE000E100u)

/* ---------------------------------------------------------------- SysTick */

typedef struct {
    CM_RW CSR;        /* 0xE000E010 control and status */
    CM_RW RVR;        /* reload value, 24 bits */
    CM_RW CVR;        /* current value; any write clears it and COUNTFLAG */
    CM_RO CALIB;
} cm_systick_t;

#define CM_SYSTICK ((cm_systick_t *)0xE000E010u)

#define CM_SYSTICK_CSR_ENABLE (1u << 0)
#define CM_SYSTICK_CSR_TICKINT (1u << 1)
#define CM_SYSTICK_CSR_CLKSOURCE (1u << 2) /* 1 = processor clock */
#define CM_SYSTICK_CSR_COUNTFLAG (1u << 16)
#define CM_SYSTICK_RVR_MAX 0x00FFFFFFu

/* ---------------------------------------------------------------- helpers */

static inline void cm_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void cm_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }
static inline void cm_wfi(void) { __asm volatile("wfi" ::: "memory"); }
static inline void cm_irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void cm_irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }

static inline void cm_nvic_enable(unsigned irqn)
{
    CM_NVIC->ISER[irqn >> 5] = 1u << (irqn & 31u);
}

static inline void cm_nvic_disable(unsigned irqn)
{
    CM_NVIC->ICER[irqn >> 5] = 1u << (irqn & 31u);
    cm_dsb();
    cm_isb();
}

static inline void cm_nvic_set_pending(unsigned irqn)
{
    CM_NVIC->ISPR[irqn >> 5] = 1u << (irqn & 31u);
}

static inline void cm_nvic_clear_pending(unsigned irqn)
{
    CM_NVIC->ICPR[irqn >> 5] = 1u << (irqn & 31u);
}

/* Starts SysTick on the processor clock, interrupting every `ticks` cycles
 * (1..CM_SYSTICK_RVR_MAX + 1). Returns 0, or -1 if ticks is out of range. */
static inline int cm_systick_start(uint32_t ticks)
{
    if (ticks == 0u || ticks - 1u > CM_SYSTICK_RVR_MAX) {
        return -1;
    }
    CM_SYSTICK->CSR = 0u;
    CM_SYSTICK->RVR = ticks - 1u;
    CM_SYSTICK->CVR = 0u;
    CM_SYSTICK->CSR = CM_SYSTICK_CSR_CLKSOURCE | CM_SYSTICK_CSR_TICKINT | CM_SYSTICK_CSR_ENABLE;
    return 0;
}

/* Requests a system reset (SYSRESETREQ), keeping the priority grouping as the
 * architecture requires. Does not return. Memory keeps its contents. */
__attribute__((noreturn)) static inline void cm_system_reset(void)
{
    cm_dsb();
    CM_SCB->AIRCR = CM_AIRCR_VECTKEY | (CM_SCB->AIRCR & CM_AIRCR_PRIGROUP_MSK) | CM_AIRCR_SYSRESETREQ;
    cm_dsb();
    for (;;) {
        cm_wfi();
    }
}

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#include <stddef.h>
_Static_assert(offsetof(cm_scb_t, SHCSR) == 0x24, "SCB.SHCSR");
_Static_assert(offsetof(cm_scb_t, CPACR) == 0x88, "SCB.CPACR");
_Static_assert(offsetof(cm_nvic_t, ICPR) == 0x180, "NVIC.ICPR");
_Static_assert(offsetof(cm_nvic_t, IPR) == 0x300, "NVIC.IPR");
#endif

#undef CM_RW
#undef CM_RO
#undef CM_WO

#endif /* CM_REGS_H */
