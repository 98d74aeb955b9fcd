/* SPDX-License-Identifier: MIT */
#include "entries.h"
#include "bls.h"
#include "error.h"
#include "glob.h"
#include "osrel.h"
#include "version.h"

/* Bounds for fields copied from the ESP: an entry with a longer one is
 * skipped rather than truncated, so that it cannot sort or match as
 * something it is not. */
#define ENTRY_FIELD_MAX 512
#define ENTRY_OPTIONS_MAX 8192
#define ENTRY_ID_MAX 256
#define OSREL_VALUE_MAX ENTRY_FIELD_MAX
#define ENTRY_ARCHITECTURE "x64"

void entry_list_init(struct entry_list *l, struct boot_entry *storage, size_t capacity, char *arena, size_t arena_size,
                     entry_warn_fn warn, void *userdata) {
        *l = (struct entry_list) {
                .entries = storage,
                .capacity = capacity,
                .arena = arena,
                .arena_size = arena_size,
                .warn = warn,
                .userdata = userdata,
        };
}

static void warn(struct entry_list *l, struct slice filename, const char *what) {
        char name[ENTRY_ID_MAX];
        size_t n = filename.len < sizeof(name) - 1 ? filename.len : sizeof(name) - 1;

        if (!l->warn)
                return;
        memcpy(name, filename.ptr, n);
        name[n] = '\0';
        l->warn(l->userdata, name, what);
}

/* Arena allocation: a transaction per entry, rolled back when the entry is
 * refused half-way. */
static void *arena_alloc(struct entry_list *l, size_t size, size_t align) {
        /* Align the address, not the offset: the arena is the caller's char
         * buffer and may start anywhere. */
        size_t misalign = (size_t) (((uintptr_t) l->arena + l->arena_used) & (align - 1));
        size_t pad = misalign ? align - misalign : 0, start;

        if (pad > l->arena_size - l->arena_used || size > l->arena_size - l->arena_used - pad)
                return NULL;
        start = l->arena_used + pad;
        l->arena_used = start + size;
        return l->arena + start;
}

static const char *arena_strdup(struct entry_list *l, struct slice s, bool *ok) {
        char *p;

        if (!*ok)
                return NULL;
        p = arena_alloc(l, s.len + 1, 1);
        if (!p) {
                *ok = false;
                return NULL;
        }
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
        return p;
}

static const char *arena_strdup_optional(struct entry_list *l, struct slice s, bool *ok) {
        return s.len > 0 ? arena_strdup(l, s, ok) : NULL;
}

/* bootctl's rule for entry IDs: they must be usable as EFI variable values
 * and file names. */
static bool id_is_valid(const char *id) {
        size_t n = strlen(id);

        if (n == 0 || n >= ENTRY_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ascii_isalpha(id[i]) && !ascii_isdigit(id[i]) && id[i] != '+' && id[i] != '-' && id[i] != '_' &&
                    id[i] != '.')
                        return false;
        return true;
}

static bool is_candidate_name(struct slice filename, const char *extension) {
        if (filename.len == 0 || filename.ptr[0] == '.')
                return false;
        if (slice_has_prefix(filename, "auto-"))
                return false;
        return slice_has_suffix_nocase(filename, extension) && filename.len > strlen(extension);
}

bool entry_filename_is_type1(struct slice filename) {
        return is_candidate_name(filename, ".conf");
}

bool entry_filename_is_type2(struct slice filename) {
        return is_candidate_name(filename, ".efi");
}

/* Fills the parts common to both types: ID and counter. */
static bool begin_entry(struct entry_list *l, struct slice filename, struct boot_entry *e) {
        struct bootcount_name name;
        char id[ENTRY_ID_MAX];
        bool ok = true;

        if (l->n_entries >= l->capacity) {
                warn(l, filename, "too many boot entries, ignoring this one");
                return false;
        }
        if (bootcount_parse(filename, &name) != KEEL_OK) {
                warn(l, filename, "boot counter out of range, ignoring entry");
                return false;
        }
        if (!bootcount_id(&name, id, sizeof(id)) || !id_is_valid(id)) {
                warn(l, filename, "invalid entry name, ignoring entry");
                return false;
        }
        memset(e, 0, sizeof(*e));
        e->tries_left = name.tries_left;
        e->tries_done = name.tries_done;
        e->id = arena_strdup(l, slice_from_cstr(id), &ok);
        e->filename = arena_strdup(l, filename, &ok);
        if (!ok)
                warn(l, filename, "out of memory for boot entries, ignoring entry");
        return ok;
}

