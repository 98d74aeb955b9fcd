/* SPDX-License-Identifier: MIT */
/* efi/arch.h for aarch64 (keelaa64.efi). */
#include "arch.h"
#include "../common/pe.h"

const uint16_t arch_pe_machine = PE_MACHINE_AARCH64;
const char arch_bls_architecture[] = "aa64";
const char arch_efi_shell_path[] = "\\shellaa64.efi";

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
