/* SPDX-License-Identifier: MIT */
#include "companions.h"
#include "../common/bls.h"
#include "../common/cpio.h"
#include "../common/error.h"
#include "../efi/file.h"
#include "../efi/tpm.h"

/* The one console line for an `extra` line that is not packed. */
static void skip_extra(const struct boot_entry *e, const char *extra, const char *reason) {
        efi_print("keel: %s: skipping extra file %s: %s\n", e->id, extra, reason);
}

/* Reads one `extra` file of kind k (used: bytes of all kinds read so far).
 * NULL on success, else why it is skipped (for its console line). */
static const char *read_extra(EFI_FILE *root, const char *extra, const struct sidecar_kind *k, uint64_t used,
                              void **ret_data, size_t *ret_size) {
        CHAR16 *path = path_from_entry(extra);
        bool is_directory = false;
        uint64_t size = 0;
        const char *reason = NULL;
        EFI_STATUS err;

        *ret_data = NULL;
        *ret_size = 0;
        if (!path)
                return efi_status_text(EFI_OUT_OF_RESOURCES);
        err = file_stat(root, path, &is_directory, &size);
        if (err != EFI_SUCCESS)
                reason = efi_status_text(err);
        else if (is_directory)
                reason = "a directory";
        else if (size == 0)
                reason = "empty";
        else if (size > k->max_file_size || !sidecar_size_fits(k, size, used))
                reason = "larger than allowed";
        else {
                err = file_read_all(root, path, (size_t) size, ret_data, ret_size);
                if (err != EFI_SUCCESS)
                        reason = efi_status_text(err);
        }
        efi_free(path);
        return reason;
}

/* Each of an entry's `extra` lines as entry_extra_classify() sorted it:
 * its kind (ENTRY_EXTRA_KINDS for a line that is skipped) and the name it
 * gets in the archive. */
struct extra_lines {
        size_t kind[BLS_MAX_EXTRAS];
        struct slice name[BLS_MAX_EXTRAS];
};

/* The files of kind k among e's extras, read and named as x says; *ret_n
 * of them. */
static void read_kind(EFI_FILE *root, const struct boot_entry *e, const struct extra_lines *x, size_t k,
                      uint64_t *used, struct cpio_file *ret_files, size_t *ret_n) {
        size_t n = 0;

        for (size_t i = 0; i < e->n_extras; i++) {
                struct slice name = x->name[i];
                void *data;
                size_t size;
                const char *reason;
                char *copy;

                if (x->kind[i] != k)
                        continue;
                reason = read_extra(root, e->extras[i], &entry_extra_kinds[k], *used, &data, &size);
                if (reason) {
                        skip_extra(e, e->extras[i], reason);
                        continue;
                }
                copy = efi_alloc(name.len + 1);
                if (!copy) {
                        skip_extra(e, e->extras[i], efi_status_text(EFI_OUT_OF_RESOURCES));
                        efi_free(data);
                        continue;
                }
                memcpy(copy, name.ptr, name.len);
                copy[name.len] = '\0';
                ret_files[n++] = (struct cpio_file) { .name = copy, .data = data, .size = size };
                *used += size;
        }
        *ret_n = n;
}

/* One archive of files under k's directory, sized by a counting pass. Its
 * inodes go on from *inode, which is advanced past them: systemd-boot 262
 * numbers the entries of all its companion archives with one counter (the
 * archives, so their measurements, differ otherwise). */
static int pack_archive(const struct sidecar_kind *k, const struct cpio_file *files, size_t n, uint32_t *inode,
                        uint8_t **ret_buf, size_t *ret_size) {
        struct cpio_writer w;
        uint8_t *buf;
        size_t size;
        int r;

        cpio_writer_init(&w, NULL, 0);
        w.next_inode = *inode;
        r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        if (r != KEEL_OK)
                return r;
        size = w.used;
        buf = efi_alloc(size);
        if (!buf)
                return KEEL_E_NO_MEMORY;
        cpio_writer_init(&w, buf, size);
        w.next_inode = *inode;
        r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        if (r != KEEL_OK) {
                efi_free(buf);
                return r;
        }
        *inode = w.next_inode;
        *ret_buf = buf;
        *ret_size = size;
        return KEEL_OK;
}

static void pack_kind(EFI_FILE *root, const struct boot_entry *e, const struct extra_lines *x, size_t k,
                      uint64_t *used, uint32_t *inode, struct companions *c) {
        const struct sidecar_kind *kind = &entry_extra_kinds[k];
        struct cpio_file files[BLS_MAX_EXTRAS];
        uint8_t *buf = NULL;
        size_t n = 0, size = 0;
        EFI_STATUS m;
        int r;

        read_kind(root, e, x, k, used, files, &n);
        if (n == 0)
                return;
        r = pack_archive(kind, files, n, inode, &buf, &size);
        for (size_t i = 0; i < n; i++) {
                efi_free((void *) files[i].name);
                efi_free((void *) files[i].data);
        }
        if (r != KEEL_OK) {
                efi_print("keel: %s: cannot pack /%s: %s\n", e->id, kind->target, keel_strerror(r));
                return;
        }
        m = tpm_log_event_ascii(kind->pcr, buf, size, kind->description);
        if (m != EFI_SUCCESS && m != TPM_STATUS_ABSENT)
                efi_print("keel: cannot measure /%s into PCR %u: %s\n", kind->target, kind->pcr, efi_status_text(m));
        c->archives[c->n_archives++] = (struct initrd_piece) { .data = buf, .size = size };
}

void companions_pack(EFI_FILE *root, const struct boot_entry *e, struct companions *ret) {
        struct extra_lines x;
        uint64_t used = 0;
        uint32_t inode = 1;

        *ret = (struct companions) {};
        for (size_t i = 0; i < e->n_extras && i < ARRAY_SIZE(x.kind); i++) {
                int r = entry_extra_classify(slice_from_cstr(e->extras[i]), &x.kind[i], &x.name[i]);

                if (r != KEEL_OK) {
                        skip_extra(e, e->extras[i], keel_strerror(r));
                        x.kind[i] = ENTRY_EXTRA_KINDS;
                }
        }
        for (size_t k = 0; k < ENTRY_EXTRA_KINDS; k++)
                pack_kind(root, e, &x, k, &used, &inode, ret);
}

void companions_free(struct companions *c) {
        for (size_t i = 0; i < c->n_archives; i++)
                efi_free((void *) c->archives[i].data);
        *c = (struct companions) {};
}
