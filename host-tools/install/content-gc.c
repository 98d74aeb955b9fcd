/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host-tools/install/content-gc.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/uki/thin-content.h"
#include "common/error.h"
#include "common/pe.h"
#include "common/uki.h"

bool content_file_name_is_keels(const char *name) {
        const char *suffix = name + 64;

        if (strnlen(name, 72) < 70)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
                        return false;
        return strcmp(suffix, ".linux") == 0 || strcmp(suffix, ".initrd") == 0;
}

struct referenced {
        char (*names)[THIN_PATH_MAX + 1];
        size_t n, cap;
};

static int add_reference(struct referenced *r, const char *path) {
        if (r->n == r->cap) {
                size_t cap = r->cap ? 2 * r->cap : 64;
                void *grown = realloc(r->names, cap * sizeof(*r->names));
                if (!grown)
                        return log_error("out of memory");
                r->names = grown;
                r->cap = cap;
        }
        snprintf(r->names[r->n++], sizeof(r->names[0]), "%s", path);
        return 0;
}

/* Adds the refs of the UKI at path; -1 when it cannot be read as one. */
static int read_references(const char *path, struct referenced *refs) {
        struct mapped_file m;
        struct pe_image pe;
        struct uki_sections u;
        struct uki_thin_refs t;
        int r;

        if (map_pe_file(path, &m) < 0)
                return -1;
        r = pe_parse_headers(m.data, m.size, &pe);
        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &u);
        if (r == KEEL_OK)
                r = uki_read_thin_refs(&u, m.data, m.size, &t);
        unmap_file(&m);
        if (r != KEEL_OK)
                return log_error("%s: %s", path, keel_strerror(r));
        if (t.has_linux && add_reference(refs, t.linux_ref.path) < 0)
                return -1;
        if (t.has_initrd && add_reference(refs, t.initrd_ref.path) < 0)
                return -1;
        return 0;
}

static bool is_referenced(const struct referenced *refs, const char *content_dir, const char *name) {
        char path[2 * THIN_PATH_MAX + 4];

        snprintf(path, sizeof(path), "/%s/%s", content_dir, name);
        for (size_t i = 0; i < refs->n; i++)
                if (strcasecmp(refs->names[i], path) == 0)
                        return true;
        return false;
}

static int collect_references(struct esp_writer *w, const char *entries_dir, struct referenced *refs) {
        char *dir = esp_writer_path(w, entries_dir);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        int r = 0;

        while (d && r == 0 && (de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char *path;
                if (de->d_name[0] == '.' || len < 4 || strcasecmp(de->d_name + len - 4, ".efi") != 0)
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        return log_error("out of memory");
                r = read_references(path, refs);
                free(path);
        }
        if (d)
                closedir(d);
        free(dir);
        return r;
}

int content_gc(struct esp_writer *w, const char *entries_dir, const char *content_dir,
               void (*removed)(const char *name, void *userdata), void *userdata) {
        struct referenced refs = {};
        char *dir;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (collect_references(w, entries_dir, &refs) < 0) {
                free(refs.names);
                log_warning("an entry in %s cannot be read; unused kernels and initrds are kept", entries_dir);
                return 0;
        }
        dir = esp_writer_path(w, content_dir);
        d = dir ? opendir(dir) : NULL;
        while (d && r == 0 && (de = readdir(d))) {
                char rel[2 * THIN_PATH_MAX + 4];
                if (!content_file_name_is_keels(de->d_name) || is_referenced(&refs, content_dir, de->d_name))
                        continue;
                snprintf(rel, sizeof(rel), "%s/%s", content_dir, de->d_name);
                r = esp_writer_remove(w, rel);
                if (r == 0 && removed)
                        removed(de->d_name, userdata);
        }
        if (d)
                closedir(d);
        free(dir);
        free(refs.names);
        return r;
}
