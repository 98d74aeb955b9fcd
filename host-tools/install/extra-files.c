/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/install/extra-files.h"
#include "common/bls.h"
#include "common/entries.h"
#include "common/sha256.h"

/* Whether path lies below directory dir (ignoring case). */
static bool is_below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strncasecmp(path, dir, n) == 0 && path[n] == '/';
}

int extras_add_option(struct extras *x, const char *argument, bool entry) {
        const char *option = entry ? "--extra-entry" : "--extra-file";
        const char *eq = strchr(argument, '='), *why;
        char *dest, *name;
        struct extra_item *grown;

        if (!eq || eq == argument || !eq[1])
                return log_error("install: %s needs %s=SRC, not '%s'", option, entry ? "NAME.conf" : "DEST", argument);
        name = strndup(argument, (size_t) (eq - argument));
        if (!name)
                return log_error("out of memory");
        why = entry ? extra_entry_name_problem(name) : extra_file_path_problem(name);
        if (why) {
                log_error("install: %s '%s': %s", option, name, why);
                free(name);
                return -1;
        }
        if (entry) {
                if (asprintf(&dest, EXTRA_ENTRIES_DIR "/%s", name) < 0)
                        dest = NULL;
                free(name);
        } else
                dest = name;
        if (!dest)
                return log_error("out of memory");
        for (size_t i = 0; i < x->n; i++) {
                const char *other = x->items[i].dest;
                if (extra_same_path(other, dest)) {
                        log_error("install: %s is given twice (as %s and %s)", dest, other, dest);
                        free(dest);
                        return -1;
                }
                if (is_below(dest, other) || is_below(other, dest)) {
                        log_error("install: %s and %s: one would be a file and a directory", other, dest);
                        free(dest);
                        return -1;
                }
        }
        grown = realloc(x->items, (x->n + 1) * sizeof(*x->items));
        if (!grown) {
                free(dest);
                return log_error("out of memory");
        }
        x->items = grown;
        x->items[x->n++] = (struct extra_item) { .dest = dest, .source = eq + 1, .is_entry = entry };
        return 0;
}

struct entry_check {
        unsigned line;
        char what[128];
};

static void note_entry_warning(void *userdata, unsigned line, const char *what, struct slice key) {
        struct entry_check *c = userdata;

        if (c->line)
                return;
        c->line = line ? line : 1;
        snprintf(c->what, sizeof(c->what), "%s '%.*s'", what, (int) (key.len < 40 ? key.len : 40), key.ptr);
}

/* An --extra-entry's text: what keel's own loader and bootctl read as a
 * Type #1 entry that boots something. */
static const char *entry_problem(const uint8_t *text, size_t size, char *why, size_t why_size) {
        struct entry_check c = {};
        struct bls_entry e;
        unsigned kinds;

        if (memchr(text, '\0', size))
                return "a NUL byte: not a Type #1 entry";
        bls_entry_parse(&e, text, size, note_entry_warning, &c);
        if (c.line) {
                snprintf(why, why_size, "line %u: %s: not a Type #1 entry keel reads", c.line, c.what);
                return why;
        }
        kinds = (e.linux_path.len > 0) + (e.efi_path.len > 0) + (e.uki_path.len > 0);
        if (e.conflicting_kinds || kinds > 1)
                return "more than one of linux, efi, uki: loaders hide such an entry";
        if (kinds == 0)
                return "names nothing to boot (no linux, efi or uki line)";
        if (!entry_path_is_safe(e.linux_path) || !entry_path_is_safe(e.efi_path) || !entry_path_is_safe(e.uki_path) ||
            !entry_path_is_safe(e.devicetree))
                return "a path leaves the partition ('..') or has a control character";
        for (size_t i = 0; i < e.n_initrds; i++)
                if (!entry_path_is_safe(e.initrds[i]))
                        return "an initrd path leaves the partition ('..') or has a control character";
        return NULL;
}

/* A file can go to dest on the ESP: no directory there, and each
 * directory above it a directory or missing. Checked before anything is
 * written, so that the run does not stop half-way. */
