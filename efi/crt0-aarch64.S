/* SPDX-License-Identifier: MIT */
/* keelaa64.efi's entry point. The firmware calls _start(ImageHandle,
 * SystemTable) per the AAPCS64 at whatever address it loaded the image;
 * the image was linked at 0, so first gnu-efi's _relocate(ImageBase,
 * _DYNAMIC, ...) applies the R_AARCH64_RELATIVE entries of .rela (the only
 * kind scripts/check-efi-elf lets through), then efi_main runs. The PE
 * header itself is objcopy's (--target=efi-app-aarch64). */

        .text
        .globl  _start
        .type   _start, %function
_start:
        /* A frame record, and room for the two arguments across the call. */
        stp     x29, x30, [sp, #-32]!
        mov     x29, sp
        stp     x0, x1, [sp, #16]

        /* Where the image really is: PC-relative, as nothing is relocated yet. */
        adrp    x0, ImageBase
        add     x0, x0, :lo12:ImageBase
        adrp    x1, _DYNAMIC
        add     x1, x1, :lo12:_DYNAMIC
        ldp     x2, x3, [sp, #16]
        bl      _relocate
        cbnz    x0, 1f                  /* an EFI_STATUS error: return it */

        ldp     x0, x1, [sp, #16]
        bl      efi_main
1:
        ldp     x29, x30, [sp], #32
        ret
        .size   _start, . - _start

/* The base-relocation table the PE file carries. Firmware treats an image
 * without one as fixed at its link address (0) and refuses to load it; the
 * real relocations are applied by _start, so the table holds one block of
 * IMAGE_REL_BASED_ABSOLUTE (type 0) entries, which mean "skip". Block:
 * page RVA, block size (8 bytes of header + two 2-byte entries, a multiple
 * of 4 as the format wants), entries. The page RVA is .text's first page
 * (linker/keel-sections.lds): inside the image, as firmware checks, and not
 * 0, which readers such as objdump take for the end of the table. */
        .section .reloc, "a"
        .p2align 2
        .long   0x1000
        .long   12
        .short  0
        .short  0

        .section .note.GNU-stack, "", %progbits
