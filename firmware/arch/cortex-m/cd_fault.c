/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cortex-M fault capture, C half: turns what cd_fault_entry.S saved plus the
 * stacked exception frame into a cd_crash_ctx_t and hands it to
 * cd_crash_handle(). Also cd_arch_fault_init() and cd_arch_reset().
 *
 * Runs on the fault stack with interrupts masked (PRIMASK). It reads the
 * interrupted stack only after cd_mem_readable() accepted the whole frame,
 * because on v7-M a bus fault inside HardFault is a lockup, not a fault.
 *
 * Nesting: a fault while the crash path runs enters again (on v7-M a fault in
 * a MemManage/BusFault/UsageFault handler escalates to HardFault; a fault
 * inside HardFault itself, and any fault on v6-M, locks the core up -- QEMU
 * then exits with status 134 -- so the crash path must not fault there). The
 * second entry gets its own context (the first one's stays intact) and calls
 * cd_crash_handle() again, which finishes the dump; a third entry resets.
 *
 * Bugcheck and watchdog-by-call: cd_bugcheck() has no exception frame, so the
 * entry builds one (cd_fault_bug_block_t) below the caller's SP. The registers
 * then read as they are at the first instruction of cd_bugcheck: r0-r12 as at
 * the call, sp = the caller's SP at the call (p4 at [sp]), lr = the return
 * address, pc = the address of cd_bugcheck, exc_return = 0.
 */
#include <stddef.h>
#include <stdint.h>

#include "cd_arch.h"
#include "cd_crash.h"
#include "cd_fault_priv.h"
#include "cm_regs.h"

#define FRAME_BASIC_BYTES 32u     /* r0-r3, r12, lr, pc, xpsr */
#define FRAME_EXT_BYTES 104u      /* + s0-s15, FPSCR, reserved */
#define FRAME_V8_ADDITIONAL 40u   /* integrity signature, reserved, r4-r11 */
#define XPSR_SPREALIGN (1u << 9)  /* stacked xPSR: 4 bytes of alignment padding above the frame */

/* One context per nesting level, static so a nested entry, which reuses the
 * fault stack below the outer handler, cannot overwrite the first one. */
static cd_crash_ctx_t cd_fault_ctx[2];
/* Nesting depth and its complement, initialised data (valid before cd_init()):
 * an overwritten depth is told from a real one, so an overrun into it yields a
 * crash record that says so instead of a silent reset or a wrong context. */
static volatile uint32_t cd_fault_depth[2] = {0u, ~0u};

#if defined(__ARM_ARCH_8M_MAIN__)
/* Security Extension (v8-M Mainline): ID_PFR1.Security says whether it is
 * implemented; SFSR/SFAR (SAU block) then read as the SecureFault status from
 * Secure code and as zero from Non-secure code (RAZ/WI), so no build needs to
 * know in which state it runs. */
#define CD_ID_PFR1 (*(volatile const uint32_t *)0xE000ED44u)
#define CD_ID_PFR1_SECURITY(v) (((v) >> 4) & 0xFu)
#define CD_SFSR (*(volatile uint32_t *)0xE000EDE4u)
#define CD_SFAR (*(volatile uint32_t *)0xE000EDE8u)

static int cd_fault_has_security(void)
{
    return CD_ID_PFR1_SECURITY(CD_ID_PFR1) != 0u;
}
#endif

#define CD_MRS(reg)                                                                   \
    ({                                                                                \
        uint32_t v_;                                                                  \
        __asm volatile("mrs %0, " #reg : "=r"(v_));                                   \
        v_;                                                                           \
    })

void cd_arch_fault_init(void)
{
#if defined(CD_CM_MAINLINE)
    /* Own handlers for the configurable faults: a fault inside the crash path
     * then escalates to HardFault instead of locking the core up. */
    CM_SCB->SHCSR |= CM_SHCSR_MEMFAULTENA | CM_SHCSR_BUSFAULTENA | CM_SHCSR_USGFAULTENA;
#if defined(__ARM_ARCH_8M_MAIN__)
    if (cd_fault_has_security()) {
        /* Secure state: SecureFault gets its own handler too (Non-secure: RAZ/WI). */
        CM_SCB->SHCSR |= CM_SHCSR_SECUREFAULTENA;
    }
#endif
    cm_dsb();
    cm_isb();
#endif
}

void cd_arch_reset(void)
{
    cm_system_reset();
}

static uint8_t cd_fault_arch(void)
{
#if defined(CD_CM_V6M)
    return CD_ARCH_V6M;
#elif defined(__ARM_ARCH_7M__)
    return CD_ARCH_V7M;
#elif defined(__ARM_ARCH_7EM__)
    return CD_ARCH_V7EM;
#elif defined(CD_CM_V8MBASE)
    return CD_ARCH_V8MBASE;
#else
    return CD_ARCH_V8MMAIN;
#endif
}

#if defined(__ARM_FP)
/* Kept out of line and apart from the general-registers-only capture code:
 * these are the only FP instructions on the fault path, and the first of them
 * (vstm) is what triggers a pending lazy preservation. */
__attribute__((noinline)) static void cd_fault_fp_high(uint32_t *s16)
{
    __asm volatile("vstmia %0, {s16-s31}" ::"r"(s16) : "memory");
}

__attribute__((noinline)) static void cd_fault_fp_low(uint32_t *s0)
{
    __asm volatile("vstmia %0, {s0-s15}" ::"r"(s0) : "memory");
}

__attribute__((noinline)) static uint32_t cd_fault_fp_fpscr(void)
{
    uint32_t v;
    __asm volatile("vmrs %0, fpscr" : "=r"(v));
    return v;
}

/* Saves s0-s31 and FPSCR into ctx->fpu. frame_fp: the s0 slot of a readable
 * extended frame, or NULL; live: the bugcheck path (no frame at all). */
static void cd_fault_capture_fpu(cd_crash_ctx_t *ctx, const uint32_t *frame_fp, int live)
{
    if (frame_fp == NULL && !live) {
        /* Unusable frame: cancel a pending lazy save (it would write to the
         * bad SP, a lockup in HardFault) and read the registers themselves,
         * which still hold the interrupted values. FPSCR is lost (reads 0). */
        CM_FPU->FPCCR &= ~CM_FPCCR_LSPACT;
        cm_dsb();
    }
    /* With lazy stacking (LSPACT) the frame's FP slots are only reserved; the
     * first FP instruction (this vstm) writes them at FPCAR, which is this
     * frame. Without lazy stacking they were written at entry. */
    cd_fault_fp_high(&ctx->fpu.s[16]);
    if (frame_fp != NULL) {
        /* Read s0-s15 and FPSCR from the frame, after the vstm: FPSCR itself
         * was reset to FPDSCR for this handler. */
        for (unsigned i = 0; i < 16u; i++) {
            ctx->fpu.s[i] = frame_fp[i];
        }
        ctx->fpu.fpscr = frame_fp[16];
    } else {
        cd_fault_fp_low(&ctx->fpu.s[0]);
        /* Bugcheck: the caller's FP registers are live (CONTROL.FPCA set, so
         * reading FPSCR does not reset it). */
        ctx->fpu.fpscr = live ? cd_fault_fp_fpscr() : 0u;
    }
    ctx->flags |= CD_DUMP_F_FPU;
}
#endif

#if defined(__ARM_FP)
/* No FP register use of its own before the FP state is captured. */
__attribute__((target("general-regs-only")))
#endif
void cd_fault_entry_c(cd_fault_save_t *save)
{
    uint32_t depth = cd_fault_depth[0];
    int lost = cd_fault_depth[1] != ~depth || depth > 2u;
    if (lost) {
        depth = 0u;                 /* capture into the first context, then report */
    } else if (depth == 2u) {
        cd_arch_reset();
    }
    /* After a lost state any further fault resets at once. */
    uint32_t next = lost ? 2u : depth + 1u;
    cd_fault_depth[0] = next;
    cd_fault_depth[1] = ~next;
    /* A thread stack guard (an MPU region on v7-M) has done its job: the
     * stack it guarded is read from here on. */
    cd_arch_thread_guard(0u);
    cd_crash_ctx_t *ctx = &cd_fault_ctx[depth];
    /* An opaque pointer from here on: GCC would otherwise recompute
     * &cd_fault_ctx[depth] (a multiply-add) at each use. */
    __asm__("" : "+r"(ctx));
    for (size_t i = 0; i < sizeof(*ctx) / 4u; i++) {
        ((volatile uint32_t *)ctx)[i] = 0u;
    }
    cd_dump_regs_t *r = &ctx->regs;

    uint32_t ipsr = CD_MRS(ipsr) & 0x1FFu;
    uint32_t excret = save->exc_return;
    uint32_t control = save->control;
    uint32_t reason = save->reason;
    uint32_t frame;                 /* address of r0 in the (basic) frame */
    uint32_t frame_len = FRAME_BASIC_BYTES;
    uint32_t extra = 0u;            /* v8-M additional state context below the frame */
    int bug = (excret == 0u);

    if (bug) {
        const cd_fault_bug_block_t *blk =
            (const cd_fault_bug_block_t *)((uintptr_t)cd_fault_bug_frame -
                                           offsetof(cd_fault_bug_block_t, frame));
        frame = (uint32_t)(uintptr_t)cd_fault_bug_frame;
        control = blk->control;
        reason = blk->reason;
        frame_len += 4u;            /* p4, the caller's first stack word */
    } else {
        frame = (excret & CM_EXC_RETURN_SPSEL) ? save->psp : save->msp;
#if defined(CD_CM_V8M)
        if ((excret & CM_EXC_RETURN_DCRS) == 0u) {
            extra = FRAME_V8_ADDITIONAL;
        }
#endif
#if defined(__ARM_FP)
        if ((excret & CM_EXC_RETURN_FTYPE) == 0u) {
            frame_len = FRAME_EXT_BYTES;
        }
#endif
    }

    ctx->reason = reason;
    ctx->arch = cd_fault_arch();
    ctx->cpuid = CM_SCB->CPUID;

    /* Callee-saved registers as the entry found them. */
#if defined(CD_CM_THUMB1)
    for (unsigned i = 0; i < 4u; i++) {
        r->r[4 + i] = save->callee[4 + i];
        r->r[8 + i] = save->callee[i];
    }
#else
    for (unsigned i = 0; i < 8u; i++) {
        r->r[4 + i] = save->callee[i];
    }
#endif
    r->msp = save->msp;
    r->psp = save->psp;
    r->exc_return = excret;
    r->control = control;
    r->primask = save->primask;
    r->valid = CD_REGS_V_CALLEE | CD_REGS_V_SPECIAL;
#if defined(CD_CM_MAINLINE)
    r->basepri = CD_MRS(basepri);
    r->faultmask = CD_MRS(faultmask);
    r->valid |= CD_REGS_V_BASEPRI;
#endif
#if defined(CD_CM_V8M)
    r->msplim = save->msplim;
    r->psplim = CD_MRS(psplim);
#if defined(__ARM_ARCH_8M_MAIN__) || (defined(__ARM_FEATURE_CMSE) && (__ARM_FEATURE_CMSE & 2))
    /* Baseline has stack limits only in the Secure state. */
    r->valid |= CD_REGS_V_SPLIM;
#endif
#endif

    /* The stacked frame, if the stack it is on can be read at all. */
    int frame_ok = (frame & 3u) == 0u && frame <= UINT32_MAX - (extra + frame_len) &&
                   cd_mem_readable(frame, extra + frame_len);
#if defined(CD_CM_V8M) && defined(CD_CM_MAINLINE)
    /* A stack-limit violation while stacking (STKOF) leaves SP at the limit
     * and the frame unwritten (pushes above the limit are IMPLEMENTATION
     * DEFINED; QEMU makes none): what lies there is older stack contents,
     * not registers. A frame stacked exactly at the limit is dropped too. */
    if (!bug && (CM_SCB->CFSR & CM_CFSR_STKOF) &&
        frame == ((excret & CM_EXC_RETURN_SPSEL) ? r->psplim : save->msplim)) {
        frame_ok = 0;
    }
#endif
    /* A frame on the process stack must lie in the running thread's stack:
     * one below it was stacked into a stack guard (or over whatever lies
     * there), and its FP area must not be written by a lazy save either. */
    if (!bug && (excret & CM_EXC_RETURN_SPSEL) &&
        !cd_thread_stack_holds(frame, extra + frame_len)) {
        frame_ok = 0;
    }
#if defined(CD_CM_MAINLINE)
    /* Stacking itself faulted (into a guard, or off the memory): the frame
     * was not written. */
    if (!bug && (CM_SCB->CFSR & (CM_CFSR_MSTKERR | CM_CFSR_STKERR))) {
        frame_ok = 0;
    }
#endif
    const uint32_t *f = (const uint32_t *)(uintptr_t)(frame + extra);
    if (frame_ok) {
        if (extra != 0u) {
            /* Registers stacked by hardware on a Secure-to-Non-secure transition. */
            const uint32_t *add = (const uint32_t *)(uintptr_t)frame;
            for (unsigned i = 0; i < 8u; i++) {
                r->r[4 + i] = add[2 + i];
            }
        }
        for (unsigned i = 0; i < 4u; i++) {
            r->r[i] = f[i];
        }
        r->r[12] = f[4];
        r->lr = f[5];
        r->pc = f[6];
        r->xpsr = f[7];
        r->valid |= CD_REGS_V_FRAME;
        r->sp = frame + extra + (bug ? FRAME_BASIC_BYTES : frame_len) +
                ((r->xpsr & XPSR_SPREALIGN) ? 4u : 0u);
    } else {
        ctx->flags |= CD_DUMP_F_BAD_SP;
        r->sp = frame;              /* the raw, unusable stack pointer */
    }
    if (bug) {
        /* The entry read MSP/PSP with the block pushed: undo it. */
        uint32_t caller_sp = frame + FRAME_BASIC_BYTES;
        if (ipsr == 0u && (control & CM_CONTROL_SPSEL)) {
            r->psp = caller_sp;
        } else {
            r->msp = caller_sp;
        }
    }

#if defined(CD_CM_MAINLINE)
    cd_dump_fault_t *fr = &ctx->fault;
    fr->cfsr = CM_SCB->CFSR;
    fr->hfsr = CM_SCB->HFSR;
    fr->dfsr = CM_SCB->DFSR;
    fr->mmfar = CM_SCB->MMFAR;
    fr->bfar = CM_SCB->BFAR;
    fr->afsr = CM_SCB->AFSR;
    fr->shcsr = CM_SCB->SHCSR;
    fr->ccr = CM_SCB->CCR;
#if defined(__ARM_ARCH_8M_MAIN__)
    if (cd_fault_has_security()) {
        fr->sfsr = CD_SFSR;
        fr->sfar = CD_SFAR;
    }
#endif
#endif

    if (reason == CD_ENTRY_BUGCHECK) {
        ctx->code = r->r[0];
        ctx->param[0] = r->r[1];
        ctx->param[1] = r->r[2];
        ctx->param[2] = r->r[3];
        ctx->param[3] = frame_ok ? f[8] : 0u;
    } else {
        /* Fault or watchdog: the exception being handled. */
        ctx->code = ipsr;
#if defined(CD_CM_MAINLINE)
        ctx->param[0] = fr->cfsr;
        ctx->param[1] = fr->hfsr;
        if (fr->cfsr & CM_CFSR_MMARVALID) {
            ctx->param[2] = fr->mmfar;
        } else if (fr->cfsr & CM_CFSR_BFARVALID) {
            ctx->param[2] = fr->bfar;
        }
#endif
        ctx->param[3] = r->pc;
    }

#if defined(__ARM_FP)
    if (bug ? (control & CM_CONTROL_FPCA) != 0u : (excret & CM_EXC_RETURN_FTYPE) == 0u) {
        cd_fault_capture_fpu(ctx, (!bug && frame_ok) ? f + 8 : NULL, bug);
    }
#endif

    if (lost) {
        cd_crash_state_lost(ctx);
    }
    cd_crash_handle(ctx);
}
