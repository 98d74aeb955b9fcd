/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host-tools/core/fileio.h"
#include "host-tools/install/extra-manifest.h"
#include "common/strutil.h"
#include "host-tools/install/gc.h"

#define MANIFEST_HEADER "# keel install: the extra files it wrote on this ESP (SHA-256, path); do not edit\n"

bool extra_same_path(const char *a, const char *b) {
        return strcasecmp(a, b) == 0;
}

/* One path component [name, name + len): NULL or what is wrong with it. */
static const char *component_problem(const char *name, size_t len) {
        char final[EXTRA_NAME_MAX + 1];

        if (len == 0)
                return "an empty path component";
        if (len > EXTRA_NAME_MAX)
                return "a path component longer than 255 bytes";
        if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
                return "a '.' or '..' component";
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) name[i];
                if (c < 0x20 || c == 0x7f)
                        return "a control character";
                if (c == '\\')
                        return "a backslash (the ESP path separator is '/')";
                if (strchr("\"*:<>?|", c))
                        return "a character FAT cannot hold (\"*:<>?|)";
        }
        if (name[len - 1] == '.' || name[len - 1] == ' ' || name[0] == ' ')
                return "a component beginning with ' ' or ending in '.' or ' ' (FAT drops them)";
        memcpy(final, name, len);
        final[len] = '\0';
        if (strstr(final, ATOMIC_FILE_TEMP_INFIX) && atomic_file_temporary_of(final, final, sizeof(final)))
                return "the name of a keel temporary";
        return NULL;
}

/* Splits path into at most 4 leading components (the rest counted), after
 * checking each one; NULL or what is wrong. */
struct split_path {
        const char *ptr[4];
        size_t len[4];
        size_t n;
};

static const char *split_problem(const char *path, struct split_path *ret) {
        const char *p = path, *why;
        size_t total = strlen(path);

        memset(ret, 0, sizeof(*ret));
        if (total == 0)
                return "an empty path";
        if (total > EXTRA_PATH_MAX)
                return "a path longer than 512 bytes";
        if (path[0] == '/')
                return "an absolute path (ESP paths are relative to its root)";
        for (;;) {
                size_t len = strcspn(p, "/");
                if ((why = component_problem(p, len)))
                        return why;
                if (ret->n < 4) {
                        ret->ptr[ret->n] = p;
                        ret->len[ret->n] = len;
                }
                ret->n++;
                if (p[len] == '\0')
                        return NULL;
                p += len + 1;
        }
}

static bool component_is(const struct split_path *s, size_t i, const char *name) {
        return i < s->n && i < 4 && slice_eq_nocase(slice_from(s->ptr[i], s->len[i]), slice_from_cstr(name));
}

/* \EFI\BOOT\BOOT*.EFI: the removable-media loader keel installs, of any
 * architecture. */
static bool is_removable_loader(const char *name, size_t len) {
        return len >= 8 && strncasecmp(name, "BOOT", 4) == 0 && strncasecmp(name + len - 4, ".EFI", 4) == 0;
}

static bool is_generation_entry(const char *name, size_t len) {
        char copy[EXTRA_NAME_MAX + 1];
        struct generation_entry e;

        memcpy(copy, name, len);
        copy[len] = '\0';
        return generation_entry_parse(copy, &e);
}

const char *extra_file_path_problem(const char *path) {
        struct split_path s;
        const char *why = split_problem(path, &s);

        if (why)
                return why;
        if (component_is(&s, 0, "EFI")) {
                if (s.n == 1)
                        return "\\EFI is a directory keel needs";
                if (component_is(&s, 1, "keel"))
                        return "\\EFI\\keel is keel's own";
                if (s.n == 2 && (component_is(&s, 1, "BOOT") || component_is(&s, 1, "Linux")))
                        return "a directory keel needs";
                if (s.n == 3 && component_is(&s, 1, "BOOT") && is_removable_loader(s.ptr[2], s.len[2]))
                        return "\\EFI\\BOOT\\BOOT*.EFI is the loader keel installs";
                if (s.n == 3 && component_is(&s, 1, "Linux") && is_generation_entry(s.ptr[2], s.len[2]))
                        return "a generation entry keel manages";
        }
        if (component_is(&s, 0, "loader")) {
                if (s.n == 1)
                        return "\\loader is a directory keel needs";
                if (component_is(&s, 1, "loader.conf"))
                        return "\\loader\\loader.conf is keel's (--loader-conf)";
                if (component_is(&s, 1, "entries"))
                        return "\\loader\\entries is for --extra-entry";
        }
        return NULL;
}