/* Paths in entry files are relative to the partition root; a ".." component
 * or a control character has no business there. */
static bool path_is_safe(struct slice p) {
        size_t start = 0;

        for (size_t i = 0; i <= p.len; i++) {
                if (i < p.len && (uint8_t) p.ptr[i] < 0x20)
                        return false;
                if (i == p.len || p.ptr[i] == '/' || p.ptr[i] == '\\') {
                        if (i - start == 2 && p.ptr[start] == '.' && p.ptr[start + 1] == '.')
                                return false;
                        start = i + 1;
                }
        }
        return true;
}

static bool field_fits(struct entry_list *l, struct slice filename, struct slice value, size_t max) {
        if (value.len <= max)
                return true;
        warn(l, filename, "a value is too long, ignoring entry");
        return false;
}

/* Joins the options lines with single spaces. */
static const char *join_options(struct entry_list *l, const struct bls_entry *b, bool *ok) {
        size_t total = 0, o = 0;
        char *p;

        if (b->n_options == 0 || !*ok)
                return NULL;
        for (size_t i = 0; i < b->n_options; i++)
                total += b->options[i].len + 1;
        p = arena_alloc(l, total, 1);
        if (!p) {
                *ok = false;
                return NULL;
        }
        for (size_t i = 0; i < b->n_options; i++) {
                if (i > 0)
                        p[o++] = ' ';
                memcpy(p + o, b->options[i].ptr, b->options[i].len);
                o += b->options[i].len;
        }
        p[o] = '\0';
        return p;
}

/* Keeps the entry being built when all its strings fitted in the arena;
 * otherwise rolls the arena back to where the entry began. */
static bool commit_entry(struct entry_list *l, struct slice filename, bool ok, size_t arena_mark) {
        if (!ok) {
                warn(l, filename, "out of memory for boot entries, ignoring entry");
                l->arena_used = arena_mark;
                return false;
        }
        l->n_entries++;
        return true;
}

bool entries_add_type1(struct entry_list *l, enum entry_source source, struct slice filename, const void *content,
                       size_t len) {
        size_t arena_mark = l->arena_used, options_len = 0;
        struct boot_entry *e = &l->entries[l->n_entries];
        struct bls_entry b;
        bool ok = true;

        if (!entry_filename_is_type1(filename))
                return false;
        if (!begin_entry(l, filename, e))
                goto refuse;

        bls_entry_parse(&b, content, len, NULL, NULL);
        if (b.architecture.len > 0 && !slice_eq_nocase(b.architecture, slice_from_cstr(ENTRY_ARCHITECTURE))) {
                warn(l, filename, "entry is for another architecture, hiding it");
                goto refuse;
        }
        if (b.linux_path.len == 0 && b.efi_path.len == 0) {
                warn(l, filename, "entry has neither 'linux' nor 'efi', ignoring it");
                goto refuse;
        }
        for (size_t i = 0; i < b.n_options; i++)
                options_len += b.options[i].len + 1;
        if (!field_fits(l, filename, b.title, ENTRY_FIELD_MAX) || !field_fits(l, filename, b.version, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.sort_key, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.machine_id, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.linux_path, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.efi_path, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.devicetree, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, slice_from("", options_len), ENTRY_OPTIONS_MAX))
                goto refuse;
        for (size_t i = 0; i < b.n_initrds; i++)
                if (!field_fits(l, filename, b.initrds[i], ENTRY_FIELD_MAX))
                        goto refuse;
        if (!path_is_safe(b.linux_path) || !path_is_safe(b.efi_path) || !path_is_safe(b.devicetree)) {
                warn(l, filename, "a path leaves the partition ('..'), ignoring entry");
                goto refuse;
        }
        for (size_t i = 0; i < b.n_initrds; i++)
                if (!path_is_safe(b.initrds[i])) {
                        warn(l, filename, "a path leaves the partition ('..'), ignoring entry");
                        goto refuse;
                }

        e->type = ENTRY_TYPE1;
        e->source = source;
        e->title = b.title.len > 0 ? arena_strdup(l, b.title, &ok) : e->id;
        e->version = arena_strdup_optional(l, b.version, &ok);
        e->sort_key = arena_strdup_optional(l, b.sort_key, &ok);
        e->machine_id = arena_strdup_optional(l, b.machine_id, &ok);
        e->linux_path = arena_strdup_optional(l, b.linux_path, &ok);
        e->efi_path = arena_strdup_optional(l, b.efi_path, &ok);
        e->devicetree = arena_strdup_optional(l, b.devicetree, &ok);
        e->options = join_options(l, &b, &ok);
        if (ok && b.n_initrds > 0) {
                e->initrds = arena_alloc(l, b.n_initrds * sizeof(char *), sizeof(char *));
                ok = e->initrds != NULL;
                for (size_t i = 0; ok && i < b.n_initrds; i++)
                        e->initrds[i] = arena_strdup(l, b.initrds[i], &ok);
                e->n_initrds = b.n_initrds;
        }
        return commit_entry(l, filename, ok, arena_mark);

refuse:
        l->arena_used = arena_mark;
        return false;
}

