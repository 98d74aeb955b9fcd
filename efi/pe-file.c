/* SPDX-License-Identifier: MIT */
#include "pe-file.h"
#include "arch.h"
#include "file.h"
#include "../common/error.h"
#include "../common/uki.h"

static int read_and_parse(EFI_FILE *f, uint64_t file_size, size_t max, uint8_t *head, struct pe_image *ret_pe,
                          EFI_STATUS *ret_err) {
        size_t want = file_size < max ? (size_t) file_size : max;

        *ret_err = file_read_at(f, 0, head, want);
        if (*ret_err != EFI_SUCCESS)
                return KEEL_E_INVALID_ARGUMENT;
        return pe_parse_headers(head, want, ret_pe);
}

int pe_file_read_headers(EFI_FILE *f, uint64_t file_size, uint8_t *head, struct pe_image *ret_pe,
                         EFI_STATUS *ret_err) {
        int r = read_and_parse(f, file_size, PE_FILE_HEADERS_FIRST, head, ret_pe, ret_err);

        if (r == KEEL_E_PE_SECTION_TABLE_TRUNCATED || r == KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER)
                r = read_and_parse(f, file_size, PE_FILE_HEADERS_MAX, head, ret_pe, ret_err);
        if (r == KEEL_OK)
                r = pe_check_file_layout(ret_pe, file_size);
        if (r == KEEL_OK)
                r = pe_check_machine(ret_pe, arch_pe_machine);
        return r;
}

EFI_STATUS pe_file_is_plain_kernel(EFI_FILE *root, const CHAR16 *path, bool *ret_plain) {
        struct pe_image *pe = efi_alloc(sizeof(*pe));
        uint8_t *head = efi_alloc(PE_FILE_HEADERS_MAX);
        struct uki_sections sections;
        EFI_FILE *f = NULL;
        uint64_t size = 0;
        EFI_STATUS err = EFI_OUT_OF_RESOURCES;

        *ret_plain = false;
        if (!pe || !head)
                goto out;
        err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ, 0);
        if (err != EFI_SUCCESS) {
                f = NULL;
                goto out;
        }
        err = file_size(f, &size);
        if (err != EFI_SUCCESS)
                goto out;
        if (pe_file_read_headers(f, size, head, pe, &err) == KEEL_OK)
                *ret_plain = uki_find_sections(pe, &sections) == KEEL_OK && !uki_image_has_kernel(pe);
out:
        if (f)
                f->Close(f);
        efi_free(head);
        efi_free(pe);
        return err;
}