static int check_destination(const struct esp_writer *esp, const char *dest) {
        char prefix[EXTRA_PATH_MAX + 1];
        int r = 0;

        for (size_t i = 0; r == 0 && dest[i]; i++) {
                char *path;
                struct stat st;
                if (dest[i + 1] != '/' && dest[i + 1] != '\0')
                        continue;
                snprintf(prefix, sizeof(prefix), "%.*s", (int) (i + 1), dest);
                path = esp_writer_path(esp, prefix);
                if (!path)
                        return -1;
                if (lstat(path, &st) == 0) {
                        if (dest[i + 1] == '/' && !S_ISDIR(st.st_mode))
                                r = log_error("install: %s: %s on the ESP is not a directory", dest, prefix);
                        else if (dest[i + 1] == '\0' && !S_ISREG(st.st_mode))
                                r = log_error("install: %s is not a regular file on the ESP", dest);
                }
                free(path);
        }
        return r;
}

static int plan_item(struct extra_item *it, struct esp_writer *esp) {
        if (check_destination(esp, it->dest) < 0)
                return -1;
        if (it->is_entry) {
                const char *name = it->dest + strlen(EXTRA_ENTRIES_DIR "/"), *why;
                char buf[256];
                size_t size;

                if (read_file(it->source, ENTRY_FILE_MAX, &it->entry_text, &size) < 0)
                        return -1;
                if ((why = entry_problem(it->entry_text, size, buf, sizeof(buf))))
                        return log_error("install: --extra-entry %s: %s: %s", name, it->source, why);
                it->size = size;
                sha256(it->entry_text, size, it->sha256);
        } else if (file_sha256(it->source, it->sha256, &it->size) < 0)
                return -1;
        it->unchanged = esp_writer_same(esp, it->dest, it->entry_text, it->source, it->size);
        return 0;
}

static void note_skipped_record(unsigned line, const char *why, void *userdata) {
        (void) userdata;
        log_warning("%s line %u: %s; skipped (a file it named is left in place)", EXTRA_MANIFEST_PATH, line, why);
}

/* The record on the ESP. One that cannot be read names nothing: what it
 * named stays on the ESP, unrecorded (never a reason to remove a file). */
static int read_record(struct extras *x, struct esp_writer *esp) {
        char *path = esp_writer_path(esp, EXTRA_MANIFEST_PATH);
        struct stat st;
        uint8_t *data;
        size_t size;

        if (!path)
                return -1;
        x->has_record = lstat(path, &st) == 0;
        if (x->has_record && (!S_ISREG(st.st_mode) || read_file(path, EXTRA_MANIFEST_MAX_SIZE, &data, &size) < 0)) {
                log_warning("%s cannot be read; the extra files it names are left in place", EXTRA_MANIFEST_PATH);
                x->has_record = S_ISREG(st.st_mode);
                free(path);
                return 0;
        }
        free(path);
        if (!x->has_record)
                return 0;
        x->recorded = calloc(EXTRA_MANIFEST_MAX_RECORDS, sizeof(*x->recorded));
        if (!x->recorded) {
                free(data);
                return log_error("out of memory");
        }
        x->n_recorded = extra_manifest_parse(data, size, x->recorded, EXTRA_MANIFEST_MAX_RECORDS,
                                             note_skipped_record, NULL);
        free(data);
        return 0;
}

static const struct extra_item *item_at(const struct extras *x, const char *path) {
        for (size_t i = 0; i < x->n; i++)
                if (extra_same_path(x->items[i].dest, path))
                        return &x->items[i];
        return NULL;
}

/* The texts of the record: first the union of what was recorded and what
 * this run writes (so that a crash leaves every file keel wrote recorded),
 * then what is asked for now. */
static int make_records(struct extras *x) {
        struct extra_record *all = calloc(x->n_recorded + x->n + 1, sizeof(*all));
        int r;

        if (!all)
                return log_error("out of memory");
        for (size_t i = 0; i < x->n; i++) {
                snprintf(all[i].path, sizeof(all[i].path), "%s", x->items[i].dest);
                memcpy(all[i].sha256, x->items[i].sha256, 32);
        }
        r = extra_manifest_format(all, x->n, &x->record_after, &x->record_after_len);
        if (r == 0) {
                memcpy(all + x->n, x->recorded, x->n_recorded * sizeof(*all));
                r = extra_manifest_format(all, x->n + x->n_recorded, &x->record_before, &x->record_before_len);
        }
        free(all);
        return r < 0 ? log_error("out of memory") : 0;
}

