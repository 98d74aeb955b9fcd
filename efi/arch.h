/* SPDX-License-Identifier: MIT */
/* Everything in the EFI binary that depends on the CPU architecture it is
 * built for, in one place: efi/arch-x86_64.c (keelx64.efi) and
 * efi/arch-aarch64.c (keelaa64.efi) implement it, and the Makefile links the
 * one for the target. Nothing else in efi/, stub/ or loader/ tests the
 * architecture. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The PE machine type of images this binary can start (a UKI's kernel, a
 * Type #1 entry's kernel): PE_MACHINE_X86_64 or PE_MACHINE_AARCH64. */
extern const uint16_t arch_pe_machine;

/* The Boot Loader Specification's `architecture` value for this machine
 * ("x64", "aa64"): Type #1 entries naming another one are hidden. */
extern const char arch_bls_architecture[];

/* The EFI shell systemd-boot's auto-entries look for at the ESP's root
 * ("\shellx64.efi", "\shellaa64.efi"). */
extern const char arch_efi_shell_path[];

/* Whether a serial console's COM port (the ACPI UID of a PNP0501 UART) is
 * also Linux's: on x86 ttyS0-3 sit at the PC's fixed I/O ports, so the
 * stub may append console=uart,io,PORT (systemd-stub does this on x86
 * only; elsewhere the kernel finds its console itself, from the device
 * tree's stdout-path or ACPI's SPCR). */
extern const bool arch_uart_console;

/* A free-running counter that started about when the machine did (the
 * time-stamp counter; the generic timer's virtual count). */
uint64_t arch_ticks(void);

/* arch_ticks()' frequency in Hz when the CPU states it (cntfrq_el0), 0 when
 * it must be measured against the firmware's Stall() (x86). */
uint64_t arch_ticks_per_second(void);

/* Makes instructions just written to [p, p + size) the ones the CPU fetches
 * (arm64: clean the data cache, invalidate the instruction cache to the
 * point of unification; x86: coherent already, nothing to do). */
void arch_sync_icache(const void *p, size_t size);

/* The registers a function may rely on across a call, saved by
 * arch_context_save() and put back by arch_context_restore(): the calling
 * convention's callee-saved registers (on x86-64 those of both the System V
 * and the Microsoft ABI: the firmware that called keel uses the latter),
 * the stack pointer and the return address. Used only to come back from an
 * image that leaves by Exit() (efi/exit-guard.c). */
struct arch_context {
        uint64_t words[32];
} __attribute__((aligned(16)));

/* Returns 0 when called; returns again, with value (1 if value is 0), each
 * time arch_context_restore() is called on ctx. The function that called it
 * must not have returned in between. */
int arch_context_save(struct arch_context *ctx) __attribute__((returns_twice));
__attribute__((noreturn)) void arch_context_restore(const struct arch_context *ctx, int value);
