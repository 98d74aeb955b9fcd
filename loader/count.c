/* SPDX-License-Identifier: MIT */
#include "count.h"
#include "../common/bootcount.h"
#include "../common/utf.h"
#include "../efi/file.h"

#define NAME_MAX_BYTES 512

static const CHAR16 *entry_dir(const struct boot_entry *e) {
        return e->type == ENTRY_TYPE1 ? L"\\loader\\entries\\" : L"\\EFI\\Linux\\";
}

/* dir + UTF-8 name as one UTF-16 path (caller frees). */
static CHAR16 *entry_file_path(const struct boot_entry *e, const char *name) {
        const CHAR16 *dir = entry_dir(e);
        size_t d = utf16_strnlen(dir, 64), n = strlen(name);
        CHAR16 *p = efi_alloc((d + n + 1) * sizeof(CHAR16));

        if (!p)
                return NULL;
        memcpy(p, dir, d * sizeof(CHAR16));
        utf8_to_utf16(name, n, p + d);
        return p;
}

/* Points the entry at its renamed file (the old strings live in the entry
 * arena; the new ones are small and stay allocated for this boot). */
static void rename_entry(struct boot_entry *e, const char *new_name) {
        size_t n = strlen(new_name);
        char *filename = efi_alloc(n + 1), *path = efi_alloc(NAME_MAX_BYTES + 16);

        if (filename) {
                memcpy(filename, new_name, n + 1);
                e->filename = filename;
        }
        if (e->type == ENTRY_TYPE2 && path && entry_uki_path(slice_from(new_name, n), path, NAME_MAX_BYTES + 16)) {
                e->efi_path = path;
                return;
        }
        efi_free(path);
}

void count_boot_try(const struct partition *part, struct boot_entry *e) {
        struct bootcount_name name;
        char next[NAME_MAX_BYTES];
        CHAR16 *old_path = NULL, *new_path = NULL, *new_name = NULL;
        EFI_STATUS err;

        if (e->tries_left == BOOTCOUNT_UNKNOWN || (e->type != ENTRY_TYPE1 && e->type != ENTRY_TYPE2) ||
            bootcount_parse(slice_from_cstr(e->filename), &name) != 0 ||
            !bootcount_next_name(&name, next, sizeof(next))) {
                efivar_set_raw(&loader_vendor_guid, L"LoaderBootCountPath", NULL, 0, 0);
                return;
        }

        old_path = entry_file_path(e, e->filename);
        new_path = entry_file_path(e, next);
        new_name = efi_alloc((strlen(next) + 1) * sizeof(CHAR16));
        if (!old_path || !new_path || !new_name) {
                err = EFI_OUT_OF_RESOURCES;
                goto fail;
        }
        utf8_to_utf16(next, strlen(next), new_name);
        err = file_rename(part->root, old_path, new_name);
        if (err != EFI_SUCCESS)
                goto fail;
        err = efivar_set_str16(&loader_vendor_guid, L"LoaderBootCountPath", new_path, EFI_VARIABLE_VOLATILE_ACCESS);
        if (err != EFI_SUCCESS)
                efi_print("keel: cannot set LoaderBootCountPath: %s\n", efi_status_text(err));
        /* The entry is now this file: a UKI is started by its new name. */
        e->tries_left = e->tries_left > 0 ? e->tries_left - 1 : 0;
        rename_entry(e, next);
        goto out;

fail:
        efivar_set_raw(&loader_vendor_guid, L"LoaderBootCountPath", NULL, 0, 0);
        efi_print("keel: cannot count this boot try of %s (%s); booting it anyway\n", e->id, efi_status_text(err));
out:
        efi_free(new_name);
        efi_free(new_path);
        efi_free(old_path);
}
