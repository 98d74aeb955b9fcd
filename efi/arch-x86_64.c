/* SPDX-License-Identifier: MIT */
/* efi/arch.h for x86-64 (keelx64.efi). */
#include "arch.h"
#include "../common/pe.h"

const uint16_t arch_pe_machine = PE_MACHINE_X86_64;
const char arch_bls_architecture[] = "x64";
const char arch_efi_shell_path[] = "\\shellx64.efi";

uint64_t arch_ticks(void) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t) hi << 32) | lo;
}

/* The TSC's rate is not architecturally discoverable (CPUID leaf 0x15 is
 * often absent or 0, as under QEMU TCG): the caller measures it. */
uint64_t arch_ticks_per_second(void) {
        return 0;
}

/* x86 keeps instruction fetches coherent with stores. */
void arch_sync_icache(const void *p _unused_, size_t size _unused_) {
}