const char *extra_entry_name_problem(const char *name) {
        size_t len = strlen(name);
        const char *why;

        if (strchr(name, '/'))
                return "a plain file name, not a path";
        if ((why = component_problem(name, len)))
                return why;
        if (name[0] == '.')
                return "a hidden file name (loaders skip them)";
        if (len <= 5 || strcasecmp(name + len - 5, ".conf") != 0)
                return "a name ending in \".conf\"";
        return NULL;
}

bool extra_recorded_path_ok(const char *path) {
        size_t prefix = strlen(EXTRA_ENTRIES_DIR "/");

        if (strncasecmp(path, EXTRA_ENTRIES_DIR "/", prefix) == 0)
                return extra_entry_name_problem(path + prefix) == NULL;
        return extra_file_path_problem(path) == NULL;
}


/* One record line [line, line + len) (no '\n'): NULL or what is wrong. */
static const char *parse_line(const char *line, size_t len, struct extra_record *ret) {
        if (len < 66 || line[64] != ' ')
                return "not \"SHA256 PATH\"";
        for (size_t i = 0; i < 32; i++) {
                int hi = hex_digit_value_lower(line[2 * i]), lo = hex_digit_value_lower(line[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return "the digest is not 64 lower-case hex digits";
                ret->sha256[i] = (uint8_t) (hi << 4 | lo);
        }
        if (len - 65 > EXTRA_PATH_MAX)
                return "the path is too long";
        if (memchr(line + 65, '\0', len - 65))
                return "a NUL byte in the path";
        memcpy(ret->path, line + 65, len - 65);
        ret->path[len - 65] = '\0';
        if (!extra_recorded_path_ok(ret->path))
                return "not a path keel writes extra files to";
        return NULL;
}

static bool same_record(const struct extra_record *a, const struct extra_record *b) {
        return extra_same_path(a->path, b->path) && memcmp(a->sha256, b->sha256, 32) == 0;
}

size_t extra_manifest_parse(const void *buf, size_t len, struct extra_record *ret, size_t max,
                            void (*skipped)(unsigned line, const char *why, void *userdata), void *userdata) {
        const char *p = buf;
        size_t remaining = len, n = 0;
        unsigned number = 0;

        while (remaining > 0) {
                const char *nl = memchr(p, '\n', remaining);
                size_t line_len = nl ? (size_t) (nl - p) : remaining;
                const char *why = NULL;

                number++;
                if (line_len == 0 || p[0] == '#')
                        ;
                else if (n == max)
                        why = "too many records";
                else if (!(why = parse_line(p, line_len, &ret[n]))) {
                        bool dup = false;
                        for (size_t i = 0; i < n && !dup; i++)
                                dup = same_record(&ret[i], &ret[n]);
                        if (!dup)
                                n++;
                }
                if (why && skipped)
                        skipped(number, why, userdata);
                /* The '\n' is within remaining when found: skip it too. */
                remaining -= line_len;
                p += line_len;
                if (remaining > 0) {
                        remaining--;
                        p++;
                }
        }
        return n;
}

static int compare_records(const void *a, const void *b) {
        const struct extra_record *x = a, *y = b;
        int c = strcasecmp(x->path, y->path);

        if (c == 0)
                c = strcmp(x->path, y->path);
        return c ? c : memcmp(x->sha256, y->sha256, 32);
}

/* Whether sorted[i] repeats an earlier record: those are in its group of
 * paths equal ignoring case, right before it. */
static bool recorded_before(const struct extra_record *sorted, size_t i) {
        for (size_t k = i; k-- > 0 && extra_same_path(sorted[k].path, sorted[i].path);)
                if (same_record(&sorted[k], &sorted[i]))
                        return true;
        return false;
}

int extra_manifest_format(const struct extra_record *records, size_t n, char **ret, size_t *ret_len) {
        struct extra_record *sorted = malloc((n ? n : 1) * sizeof(*sorted));
        size_t cap = strlen(MANIFEST_HEADER) + n * (64 + 2 + EXTRA_PATH_MAX) + 1, len = 0;
        char *text = malloc(cap);

        *ret = NULL;
        *ret_len = 0;
        if (!sorted || !text) {
                free(sorted);
                free(text);
                return -1;
        }
        memcpy(sorted, records, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), compare_records);
        len = (size_t) snprintf(text, cap, "%s", MANIFEST_HEADER);
        for (size_t i = 0; i < n; i++) {
                if (!extra_recorded_path_ok(sorted[i].path)) {
                        free(sorted);
                        free(text);
                        return -1;
                }
                if (recorded_before(sorted, i))
                        continue;
                for (size_t k = 0; k < 32; k++)
                        len += (size_t) snprintf(text + len, cap - len, "%02x", sorted[i].sha256[k]);
                len += (size_t) snprintf(text + len, cap - len, " %s\n", sorted[i].path);
        }
        free(sorted);
        *ret = text;
        *ret_len = len;
        return 0;
}
