/* SPDX-License-Identifier: MIT */
#include "sidecar.h"
#include "../common/cpio.h"
#include "../common/error.h"
#include "../common/utf.h"
#include "../efi/dropin.h"
#include "../efi/tpm.h"

/* ASCII constant to UTF-16 (the kinds' strings are short literals). */
static void ascii16(const char *s, CHAR16 *out, size_t units) {
        size_t i = 0;

        for (; s[i] && i + 1 < units; i++)
                out[i] = (CHAR16) s[i];
        out[i] = 0;
}

static int *flag_of(struct stub_measurements *m, enum sidecar_flag f) {
        switch (f) {
        case SIDECAR_FLAG_SYSEXTS:
                return &m->sysexts;
        case SIDECAR_FLAG_CONFEXTS:
                return &m->confexts;
        default:
                return &m->kernel_parameters;
        }
}

/* Reads the listed files that can be used into files[] (data and names
 * owned by the caller afterwards); the others are skipped with one line. */
static size_t read_files(const struct dropin_list *l, const struct sidecar_kind *k, uint64_t *used,
                         struct cpio_file *files) {
        size_t n = 0;

        for (size_t i = 0; i < l->n_names; i++) {
                size_t units = utf16_strnlen(l->names[i], 256), size = 0, max;
                void *data = NULL;
                char *name;
                EFI_STATUS err;

                /* Never more than this kind's limit, nor than what is left of the total. */
                max = k->max_file_size;
                if (*used >= SIDECAR_TOTAL_SIZE_MAX)
                        max = 0;
                else if (SIDECAR_TOTAL_SIZE_MAX - *used < max)
                        max = (size_t) (SIDECAR_TOTAL_SIZE_MAX - *used);
                err = dropin_read(l, i, max, &data, &size);
                if (err == EFI_BAD_BUFFER_SIZE && max < k->max_file_size) {
                        efi_print("keel: skipping %ls\\%ls: the %u MiB keel takes from beside the UKI in all are used up\n",
                                  l->dir, l->names[i], (unsigned) (SIDECAR_TOTAL_SIZE_MAX >> 20));
                        continue;
                }
                if (err == EFI_BAD_BUFFER_SIZE) {
                        efi_print("keel: skipping %ls\\%ls: larger than the %u bytes keel takes for %s\n", l->dir,
                                  l->names[i], (unsigned) max, k->target);
                        continue;
                }
                if (err != EFI_SUCCESS) {
                        efi_print("keel: skipping %ls\\%ls: %s\n", l->dir, l->names[i], efi_status_text(err));
                        continue;
                }
                if (!sidecar_size_fits(k, size, *used)) {
                        efi_print("keel: skipping %ls\\%ls: too large\n", l->dir, l->names[i]);
                        efi_free(data);
                        continue;
                }
                /* Names are ASCII (efi/dropin.c took no other). */
                name = efi_alloc(units + 1);
                if (!name) {
                        efi_free(data);
                        efi_print("keel: skipping %ls\\%ls: out of memory\n", l->dir, l->names[i]);
                        continue;
                }
                for (size_t j = 0; j < units; j++)
                        name[j] = (char) l->names[i][j];
                name[units] = '\0';
                files[n++] = (struct cpio_file) { .name = name, .data = data, .size = size };
                *used += size;
        }
        return n;
}

static void pack_kind(const struct self_image *self, const struct sidecar_kind *k, uint64_t *used,
                      struct stub_sidecars *s, struct stub_measurements *m) {
        CHAR16 dir[64], suffix[32], exclude[32];
        struct dropin_list l;
        struct cpio_file *files = NULL;
        struct cpio_writer w;
        uint8_t *buf = NULL;
        size_t n = 0;
        EFI_STATUS err;
        int r;

        if (k->dir)
                ascii16(k->dir, dir, ARRAY_SIZE(dir));
        ascii16(k->suffix, suffix, ARRAY_SIZE(suffix));
        if (k->exclude_suffix)
                ascii16(k->exclude_suffix, exclude, ARRAY_SIZE(exclude));
        err = dropin_list(self->loaded_image, k->dir ? dir : NULL, suffix, k->exclude_suffix ? exclude : NULL,
                          k->max_files, &l);
        if (err != EFI_SUCCESS)
                efi_print("keel: cannot list the files for /%s: %s\n", k->target, efi_status_text(err));
        /* As systemd-stub: no archive when no name matched; when some did but
         * none could be read, the archive holds the directories alone (and is
         * measured: PCR 12/13 then say that something was there). */
        if (l.n_names == 0)
                goto out;
        files = efi_alloc_zero(l.n_names * sizeof(*files));
        if (!files) {
                efi_print("keel: cannot pack /%s: out of memory\n", k->target);
                goto out;
        }
        n = read_files(&l, k, used, files);

        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        if (r == KEEL_OK) {
                buf = efi_alloc(w.used);
                if (!buf) {
                        efi_print("keel: cannot pack /%s: out of memory\n", k->target);
                        goto out;
                }
                cpio_writer_init(&w, buf, w.used);
                r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        }
        if (r != KEEL_OK) {
                efi_print("keel: cannot pack /%s: %s\n", k->target, keel_strerror(r));
                efi_free(buf);
                goto out;
        }
        /* The whole archive, as systemd-stub measures it (EV_IPL, the
         * description as UTF-16 with its NUL). */
        stub_measured_combine(flag_of(m, k->flag),
                              stub_measure_result(m, tpm_log_event_ascii(k->pcr, buf, w.used, k->description),
                                                  k->pcr));
        s->archives[s->n_archives++] = (struct initrd_piece) { .data = buf, .size = w.used };
out:
        for (size_t i = 0; i < n; i++) {
                efi_free((void *) files[i].name);
                efi_free((void *) files[i].data);
        }
        efi_free(files);
        dropin_list_free(&l);
}

void stub_sidecars_pack(const struct self_image *self, struct stub_sidecars *ret, struct stub_measurements *m) {
        uint64_t used = 0;

        *ret = (struct stub_sidecars) {};
        for (size_t i = 0; i < SIDECAR_KINDS; i++)
                pack_kind(self, &sidecar_kinds[i], &used, ret, m);
}

EFI_STATUS stub_sidecars_add_to_initrd(const struct stub_sidecars *s, struct initrd_list *initrd) {
        EFI_STATUS err = EFI_SUCCESS;

        for (size_t i = 0; err == EFI_SUCCESS && i < s->n_archives; i++)
                err = initrd_list_add(initrd, s->archives[i].data, s->archives[i].size);
        return err;
}

void stub_sidecars_free(struct stub_sidecars *s) {
        for (size_t i = 0; i < s->n_archives; i++)
                efi_free((void *) s->archives[i].data);
        *s = (struct stub_sidecars) {};
}