/* os-release lookups in the order systemd reads them; the first key present wins. */
static bool osrel_first(struct entry_list *l, struct slice filename, const void *osrel, size_t len,
                        const char *const *keys, char *out, size_t out_size, bool *ret_too_long) {
        for (; *keys; keys++) {
                bool found = false;
                int r = osrel_get(osrel, len, *keys, out, out_size, &found);
                if (r != KEEL_OK) {
                        warn(l, filename, "an os-release value is too long, ignoring entry");
                        *ret_too_long = true;
                        return false;
                }
                if (found && out[0] != '\0')
                        return true;
        }
        out[0] = '\0';
        return false;
}

#define UKI_DIRECTORY "\\EFI\\Linux\\"

bool entry_uki_path(struct slice filename, char *out, size_t out_size) {
        size_t prefix = sizeof(UKI_DIRECTORY) - 1;

        if (out_size <= prefix || filename.len >= out_size - prefix)
                return false;
        memcpy(out, UKI_DIRECTORY, prefix);
        memcpy(out + prefix, filename.ptr, filename.len);
        out[prefix + filename.len] = '\0';
        return true;
}

bool entries_add_type2(struct entry_list *l, enum entry_source source, struct slice filename, const void *osrel,
                       size_t osrel_len, const void *cmdline, size_t cmdline_len) {
        static const char *const title_keys[] = { "PRETTY_NAME", "IMAGE_ID", "NAME", "ID", NULL };
        static const char *const version_keys[] = { "IMAGE_VERSION", "VERSION", "VERSION_ID", "BUILD_ID", NULL };
        static const char *const sort_key_keys[] = { "IMAGE_ID", "ID", NULL };
        char title[OSREL_VALUE_MAX + 1], version[OSREL_VALUE_MAX + 1], sort_key[OSREL_VALUE_MAX + 1];
        size_t arena_mark = l->arena_used;
        struct boot_entry *e = &l->entries[l->n_entries];
        char path[ENTRY_FIELD_MAX + 16];
        bool too_long = false, ok = true;
        struct slice options;

        if (!entry_filename_is_type2(filename))
                return false;
        if (!osrel) {
                warn(l, filename, "UKI has no .osrel section, ignoring it");
                return false;
        }
        if (!begin_entry(l, filename, e))
                goto refuse;
        if (!osrel_first(l, filename, osrel, osrel_len, title_keys, title, sizeof(title), &too_long)) {
                if (!too_long)
                        warn(l, filename, "UKI's os-release names no OS, ignoring it");
                goto refuse;
        }
        osrel_first(l, filename, osrel, osrel_len, version_keys, version, sizeof(version), &too_long);
        osrel_first(l, filename, osrel, osrel_len, sort_key_keys, sort_key, sizeof(sort_key), &too_long);
        if (too_long)
                goto refuse;

        options = slice_strip(slice_from(cmdline ? cmdline : "", cmdline ? cmdline_len : 0));
        for (size_t i = 0; i < options.len; i++)
                if (options.ptr[i] == '\0') {
                        options.len = i;
                        break;
                }
        if (!field_fits(l, filename, options, ENTRY_OPTIONS_MAX) || !field_fits(l, filename, filename, ENTRY_FIELD_MAX))
                goto refuse;

        if (!entry_uki_path(filename, path, sizeof(path)))
                goto refuse;
        e->type = ENTRY_TYPE2;
        e->source = source;
        e->title = arena_strdup(l, slice_from_cstr(title), &ok);
        e->version = arena_strdup_optional(l, slice_from_cstr(version), &ok);
        e->sort_key = arena_strdup_optional(l, slice_from_cstr(sort_key), &ok);
        e->efi_path = arena_strdup(l, slice_from_cstr(path), &ok);
        e->options = arena_strdup_optional(l, options, &ok);
        return commit_entry(l, filename, ok, arena_mark);

refuse:
        l->arena_used = arena_mark;
        return false;
}

