/* SPDX-License-Identifier: MIT */
#include "count.h"
#include "../common/bootcount-move.h"
#include "../common/bootcount.h"
#include "../common/error.h"
#include "../common/utf.h"
#include "../efi/file.h"

#define NAME_MAX_BYTES 512
/* The largest entry file counted by copying (a UKI with its initrds). */
#define COPY_MAX_BYTES (1024u * 1024 * 1024)

static const CHAR16 *const entry_dirs[] = { L"\\loader\\entries\\", L"\\EFI\\Linux\\" };

static const CHAR16 *entry_dir(const struct boot_entry *e) {
        return entry_dirs[e->type == ENTRY_TYPE1 ? 0 : 1];
}

/* dir + UTF-8 name (len bytes) as one UTF-16 path (caller frees). */
static CHAR16 *dir_file_path(const CHAR16 *dir, const char *name, size_t n) {
        size_t d = utf16_strnlen(dir, 64);
        CHAR16 *p = efi_alloc((d + n + 1) * sizeof(CHAR16));

        if (!p)
                return NULL;
        memcpy(p, dir, d * sizeof(CHAR16));
        utf8_to_utf16(name, n, p + d);
        return p;
}

static CHAR16 *entry_file_path(const struct boot_entry *e, const char *name) {
        return dir_file_path(entry_dir(e), name, strlen(name));
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

/* Where the firmware cannot rename (U-Boot): copy the file to its new name,
 * then delete the old one, with a record of the move written first and
 * removed last (common/bootcount-move.h), so that a crash in between is
 * undone by count_recover_moves() on the next boot. On failure nothing
 * keel wrote is left behind. */
static EFI_STATUS move_by_copy(const struct partition *part, const struct boot_entry *e, const CHAR16 *old_path,
                               const char *next) {
        CHAR16 *record_path = entry_file_path(e, BOOTCOUNT_MOVE_RECORD_NAME), *new_path = entry_file_path(e, next);
        char record[BOOTCOUNT_MOVE_RECORD_MAX];
        void *data = NULL;
        size_t record_len, size;
        EFI_STATUS err = EFI_OUT_OF_RESOURCES;

        if (!record_path || !new_path)
                goto out;
        err = EFI_INVALID_PARAMETER;
        if (bootcount_move_format(e->filename, next, record, sizeof(record), &record_len) != KEEL_OK)
                goto out;
        err = file_read_all(part->root, old_path, COPY_MAX_BYTES, &data, &size);
        if (err != EFI_SUCCESS)
                goto out;
        err = file_create(part->root, record_path, record, record_len);
        if (err != EFI_SUCCESS)
                goto out;
        err = file_create(part->root, new_path, data, size);
        if (err == EFI_SUCCESS) {
                err = file_delete(part->root, old_path);
                if (err != EFI_SUCCESS)
                        (void) file_delete(part->root, new_path);
        }
        (void) file_delete(part->root, record_path);
out:
        efi_free(data);
        efi_free(new_path);
        efi_free(record_path);
        return err;
}

/* Renames the entry file to next (or, where the firmware cannot rename,
 * moves it by copying) and makes the entry that file. */
static EFI_STATUS rename_to(const struct partition *part, struct boot_entry *e, const char *next) {
        CHAR16 *old_path = entry_file_path(e, e->filename), *new_name = efi_alloc((strlen(next) + 1) * sizeof(CHAR16));
        struct bootcount_name renamed;
        EFI_STATUS err = EFI_OUT_OF_RESOURCES;

        if (!old_path || !new_name)
                goto out;
        utf8_to_utf16(next, strlen(next), new_name);
        err = file_rename(part->root, old_path, new_name);
        if (err == EFI_ACCESS_DENIED || err == EFI_UNSUPPORTED) {
                efi_print("keel: the firmware cannot rename %s; counting the try by copying it\n", e->filename);
                err = move_by_copy(part, e, old_path, next);
        }
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

/* A move record left by a crash (move_by_copy) in one entry directory:
 * while the old file exists, its copy may be incomplete and goes; the
 * record goes in any case. */
static void recover_move(EFI_FILE *root, const CHAR16 *dir) {
        CHAR16 *record_path = dir_file_path(dir, BOOTCOUNT_MOVE_RECORD_NAME, strlen(BOOTCOUNT_MOVE_RECORD_NAME));
        CHAR16 *from = NULL, *to = NULL;
        struct bootcount_move m;
        void *data = NULL;
        size_t size;
        int r;

        if (!record_path || file_read_all(root, record_path, BOOTCOUNT_MOVE_RECORD_MAX, &data, &size) != EFI_SUCCESS)
                goto out;
        r = bootcount_move_parse(data, size, &m);
        if (r != KEEL_OK)
                efi_print("keel: %ls: %s; removing it\n", record_path, keel_strerror(r));
        else {
                from = dir_file_path(dir, m.from.ptr, m.from.len);
                to = dir_file_path(dir, m.to.ptr, m.to.len);
                if (from && to && file_exists(root, from)) {
                        efi_print("keel: a boot try was being counted when the machine stopped; keeping %ls\n", from);
                        (void) file_delete(root, to);
                }
        }
        (void) file_delete(root, record_path);
out:
        efi_free(to);
        efi_free(from);
        efi_free(data);
        efi_free(record_path);
}

void count_recover_moves(EFI_FILE *root) {
        for (size_t i = 0; i < sizeof(entry_dirs) / sizeof(entry_dirs[0]); i++)
                recover_move(root, entry_dirs[i]);
}