int extras_plan(struct extras *x, struct esp_writer *esp) {
        for (size_t i = 0; i < x->n; i++)
                if (plan_item(&x->items[i], esp) < 0)
                        return -1;
        if (read_record(x, esp) < 0)
                return -1;
        return make_records(x);
}

uint64_t extras_space_needed(const struct extras *x, uint64_t (*allocated)(uint64_t size)) {
        uint64_t need = 0;

        for (size_t i = 0; i < x->n; i++)
                if (!x->items[i].unchanged)
                        need += allocated(x->items[i].size);
        if (x->n > 0 || x->has_record)
                need += allocated(x->record_before_len) + allocated(x->record_after_len);
        return need;
}

static int put_record(struct esp_writer *esp, const char *text, size_t len) {
        if (esp_writer_same(esp, EXTRA_MANIFEST_PATH, text, NULL, len))
                return 0;
        return esp_writer_put(esp, EXTRA_MANIFEST_PATH, text, NULL, len);
}

/* Directory of path (dirname) into buf; false for a top-level file. */
static bool parent_of(const char *path, char *buf, size_t size) {
        const char *slash = strrchr(path, '/');

        size_t len;

        if (!slash)
                return false;
        len = (size_t) (slash - path) < size ? (size_t) (slash - path) : size - 1;
        memmove(buf, path, len);
        buf[len] = '\0';
        return true;
}

static int install_item(struct esp_writer *esp, const struct extra_item *it,
                        void (*report)(const char *, const char *, void *), void *userdata) {
        char dir[EXTRA_PATH_MAX + 1];
        const char *name = strrchr(it->dest, '/');

        name = name ? name + 1 : it->dest;
        if (parent_of(it->dest, dir, sizeof(dir)) &&
            (esp_writer_mkdirs(esp, dir) < 0 || esp_writer_remove_temporaries_of(esp, dir, name) < 0))
                return -1;
        if (!parent_of(it->dest, dir, sizeof(dir)) && esp_writer_remove_temporaries_of(esp, "", name) < 0)
                return -1;
        if (it->unchanged)
                return 0;
        if (esp_writer_put(esp, it->dest, it->entry_text, it->source, it->size) < 0)
                return -1;
        report(it->is_entry ? "extra-entry" : "extra-file", it->dest, userdata);
        return 0;
}

static bool is_kept_dir(const char *dir) {
        static const char *const kept[] = { "EFI", "EFI/BOOT", "EFI/Linux", "EFI/keel", "loader", "loader/entries" };

        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
                if (extra_same_path(dir, kept[i]))
                        return true;
        return false;
}

/* The directories above path that its removal left empty. */
static int remove_empty_parents(struct esp_writer *esp, const char *path) {
        char dir[EXTRA_PATH_MAX + 1];
        bool removed = true;

        snprintf(dir, sizeof(dir), "%s", path);
        while (removed && parent_of(dir, dir, sizeof(dir)) && !is_kept_dir(dir))
                if (esp_writer_remove_empty_dir(esp, dir, &removed) < 0)
                        return -1;
        return 0;
}

/* Whether full (a regular file, not a link) is inside the ESP root: a
 * recorded path is checked for '..' already; this also keeps a linked
 * directory on a non-FAT "ESP" from leading out. */
static bool inside_root(const struct esp_writer *esp, const char *full) {
        char root[PATH_MAX], real[PATH_MAX];
        size_t n;

        if (!realpath(esp->root, root) || !realpath(full, real))
                return false;
        n = strlen(root);
        return strncmp(real, root, n) == 0 && (real[n] == '/' || (n == 1 && root[0] == '/'));
}

/* A recorded file no longer asked for: removed only while it has a
 * digest recorded for its path (the content keel wrote). */
