/* SPDX-License-Identifier: MIT */
/* efi/arch.h for aarch64 (keelaa64.efi). */
#include "arch.h"
#include "../common/pe.h"

const uint16_t arch_pe_machine = PE_MACHINE_AARCH64;
const char arch_bls_architecture[] = "aa64";
const char arch_efi_shell_path[] = "\\shellaa64.efi";
const bool arch_uart_console = false;

/* The generic timer's virtual count. UEFI requires it to be enabled for EL1
 * and EL0 (UEFI 2.10, 2.3.6 AArch64 Platforms); the isb keeps the read from
 * being done ahead of the code before it. */
uint64_t arch_ticks(void) {
        uint64_t v;
        __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
        return v;
}

/* cntfrq_el0 is set by firmware to the counter's frequency (62.5 MHz under
 * QEMU); 0 would mean firmware did not, and the caller then measures it. */
uint64_t arch_ticks_per_second(void) {
        uint64_t f;
        __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
        return f;
}

/* The smallest data and instruction cache lines come from CTR_EL0 (DminLine,
 * IminLine: log2 of 4-byte words); ARM ARM B2.4.4's sequence: clean to PoU,
 * barrier, invalidate, barrier, synchronise the fetch stream. */
void arch_sync_icache(const void *p, size_t size) {
        uintptr_t start = (uintptr_t) p, end = start + size, a;
        uint64_t ctr;
        size_t dline, iline;

        __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
        dline = (size_t) 4 << ((ctr >> 16) & 0xf);
        iline = (size_t) 4 << (ctr & 0xf);
        for (a = start & ~(uintptr_t) (dline - 1); a < end; a += dline)
                __asm__ volatile("dc cvau, %0" : : "r"(a) : "memory");
        __asm__ volatile("dsb ish" : : : "memory");
        for (a = start & ~(uintptr_t) (iline - 1); a < end; a += iline)
                __asm__ volatile("ic ivau, %0" : : "r"(a) : "memory");
        __asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

/* struct arch_context: x19-x28, the frame pointer and the link register
 * (words 0-11), the stack pointer (12), d8-d15 (13-20): AAPCS64's
 * callee-saved registers. */
__asm__(".text\n"
        ".globl arch_context_save\n"
        ".type arch_context_save, %function\n"
        "arch_context_save:\n"
        "        stp x19, x20, [x0, #0]\n"
        "        stp x21, x22, [x0, #16]\n"
        "        stp x23, x24, [x0, #32]\n"
        "        stp x25, x26, [x0, #48]\n"
        "        stp x27, x28, [x0, #64]\n"
        "        stp x29, x30, [x0, #80]\n"
        "        mov x2, sp\n"
        "        str x2, [x0, #96]\n"
        "        stp d8, d9, [x0, #104]\n"
        "        stp d10, d11, [x0, #120]\n"
        "        stp d12, d13, [x0, #136]\n"
        "        stp d14, d15, [x0, #152]\n"
        "        mov x0, #0\n"
        "        ret\n"
        ".size arch_context_save, .-arch_context_save\n"
        "\n"
        ".globl arch_context_restore\n"
        ".type arch_context_restore, %function\n"
        "arch_context_restore:\n"
        "        ldp x19, x20, [x0, #0]\n"
        "        ldp x21, x22, [x0, #16]\n"
        "        ldp x23, x24, [x0, #32]\n"
        "        ldp x25, x26, [x0, #48]\n"
        "        ldp x27, x28, [x0, #64]\n"
        "        ldp x29, x30, [x0, #80]\n"
        "        ldr x2, [x0, #96]\n"
        "        mov sp, x2\n"
        "        ldp d8, d9, [x0, #104]\n"
        "        ldp d10, d11, [x0, #120]\n"
        "        ldp d12, d13, [x0, #136]\n"
        "        ldp d14, d15, [x0, #152]\n"
        "        cmp w1, #0\n"
        "        csinc w0, w1, wzr, ne\n"
        "        ret\n"
        ".size arch_context_restore, .-arch_context_restore\n");
