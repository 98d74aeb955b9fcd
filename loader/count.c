/* SPDX-License-Identifier: MIT */
#include "count.h"
#include "../common/bootcount.h"
#include "../common/error.h"
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

struct taken_context {
        const struct partition *part;
        const struct boot_entry *e;
};

/* Whether the entry's directory has a file of this name (FAT: ignoring
 * case, as the rename would). Only a file that is certainly there counts:
 * on a read error the rename itself will tell. */
static bool name_taken(void *userdata, const char *name) {
        const struct taken_context *c = userdata;
        CHAR16 *path = entry_file_path(c->e, name);
        bool is_directory;
        uint64_t size;
        bool taken = path && file_stat(c->part->root, path, &is_directory, &size) == EFI_SUCCESS;

        efi_free(path);
        return taken;
}

static void clear_count_path(void) {
        efivar_set_raw(&loader_vendor_guid, L"LoaderBootCountPath", NULL, 0, 0);
}

static void set_count_path(const struct boot_entry *e, const char *name) {
        CHAR16 *path = entry_file_path(e, name);
        EFI_STATUS err = path ? efivar_set_str16(&loader_vendor_guid, L"LoaderBootCountPath", path,
                                                 EFI_VARIABLE_VOLATILE_ACCESS)
                              : EFI_OUT_OF_RESOURCES;

        if (err != EFI_SUCCESS)
                efi_print("keel: cannot set LoaderBootCountPath: %s\n", efi_status_text(err));
        efi_free(path);
}

/* Renames the entry file to next and makes the entry that file. */
static EFI_STATUS rename_to(const struct partition *part, struct boot_entry *e, const char *next) {
        CHAR16 *old_path = entry_file_path(e, e->filename), *new_name = efi_alloc((strlen(next) + 1) * sizeof(CHAR16));
        struct bootcount_name renamed;
        EFI_STATUS err = EFI_OUT_OF_RESOURCES;

        if (!old_path || !new_name)
                goto out;
        utf8_to_utf16(next, strlen(next), new_name);
        err = file_rename(part->root, old_path, new_name);
        if (err != EFI_SUCCESS)
                goto out;
        set_count_path(e, next);
        /* The entry is now this file: a UKI is started by its new name. */
        if (bootcount_parse(slice_from_cstr(next), &renamed) == KEEL_OK)
                e->tries_left = renamed.tries_left;
        rename_entry(e, next);
out:
        efi_free(new_name);
        efi_free(old_path);
        return err;
}

/* systemd 262: an entry on a read-only volume, or whose file is marked
 * read-only, is not counted: its counter would stand still, and the OS
 * could not bless it either. It is booted all the same. */
static bool read_only(const struct partition *part, const struct boot_entry *e) {
        CHAR16 *path = entry_file_path(e, e->filename);
        bool ro = false;

        if (file_volume_read_only(part->root))
                ro = true;
        else if (path && file_read_only(part->root, path, &ro) != EFI_SUCCESS)
                ro = false;
        efi_free(path);
        return ro;
}

EFI_STATUS count_boot_try(const struct partition *part, struct boot_entry *e) {
        struct taken_context taken = { part, e };
        struct bootcount_name name;
        char next[NAME_MAX_BYTES];
        unsigned tries = 0;
        EFI_STATUS err;
        int r;

        if (e->tries_left == BOOTCOUNT_UNKNOWN || (e->type != ENTRY_TYPE1 && e->type != ENTRY_TYPE2) ||
            bootcount_parse(slice_from_cstr(e->filename), &name) != KEEL_OK) {
                clear_count_path();
                return EFI_SUCCESS;
        }
        if (read_only(part, e)) {
                clear_count_path();
                efi_print("keel: %s is read-only, not counting this boot try\n", e->filename);
                return EFI_SUCCESS;
        }
        r = bootcount_pick_next_name(&name, name_taken, &taken, next, sizeof(next), &tries);
        if (r == KEEL_E_BOOTCOUNT_NO_FREE_NAME) {
                /* Booting it uncounted could boot it on every boot; instead
                 * this boot counts it as failed and falls back. */
                clear_count_path();
                efi_print("keel: cannot count this boot try of %s: %s; not booting it\n", e->id, keel_strerror(r));
                e->tries_left = 0;
                return EFI_ACCESS_DENIED;
        }
        if (r != KEEL_OK) {
                clear_count_path();
                efi_print("keel: cannot count this boot try of %s (%s); booting it anyway\n", e->id, keel_strerror(r));
                return EFI_SUCCESS;
        }
        if (tries == 0) {
                /* No tries left and DONE at its limit: nothing to rename. */
                set_count_path(e, e->filename);
                return EFI_SUCCESS;
        }
        if (tries > 1)
                efi_print("keel: %s: the next counter's file exists already; counting %u tries, as %s\n", e->filename,
                          tries, next);
        err = rename_to(part, e, next);
        if (err != EFI_SUCCESS) {
                /* A read-only ESP: nothing can be counted, by keel or by the
                 * booted OS; refusing would make it unbootable. */
                clear_count_path();
                efi_print("keel: cannot count this boot try of %s (%s); booting it anyway\n", e->id,
                          efi_status_text(err));
        }
        return EFI_SUCCESS;
}
