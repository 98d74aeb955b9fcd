/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "host-tools/install/content-gc.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/entries/esp.h"
#include "host-tools/uki/thin-content.h"
#include "common/bls.h"
#include "common/entries.h"

bool content_file_name_is_keels(const char *name) {
        const char *suffix = name + 64;

        if (strnlen(name, 72) < 70)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
                        return false;
        return strcmp(suffix, ".linux") == 0 || strcmp(suffix, ".initrd") == 0;
}

static int add_reference(struct content_references *r, const char *path) {
        if (r->n == r->cap) {
                size_t cap = r->cap ? 2 * r->cap : 64;
                void *grown = realloc(r->paths, cap * sizeof(*r->paths));
                if (!grown)
                        return log_error("out of memory");
                r->paths = grown;
                r->cap = cap;
        }
        snprintf(r->paths[r->n++], sizeof(r->paths[0]), "%s", path);
        return 0;
}

/* Adds what the file at path names. A file that is no PE image names
 * nothing, unless must_be_uki (a file in \EFI\Linux: a half-written thin
 * UKI is one, so it might name anything); -1 (after a warning) when what it
 * names cannot be known. */
static int add_references_of(const char *path, bool must_be_uki, struct content_references *refs) {
        struct thin_file_refs t;
        char why[256];

        if (thin_refs_of_file(path, &t, why, sizeof(why)) < 0) {
                log_warning("%s: %s; unused kernels and initrds are kept", path, why);
                return -1;
        }
        if (!t.is_pe && must_be_uki) {
                log_warning("%s: not a PE image; unused kernels and initrds are kept", path);
                return -1;
        }
        for (size_t i = 0; i < t.n; i++)
                if (add_reference(refs, t.refs[i].ref.path) < 0) {
                        thin_file_refs_done(&t);
                        return -1;
                }
        thin_file_refs_done(&t);
        return 0;
}

static bool has_suffix_nocase(const char *name, const char *suffix) {
        size_t len = strlen(name), n = strlen(suffix);
        return len > n && strcasecmp(name + len - n, suffix) == 0;
}

/* The regular files of a directory below volume whose names end in suffix
 * (not hidden ones, as loaders skip them): each handed to fn. */
static int for_each_file(const char *volume, const char *dir_relative, const char *suffix,
                         int (*fn)(const char *volume, const char *path, struct content_references *refs),
                         struct content_references *refs) {
        char *dir = esp_path_nocase(volume, dir_relative);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        int r = 0;

        while (d && r == 0 && (de = readdir(d))) {
                struct stat st;
                char *path;
                if (de->d_name[0] == '.' || !has_suffix_nocase(de->d_name, suffix))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = log_error("out of memory");
                        break;
                }
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                        r = fn(volume, path, refs);
                free(path);
        }
        if (d)
                closedir(d);
        free(dir);
        return r;
}

static int add_type2_references(const char *volume, const char *path, struct content_references *refs) {
        (void) volume;
        return add_references_of(path, true, refs);
}

/* A `linux`, `efi` or `uki` of a Type #1 entry on volume: it may be a thin UKI
 * (keel's loader, systemd-boot and firmware start it; its stub reads the
 * content from this volume). */
static int add_target_references(const char *volume, struct slice target, struct content_references *refs) {
        char *relative, *path;
        struct stat st;
        int r = 0;

        if (target.len == 0 || !entry_path_is_safe(target))
                return 0; /* no such line, or never booted */
        relative = strndup(target.ptr, target.len);
        if (!relative)
                return log_error("out of memory");
        path = esp_path_nocase(volume, relative);
        if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
                r = add_references_of(path, false, refs);
        free(path);
        free(relative);
        return r;
}

static int add_type1_references(const char *volume, const char *path, struct content_references *refs) {
        struct bls_entry e;
        uint8_t *data;
        size_t size;
        int r;

        /* The loader reads no larger entry file; systemd-boot might. */
        if (read_file(path, ENTRY_FILE_MAX, &data, &size) < 0) {
                log_warning("%s: cannot be read; unused kernels and initrds are kept", path);
                return -1;
        }
        bls_entry_parse(&e, data, size, NULL, NULL);
        r = add_target_references(volume, e.linux_path, refs);
        if (r == 0)
                r = add_target_references(volume, e.efi_path, refs);
        if (r == 0)
                r = add_target_references(volume, e.uki_path, refs);
        free(data);
        return r;
}

int content_references_collect(const char *const *volumes, size_t n_volumes, struct content_references *ret) {
        int r = 0;

        *ret = (struct content_references) {};
        for (size_t i = 0; r == 0 && i < n_volumes; i++) {
                if (!volumes[i])
                        continue;
                r = for_each_file(volumes[i], "EFI/Linux", ".efi", add_type2_references, ret);
                if (r == 0)
                        r = for_each_file(volumes[i], "loader/entries", ".conf", add_type1_references, ret);
        }
        if (r < 0)
                content_references_done(ret);
        return r;
}

bool content_references_contain(const struct content_references *refs, const char *path) {
        for (size_t i = 0; i < refs->n; i++)
                if (strcasecmp(refs->paths[i], path) == 0)
                        return true;
        return false;
}

void content_references_done(struct content_references *refs) {
        free(refs->paths);
        *refs = (struct content_references) {};
}

int content_gc(struct esp_writer *w, const char *const *volumes, size_t n_volumes, const char *content_dir,
               void (*removed)(const char *name, void *userdata), void *userdata) {
        struct content_references refs;
        char *dir;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (content_references_collect(volumes, n_volumes, &refs) < 0)
                return 0;
        dir = esp_writer_path(w, content_dir);
        d = dir ? opendir(dir) : NULL;
        while (d && r == 0 && (de = readdir(d))) {
                char rel[2 * THIN_PATH_MAX + 4], path[2 * THIN_PATH_MAX + 4];
                if (!content_file_name_is_keels(de->d_name))
                        continue;
                snprintf(path, sizeof(path), "/%s/%s", content_dir, de->d_name);
                if (content_references_contain(&refs, path))
                        continue;
                snprintf(rel, sizeof(rel), "%s/%s", content_dir, de->d_name);
                r = esp_writer_remove(w, rel);
                if (r == 0 && removed)
                        removed(de->d_name, userdata);
        }
        if (d)
                closedir(d);
        free(dir);
        content_references_done(&refs);
        return r;
}
