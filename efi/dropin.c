/* SPDX-License-Identifier: MIT */
#include "dropin.h"
#include "file.h"
#include "../common/bootcount.h"
#include "../common/dropin.h"
#include "../common/utf.h"

/* Refused names get one console line each up to this many per directory,
 * then one line with the count: 10,000 hostile files must not take minutes
 * of serial console output. */
#define DROPIN_REPORT_MAX 5
/* No caller needs more names than this; it bounds the list's allocation. */
#define DROPIN_NAMES_LIMIT 4096

static size_t str16_len(const CHAR16 *s) {
        return utf16_strnlen(s, SIZE_MAX / sizeof(CHAR16) - 1);
}

static CHAR16 *str16_dup(const CHAR16 *s) {
        size_t n = str16_len(s);
        CHAR16 *d = efi_alloc((n + 1) * sizeof(CHAR16));

        if (d)
                memcpy(d, s, (n + 1) * sizeof(CHAR16));
        return d;
}

/* a + b + c as a fresh string (c may be NULL). */
static CHAR16 *str16_join(const CHAR16 *a, const CHAR16 *b, const CHAR16 *c) {
        size_t na = str16_len(a), nb = str16_len(b), nc = c ? str16_len(c) : 0;
        CHAR16 *d = efi_alloc((na + nb + nc + 1) * sizeof(CHAR16));

        if (!d)
                return NULL;
        memcpy(d, a, na * sizeof(CHAR16));
        memcpy(d + na, b, nb * sizeof(CHAR16));
        if (nc)
                memcpy(d + na + nb, c, nc * sizeof(CHAR16));
        d[na + nb + nc] = 0;
        return d;
}

/* The image's own "<FilePath>.extra.d" as a volume path, as systemd-stub's
 * get_extra_dir(): only when the file path is made of file-path nodes
 * alone; '/' taken as '\', separators not doubled, a leading '\', the boot
 * counter dropped from the file name ("os+2-1.efi" has "os.efi.extra.d").
 * NULL when the image has no usable file path (some loaders pass none). */
static CHAR16 *extra_dir_of(const EFI_DEVICE_PATH *fp) {
        CHAR16 *text, *out;
        size_t n, o = 0;

        if (!fp)
                return NULL;
        for (const EFI_DEVICE_PATH *node = fp; node->Type != END_DEVICE_PATH_TYPE;) {
                size_t len = (size_t) node->Length[0] | ((size_t) node->Length[1] << 8);
                if (node->Type != MEDIA_DEVICE_PATH || node->SubType != MEDIA_FILEPATH_DP || len < 4)
                        return NULL;
                node = (const EFI_DEVICE_PATH *) ((const uint8_t *) node + len);
        }
        text = devpath_file_path_text(fp);
        if (!text)
                return NULL;
        n = str16_len(text);
        out = efi_alloc((n + 2 + 8 + 1) * sizeof(CHAR16));
        if (!out) {
                efi_free(text);
                return NULL;
        }
        out[o++] = '\\';
        for (size_t i = 0; i < n; i++) {
                CHAR16 c = text[i] == '/' ? '\\' : text[i];
                if (c == '\\' && out[o - 1] == '\\')
                        continue;
                out[o++] = c;
        }
        efi_free(text);
        /* A path that ends in a separator names no file. */
        if (o <= 1 || out[o - 1] == '\\') {
                efi_free(out);
                return NULL;
        }
        o = bootcount_strip_path16(out, o);
        memcpy(out + o, L".extra.d", 9 * sizeof(CHAR16));
        return out;
}

/* A name for the console: printable ASCII as it is, anything else as '?'
 * (a hostile name must not drive the console), at most 64 characters. */
static void printable_name(const CHAR16 *name, size_t max_units, CHAR16 out[68]) {
        size_t i = 0;

        for (; i < max_units && i < 64 && name[i]; i++)
                out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
        if (i == 64 && i < max_units && name[i]) {
                out[i++] = '.';
                out[i++] = '.';
                out[i++] = '.';
        }
        out[i] = 0;
}

