/* SPDX-License-Identifier: MIT */
/* efi/arch.h for x86-64 (keelx64.efi). */
#include "arch.h"
#include "../common/pe.h"

const uint16_t arch_pe_machine = PE_MACHINE_X86_64;
const char arch_bls_architecture[] = "x64";
const char arch_efi_shell_path[] = "\\shellx64.efi";
const bool arch_uart_console = true;

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

/* struct arch_context: rbx, rbp, r12-r15, the stack pointer after the
 * return, the return address (words 0-7); rsi, rdi, xmm6-xmm15 (callee-saved
 * in the Microsoft ABI; words 8-29); MXCSR and the x87 control word (word 30). */
__asm__(".text\n"
        ".globl arch_context_save\n"
        ".type arch_context_save, @function\n"
        "arch_context_save:\n"
        "        movq %rbx, 0(%rdi)\n"
        "        movq %rbp, 8(%rdi)\n"
        "        movq %r12, 16(%rdi)\n"
        "        movq %r13, 24(%rdi)\n"
        "        movq %r14, 32(%rdi)\n"
        "        movq %r15, 40(%rdi)\n"
        "        leaq 8(%rsp), %rdx\n"
        "        movq %rdx, 48(%rdi)\n"
        "        movq (%rsp), %rdx\n"
        "        movq %rdx, 56(%rdi)\n"
        "        movq %rsi, 64(%rdi)\n"
        "        movq %rdi, 72(%rdi)\n"
        "        movdqa %xmm6, 80(%rdi)\n"
        "        movdqa %xmm7, 96(%rdi)\n"
        "        movdqa %xmm8, 112(%rdi)\n"
        "        movdqa %xmm9, 128(%rdi)\n"
        "        movdqa %xmm10, 144(%rdi)\n"
        "        movdqa %xmm11, 160(%rdi)\n"
        "        movdqa %xmm12, 176(%rdi)\n"
        "        movdqa %xmm13, 192(%rdi)\n"
        "        movdqa %xmm14, 208(%rdi)\n"
        "        movdqa %xmm15, 224(%rdi)\n"
        "        stmxcsr 240(%rdi)\n"
        "        fnstcw 244(%rdi)\n"
        "        xorl %eax, %eax\n"
        "        ret\n"
        ".size arch_context_save, .-arch_context_save\n"
        "\n"
        ".globl arch_context_restore\n"
        ".type arch_context_restore, @function\n"
        "arch_context_restore:\n"
        "        movl %esi, %eax\n"
        "        testl %eax, %eax\n"
        "        jnz 1f\n"
        "        movl $1, %eax\n"
        "1:      movq 0(%rdi), %rbx\n"
        "        movq 8(%rdi), %rbp\n"
        "        movq 16(%rdi), %r12\n"
        "        movq 24(%rdi), %r13\n"
        "        movq 32(%rdi), %r14\n"
        "        movq 40(%rdi), %r15\n"
        "        movdqa 80(%rdi), %xmm6\n"
        "        movdqa 96(%rdi), %xmm7\n"
        "        movdqa 112(%rdi), %xmm8\n"
        "        movdqa 128(%rdi), %xmm9\n"
        "        movdqa 144(%rdi), %xmm10\n"
        "        movdqa 160(%rdi), %xmm11\n"
        "        movdqa 176(%rdi), %xmm12\n"
        "        movdqa 192(%rdi), %xmm13\n"
        "        movdqa 208(%rdi), %xmm14\n"
        "        movdqa 224(%rdi), %xmm15\n"
        "        ldmxcsr 240(%rdi)\n"
        "        fldcw 244(%rdi)\n"
        "        movq 64(%rdi), %rsi\n"
        "        movq 48(%rdi), %rsp\n"
        "        movq 56(%rdi), %rdx\n"
        "        movq 72(%rdi), %rdi\n"
        "        jmp *%rdx\n"
        ".size arch_context_restore, .-arch_context_restore\n");