static int collect_one(struct extras *x, struct esp_writer *esp, size_t index,
                       void (*report)(const char *, const char *, void *), void *userdata) {
        const char *rel = x->recorded[index].path;
        char *full = esp_writer_path(esp, rel);
        uint8_t digest[32];
        uint64_t size;
        struct stat st;
        bool recorded = false;
        int r = 0;

        if (!full)
                return -1;
        if (lstat(full, &st) < 0) {
                /* Gone already, maybe by a run stopped before it removed
                 * the directories it left empty. */
                free(full);
                return remove_empty_parents(esp, rel);
        }
        if (!S_ISREG(st.st_mode) || !inside_root(esp, full) || file_sha256(full, digest, &size) < 0) {
                log_warning("%s is no regular file on the ESP keel can read; left in place", rel);
                free(full);
                return 0;
        }
        free(full);
        for (size_t i = 0; i < x->n_recorded; i++)
                recorded |= extra_same_path(x->recorded[i].path, rel) && memcmp(x->recorded[i].sha256, digest, 32) == 0;
        if (!recorded) {
                log_warning("%s was changed since keel install wrote it; left in place", rel);
                return 0;
        }
        r = esp_writer_remove(esp, rel);
        if (r == 0)
                report("removed-extra", rel, userdata);
        if (r == 0)
                r = remove_empty_parents(esp, rel);
        return r;
}

/* Entries first (an entry may name an extra file), then files; each path
 * once, however many digests it has. */
static int collect_garbage(struct extras *x, struct esp_writer *esp,
                           void (*report)(const char *, const char *, void *), void *userdata) {
        for (int entries = 1; entries >= 0; entries--)
                for (size_t i = 0; i < x->n_recorded; i++) {
                        const char *path = x->recorded[i].path;
                        bool seen = false;
                        if ((strncasecmp(path, EXTRA_ENTRIES_DIR "/", strlen(EXTRA_ENTRIES_DIR "/")) == 0) != entries ||
                            item_at(x, path))
                                continue;
                        for (size_t k = 0; k < i && !seen; k++)
                                seen = extra_same_path(x->recorded[k].path, path);
                        if (!seen && collect_one(x, esp, i, report, userdata) < 0)
                                return -1;
                }
        return 0;
}

int extras_install(struct extras *x, struct esp_writer *esp,
                   void (*report)(const char *what, const char *path, void *userdata), void *userdata) {
        if (x->n == 0 && !x->has_record)
                return 0;
        if (esp_writer_mkdirs(esp, "EFI/keel") < 0 || esp_writer_remove_temporaries_of(esp, "EFI/keel", "extra-files") < 0)
                return -1;
        if (x->n > 0 && put_record(esp, x->record_before, x->record_before_len) < 0)
                return -1;
        for (int entries = 0; entries <= 1; entries++)
                for (size_t i = 0; i < x->n; i++)
                        if (x->items[i].is_entry == entries && install_item(esp, &x->items[i], report, userdata) < 0)
                                return -1;
        if (collect_garbage(x, esp, report, userdata) < 0)
                return -1;
        if (x->n == 0)
                return esp_writer_remove(esp, EXTRA_MANIFEST_PATH);
        return put_record(esp, x->record_after, x->record_after_len);
}

bool extras_wrote(struct esp_writer *esp, const char *dest, size_t max) {
        struct extras x = {};
        char *path;
        uint8_t *data, digest[32];
        size_t size;
        bool wrote = false;

        if (read_record(&x, esp) < 0 || !x.recorded)
                goto out;
        path = esp_writer_path(esp, dest);
        if (!path || read_file(path, max, &data, &size) < 0) {
                free(path);
                goto out;
        }
        free(path);
        sha256(data, size, digest);
        free(data);
        for (size_t i = 0; i < x.n_recorded && !wrote; i++)
                wrote = extra_same_path(x.recorded[i].path, dest) && memcmp(x.recorded[i].sha256, digest, 32) == 0;
out:
        extras_done(&x);
        return wrote;
}

void extras_done(struct extras *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->items[i].dest);
                free(x->items[i].entry_text);
        }
        free(x->items);
        free(x->recorded);
        free(x->record_before);
        free(x->record_after);
        memset(x, 0, sizeof(*x));
}