EFI_STATUS dropin_list(EFI_LOADED_IMAGE *image, const CHAR16 *path, const CHAR16 *suffix,
                       const CHAR16 *exclude_suffix, size_t max_names, struct dropin_list *ret) {
        EFI_FILE *root = NULL, *dir = NULL;
        EFI_FILE_INFO *info = NULL;
        const CHAR16 **names = NULL;
        size_t n = 0, refused = 0, over = 0;
        uint64_t dir_size;
        bool is_dir = false;
        EFI_STATUS err;

        *ret = (struct dropin_list) {};
        if (!image || !image->DeviceHandle)
                return EFI_SUCCESS;
        ret->device = image->DeviceHandle;
        ret->dir = path ? str16_dup(path) : extra_dir_of(image->FilePath);
        if (!ret->dir)
                return path ? EFI_OUT_OF_RESOURCES : EFI_SUCCESS;

        err = file_open_volume(image->DeviceHandle, &root);
        if (err != EFI_SUCCESS)
                /* No file system on the image's device (a network boot, a
                 * loader's memory image): nothing beside the image. */
                return EFI_SUCCESS;
        /* A file where the directory should be: Read() on it would return
         * its bytes, which must never be taken for directory entries. */
        err = file_stat(root, ret->dir, &is_dir, &dir_size);
        if (err == EFI_SUCCESS && !is_dir) {
                efi_print("keel: %ls is not a directory; ignored\n", ret->dir);
                root->Close(root);
                return EFI_SUCCESS;
        }
        if (err == EFI_SUCCESS)
                err = root->Open(root, &dir, ret->dir, EFI_FILE_MODE_READ, 0);
        if (err != EFI_SUCCESS) {
                if (err != EFI_NOT_FOUND)
                        efi_print("keel: cannot open %ls: %s\n", ret->dir, efi_status_text(err));
                root->Close(root);
                return err == EFI_NOT_FOUND ? EFI_SUCCESS : err;
        }
        if (max_names > DROPIN_NAMES_LIMIT)
                max_names = DROPIN_NAMES_LIMIT;
        /* One more slot than kept, so that insertion never needs room it lacks. */
        names = efi_alloc_zero((max_names + 1) * sizeof(*names));
        if (!names) {
                err = EFI_OUT_OF_RESOURCES;
                goto out;
        }
        for (;;) {
                size_t max_units;
                enum dropin_verdict v;
                const CHAR16 *dropped;
                CHAR16 *copy;

                err = dir_next(dir, &info);
                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot read the directory %ls: %s\n", ret->dir, efi_status_text(err));
                        break;
                }
                if (!info)
                        break;
                if (info->Attribute & EFI_FILE_DIRECTORY)
                        goto next;
                /* Never past dir_next()'s buffer (at least 256 units of name
                 * after the header), whatever Size the entry claims: 257
                 * units tell a name of 255 or fewer from a longer one. */
                max_units = info->Size > offsetof(EFI_FILE_INFO, FileName)
                                    ? (info->Size - offsetof(EFI_FILE_INFO, FileName)) / sizeof(CHAR16)
                                    : 0;
                if (max_units > DROPIN_NAME_MAX + 2)
                        max_units = DROPIN_NAME_MAX + 2;
                v = dropin_check_name(info->FileName, max_units, suffix, exclude_suffix);
                if (v == DROPIN_OTHER)
                        goto next;
                if (v != DROPIN_TAKE) {
                        if (refused++ < DROPIN_REPORT_MAX) {
                                CHAR16 shown[68];
                                printable_name(info->FileName, max_units, shown);
                                efi_print("keel: skipping %ls\\%ls: %s\n", ret->dir, shown, dropin_verdict_text(v));
                        }
                        goto next;
                }
                copy = str16_dup(info->FileName);
                if (!copy) {
                        err = EFI_OUT_OF_RESOURCES;
                        break;
                }
                if (!dropin_keep_sorted(names, &n, max_names, copy, &dropped))
                        over++;
                else if (dropped)
                        over++;
                efi_free((void *) dropped);
        next:
                efi_free(info);
                info = NULL;
        }
        efi_free(info);
        if (refused > DROPIN_REPORT_MAX)
                efi_print("keel: skipping %u more files in %ls with bad names\n",
                          (unsigned) (refused - DROPIN_REPORT_MAX), ret->dir);
        if (over > 0)
                efi_print("keel: %ls has more than %u %ls files: the %u that sort last are skipped\n", ret->dir,
                          (unsigned) max_names, suffix, (unsigned) over);
        ret->names = (CHAR16 **) names;
        ret->n_names = n;
        names = NULL;
        /* A directory that cannot be read to its end still gives what was read. */
        if (err != EFI_OUT_OF_RESOURCES)
                err = EFI_SUCCESS;
out:
        efi_free(names);
        dir->Close(dir);
        root->Close(root);
        return err;
}

CHAR16 *dropin_path(const struct dropin_list *l, size_t i) {
        if (i >= l->n_names)
                return NULL;
        return str16_join(l->dir, L"\\", l->names[i]);
}

EFI_STATUS dropin_read(const struct dropin_list *l, size_t i, size_t max_size, void **ret_data, size_t *ret_size) {
        EFI_FILE *root = NULL;
        CHAR16 *path;
        EFI_STATUS err;

        *ret_data = NULL;
        *ret_size = 0;
        if (i >= l->n_names)
                return EFI_INVALID_PARAMETER;
        path = dropin_path(l, i);
        if (!path)
                return EFI_OUT_OF_RESOURCES;
        err = file_open_volume(l->device, &root);
        if (err == EFI_SUCCESS) {
                err = file_read_all(root, path, max_size, ret_data, ret_size);
                root->Close(root);
        }
        efi_free(path);
        return err;
}

void dropin_list_free(struct dropin_list *l) {
        for (size_t i = 0; i < l->n_names; i++)
                efi_free(l->names[i]);
        efi_free(l->names);
        efi_free(l->dir);
        *l = (struct dropin_list) {};
}