bool entries_add_auto_firmware(struct entry_list *l) {
        struct boot_entry *e;

        if (l->n_entries >= l->capacity)
                return false;
        e = &l->entries[l->n_entries++];
        *e = (struct boot_entry) {
                .type = ENTRY_AUTO_FIRMWARE,
                .source = ENTRY_SOURCE_NONE,
                .id = "auto-reboot-to-firmware-setup",
                .filename = "",
                .title = "Reboot Into Firmware Interface",
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        return true;
}

bool entries_add_auto_efi(struct entry_list *l, const char *id, const char *title, const char *efi_path) {
        struct boot_entry *e;

        if (l->n_entries >= l->capacity)
                return false;
        e = &l->entries[l->n_entries++];
        *e = (struct boot_entry) {
                .type = ENTRY_AUTO_EFI,
                .source = ENTRY_SOURCE_ESP,
                .id = id,
                .filename = "",
                .title = title,
                .efi_path = efi_path,
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        return true;
}

/* prefix + name as one arena string. */
static const char *arena_concat(struct entry_list *l, const char *prefix, struct slice name, bool *ok) {
        size_t n = strlen(prefix);
        char *p;

        if (!*ok || !(p = arena_alloc(l, n + name.len + 1, 1))) {
                *ok = false;
                return NULL;
        }
        memcpy(p, prefix, n);
        memcpy(p + n, name.ptr, name.len);
        p[n + name.len] = '\0';
        return p;
}

bool entries_add_secure_boot_keys(struct entry_list *l, struct slice name) {
        size_t arena_mark = l->arena_used;
        struct boot_entry *e = &l->entries[l->n_entries];
        bool ok = true;

        if (l->n_entries >= l->capacity || name.len == 0 || name.len > ENTRY_FIELD_MAX)
                return false;
        *e = (struct boot_entry) {
                .type = ENTRY_SECURE_BOOT_KEYS,
                .source = ENTRY_SOURCE_ESP,
                .id = arena_concat(l, "secure-boot-keys-", name, &ok),
                .title = arena_concat(l, "Enroll Secure Boot keys: ", name, &ok),
                .filename = arena_strdup(l, name, &ok),
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        return commit_entry(l, name, ok, arena_mark);
}

static struct slice opt(const char *s) {
        return s ? slice_from_cstr(s) : SLICE_EMPTY;
}

static int cmp_int(int a, int b) {
        return (a > b) - (a < b);
}

static int strcmp_ptr(const char *a, const char *b) {
        if (a && b)
                return cmp_int(strcmp(a, b), 0);
        return cmp_int(a != NULL, b != NULL);
}

static int entry_compare(const struct boot_entry *a, const struct boot_entry *b) {
        int r;

        r = cmp_int(a->tries_left == 0, b->tries_left == 0);
        if (r != 0)
                return r;
        r = cmp_int(a->sort_key == NULL, b->sort_key == NULL);
        if (r != 0)
                return r;
        if (a->sort_key && b->sort_key) {
                r = cmp_int(strcmp(a->sort_key, b->sort_key), 0);
                if (r != 0)
                        return r;
                r = strcmp_ptr(a->machine_id, b->machine_id);
                if (r != 0)
                        return r;
                r = -version_compare(opt(a->version), opt(b->version));
                if (r != 0)
                        return r;
        }
        r = -version_compare(opt(a->id), opt(b->id));
        if (r != 0)
                return r;
        /* IDs that differ only in characters the version rules ignore
         * ("a_b.conf", "ab.conf") compare equal; bootctl then keeps its
         * discovery order: ESP before XBOOTLDR, Type #1 before Type #2,
         * Type #1 files in strcmp order (Type #2 in readdir() order, which
         * no one can reproduce). keel uses that order as its final tie
         * break, whatever order it discovered the files in. */
        r = cmp_int(a->source, b->source);
        if (r != 0)
                return r;
        r = cmp_int(a->type, b->type);
        if (r != 0)
                return r;
        return cmp_int(strcmp(a->filename, b->filename), 0);
}

/* Heapsort: in place, O(n log n) even for hostile inputs, no recursion. */
static void sift_down(struct boot_entry *v, size_t start, size_t end) {
        size_t root = start;

        while (2 * root + 1 < end) {
                size_t child = 2 * root + 1, largest = root;
                struct boot_entry tmp;

                if (entry_compare(&v[largest], &v[child]) < 0)
                        largest = child;
                if (child + 1 < end && entry_compare(&v[largest], &v[child + 1]) < 0)
                        largest = child + 1;
                if (largest == root)
                        return;
                tmp = v[root];
                v[root] = v[largest];
                v[largest] = tmp;
                root = largest;
        }
}

void entries_sort(struct entry_list *l) {
        struct boot_entry *v = l->entries;
        size_t n = l->n_entries;

        for (size_t i = n / 2; i > 0; i--)
                sift_down(v, i - 1, n);
        for (size_t end = n; end > 1; end--) {
                struct boot_entry tmp = v[0];
                v[0] = v[end - 1];
                v[end - 1] = tmp;
                sift_down(v, 0, end - 1);
        }
}

static bool is_bootable(const struct boot_entry *e) {
        return !entry_is_auto(e);
}

size_t entries_find(const struct entry_list *l, const char *pattern, bool skip_bad) {
        if (!pattern || pattern[0] == '\0')
                return SIZE_MAX;
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                if (skip_bad && entry_is_bad(e))
                        continue;
                if (glob_match(slice_from_cstr(pattern), slice_from_cstr(e->id)))
                        return i;
        }
        return SIZE_MAX;
}

size_t entries_select_default(const struct entry_list *l, const char *oneshot, const char *efivar_default,
                              const struct loader_config *config, const char *saved_entry) {
        const char *rules[3] = { oneshot, efivar_default, NULL };
        bool any_good = false;
        size_t first_bootable = SIZE_MAX;

        if (config)
                rules[2] = config->default_saved ? saved_entry : config->default_pattern;
        for (size_t i = 0; i < l->n_entries; i++) {
                if (!is_bootable(&l->entries[i]))
                        continue;
                if (first_bootable == SIZE_MAX)
                        first_bootable = i;
                if (!entry_is_bad(&l->entries[i])) {
                        any_good = true;
                        break;
                }
        }
        for (size_t r = 0; r < ARRAY_SIZE(rules); r++) {
                size_t i = entries_find(l, rules[r], any_good);
                if (i != SIZE_MAX)
                        return i;
        }
        /* Sorting puts the bad entries last: the first bootable entry is good if any is. */
        for (size_t i = 0; i < l->n_entries; i++)
                if (is_bootable(&l->entries[i]) && (!any_good || !entry_is_bad(&l->entries[i])))
                        return i;
        /* Only entries the loader added itself (firmware setup...): there
         * is nothing to boot by default. */
        return first_bootable;
}
