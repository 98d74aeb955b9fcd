/* SPDX-License-Identifier: MIT */
#include "entries.h"
#include "bls.h"
#include "error.h"
#include "glob.h"
#include "osrel.h"
#include "pe.h"
#include "version.h"

/* Bounds for fields copied from the ESP: an entry with a longer one is
 * skipped rather than truncated, so that it cannot sort or match as
 * something it is not. */
#define ENTRY_FIELD_MAX 512
#define ENTRY_OPTIONS_MAX 8192
#define ENTRY_ID_MAX 256
#define OSREL_VALUE_MAX ENTRY_FIELD_MAX
/* Blocks in a ranked list's arena start at this alignment, so that moving
 * one keeps its initrd pointer array aligned. */
#define ARENA_ALIGN sizeof(void *)

/* Why a ranked list leaves an entry out. */
#define WHY_TOO_MANY "too many boot entries; keeping those first in menu order, ignoring this one"
#define WHY_TOO_LARGE "boot entries too large to keep them all; keeping those first in menu order, ignoring this one"

static int entry_compare(const struct boot_entry *a, const struct boot_entry *b);

void entry_list_init(struct entry_list *l, struct boot_entry *storage, size_t capacity, char *arena, size_t arena_size,
                     entry_warn_fn warn, void *userdata) {
        *l = (struct entry_list) {
                .entries = storage,
                .capacity = capacity,
                .arena = arena,
                .arena_size = arena_size,
                .warn = warn,
                .userdata = userdata,
                .max_from_files = capacity,
        };
}

void entry_list_set_architecture(struct entry_list *l, const char *architecture, uint16_t machine) {
        l->architecture = architecture;
        l->machine = machine;
}

static size_t align_up(size_t v) {
        return (v + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

void entry_list_init_ranked(struct entry_list *l, struct boot_entry *storage, size_t capacity, size_t reserved,
                            char *arena, size_t arena_size, entry_warn_fn warn, void *userdata) {
        /* Aligned start and size: every block then starts aligned, and the
         * bytes a block takes do not depend on where the caller's buffer
         * happens to be (the loader and the host must agree). */
        size_t skip = arena_size > 0 ? (size_t) (-(uintptr_t) arena & (ARENA_ALIGN - 1)) : 0;

        if (skip > arena_size)
                skip = arena_size;
        entry_list_init(l, storage, capacity, arena_size > 0 ? arena + skip : arena,
                        (arena_size - skip) & ~(ARENA_ALIGN - 1), warn, userdata);
        l->ranked = true;
        l->max_from_files = reserved < capacity ? capacity - reserved : 0;
        l->budget = l->arena_size / 2;
}

void entry_list_set_file_check(struct entry_list *l, entry_file_fn fn, void *userdata) {
        l->file_kind = fn;
        l->file_userdata = userdata;
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

        /* A plain list keeps what comes first; a ranked one decides once
         * the entry is complete (rank_entry). */
        if (!l->ranked && l->n_entries >= l->capacity) {
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

bool entry_path_is_safe(struct slice p) {
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

/* ---- ranked lists ------------------------------------------------------------ */

typedef int (*entry_cmp_fn)(const struct boot_entry *a, const struct boot_entry *b);

static void swap_entries(struct boot_entry *a, struct boot_entry *b) {
        struct boot_entry tmp = *a;
        *a = *b;
        *b = tmp;
}

/* Heaps with the greatest element (by cmp) at v[0]: in place, O(log n) per
 * step even for hostile inputs, no recursion. */
static void sift_down(struct boot_entry *v, size_t start, size_t end, entry_cmp_fn cmp) {
        size_t root = start;

        while (2 * root + 1 < end) {
                size_t child = 2 * root + 1, largest = root;

                if (cmp(&v[largest], &v[child]) < 0)
                        largest = child;
                if (child + 1 < end && cmp(&v[largest], &v[child + 1]) < 0)
                        largest = child + 1;
                if (largest == root)
                        return;
                swap_entries(&v[root], &v[largest]);
                root = largest;
        }
}

static void sift_up(struct boot_entry *v, size_t i) {
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (entry_compare(&v[parent], &v[i]) >= 0)
                        return;
                swap_entries(&v[parent], &v[i]);
                i = parent;
        }
}

static void heapify(struct boot_entry *v, size_t n, entry_cmp_fn cmp) {
        for (size_t i = n / 2; i > 0; i--)
                sift_down(v, i - 1, n, cmp);
}

static void heap_sort(struct boot_entry *v, size_t n, entry_cmp_fn cmp) {
        heapify(v, n, cmp);
        for (size_t end = n; end > 1; end--) {
                swap_entries(&v[0], &v[end - 1]);
                sift_down(v, 0, end - 1, cmp);
        }
}

static int cmp_arena_offset(const struct boot_entry *a, const struct boot_entry *b) {
        return (a->arena_offset > b->arena_offset) - (a->arena_offset < b->arena_offset);
}

/* A string of a block that moved from `from` to `to`; strings elsewhere
 * (the loader's own literals) stay. */
static void relocate(const char **p, uintptr_t from, size_t size, char *to) {
        uintptr_t q = (uintptr_t) *p;

        if (*p && q >= from && q - from < size)
                *p = to + (q - from);
}

/* A list of strings in the block (initrds, extras): the array and each string. */
static void relocate_array(const char ***array, size_t n, uintptr_t from, size_t size, char *to) {
        const char **a = *array;

        if (!a || (uintptr_t) a < from || (uintptr_t) a - from >= size)
                return;
        a = (const char **) (void *) (to + ((uintptr_t) a - from));
        for (size_t i = 0; i < n; i++)
                relocate(&a[i], from, size, to);
        *array = a;
}

static void move_block(struct entry_list *l, struct boot_entry *e, size_t to_offset) {
        const char **fields[] = { &e->id,         &e->filename,   &e->title,    &e->version,
                                  &e->sort_key,   &e->machine_id, &e->linux_path, &e->efi_path,
                                  &e->uki_path,   &e->devicetree, &e->options,  &e->alias };
        uintptr_t from = (uintptr_t) (l->arena + e->arena_offset);
        char *to = l->arena + to_offset;

        if (to_offset == e->arena_offset)
                return;
        memmove(to, l->arena + e->arena_offset, e->arena_size);
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
                relocate(fields[i], from, e->arena_size, to);
        relocate_array(&e->initrds, e->n_initrds, from, e->arena_size, to);
        relocate_array(&e->extras, e->n_extras, from, e->arena_size, to);
        e->arena_offset = to_offset;
}

/* Moves the blocks still in use (the kept entries' and the boundary's) to
 * the bottom of the arena, in their order, closing the gaps that dropped
 * entries left. Each block moves down or stays, so memmove in ascending
 * order never overwrites a block not yet moved. */
static void compact(struct entry_list *l) {
        bool boundary_done = !l->has_boundary || l->boundary.arena_size == 0;
        size_t to = 0;

        heap_sort(l->entries, l->n_entries, cmp_arena_offset);
        for (size_t i = 0; i < l->n_entries; i++) {
                struct boot_entry *e = &l->entries[i];
                if (e->arena_size == 0)
                        continue;
                if (!boundary_done && l->boundary.arena_offset < e->arena_offset) {
                        move_block(l, &l->boundary, to);
                        to += l->boundary.arena_size;
                        boundary_done = true;
                }
                move_block(l, e, to);
                to += e->arena_size;
        }
        if (!boundary_done) {
                move_block(l, &l->boundary, to);
                to += l->boundary.arena_size;
        }
        l->arena_used = to;
        l->garbage_bytes = 0;
        heapify(l->entries, l->n_entries, entry_compare);
}

/* Before a ranked list builds an entry: room for the largest one at the
 * top of the arena. Compaction runs only when less than ENTRY_COST_MAX is
 * left; since the kept entries use at most half the arena, each one frees
 * at least half of it minus two entries, so its cost spreads over many
 * entries. */
static void make_room(struct entry_list *l) {
        if (l->ranked && l->arena_size - l->arena_used < ENTRY_COST_MAX && l->garbage_bytes > 0)
                compact(l);
}

/* e is left out: it is now the first entry in menu order that is, so the
 * list remembers it (its block stays) and forgets the previous one, which
 * sorted after it. */
static void leave_out(struct entry_list *l, const struct boot_entry *e, const char *why) {
        warn(l, slice_from_cstr(e->filename), why);
        if (l->has_boundary)
                l->garbage_bytes += l->boundary.arena_size;
        l->boundary = *e;
        l->boundary_why = why;
        l->has_boundary = true;
}

static struct boot_entry pop_last(struct entry_list *l) {
        struct boot_entry last = l->entries[0];

        l->entries[0] = l->entries[--l->n_entries];
        sift_down(l->entries, 0, l->n_entries, entry_compare);
        return last;
}

/* The kept entries are always exactly those of all entries seen so far
 * that come first in menu order, up to the first that no longer fits
 * (count or arena budget). Whatever sorts after the boundary — the first
 * entry cut — is cut too: keeping a later, smaller one would make the
 * result depend on the order the files were found in. */
static bool rank_entry(struct entry_list *l, const struct boot_entry *e) {
        size_t offset = e->arena_offset;
        bool kept = true;

        if (l->has_boundary && entry_compare(e, &l->boundary) > 0) {
                warn(l, slice_from_cstr(e->filename), l->boundary_why);
                l->arena_used = offset; /* the newest block: nothing else lies above it */
                return false;
        }
        if (l->n_entries < l->max_from_files) {
                l->entries[l->n_entries] = *e;
                sift_up(l->entries, l->n_entries++);
        } else if (l->n_entries == 0 || entry_compare(e, &l->entries[0]) > 0) {
                leave_out(l, e, WHY_TOO_MANY);
                return false;
        } else {
                struct boot_entry last = l->entries[0];
                l->entries[0] = *e;
                sift_down(l->entries, 0, l->n_entries, entry_compare);
                l->kept_bytes -= last.arena_size;
                leave_out(l, &last, WHY_TOO_MANY);
        }
        l->kept_bytes += e->arena_size;
        while (l->kept_bytes > l->budget && l->n_entries > 0) {
                struct boot_entry last = pop_last(l);
                l->kept_bytes -= last.arena_size;
                if (last.arena_offset == offset)
                        kept = false;
                leave_out(l, &last, WHY_TOO_LARGE);
        }
        return kept;
}

/* Keeps the entry built in e when all its strings fitted in the arena;
 * otherwise rolls the arena back to where the entry began. */
static bool commit_entry(struct entry_list *l, struct boot_entry *e, struct slice filename, bool ok, size_t arena_mark) {
        if (!ok) {
                warn(l, filename, "out of memory for boot entries, ignoring entry");
                l->arena_used = arena_mark;
                return false;
        }
        if (l->ranked)
                l->arena_used = align_up(l->arena_used);
        e->arena_offset = arena_mark;
        e->arena_size = l->arena_used - arena_mark;
        if (l->ranked)
                return rank_entry(l, e);
        l->entries[l->n_entries++] = *e;
        return true;
}

/* The loader's own entries, after sorting: into the slots left. */
static bool append_own(struct entry_list *l, const struct boot_entry *e) {
        if (l->n_entries >= l->capacity)
                return false;
        l->entries[l->n_entries++] = *e;
        return true;
}

/* ---- files an entry names ------------------------------------------------------- */

#define WHY_EMPTY_PROGRAM "its 'linux' or 'efi' file is empty, ignoring entry"

static const char *file_problem(struct entry_list *l, const char *path, const char *empty_why) {
        if (!path)
                return NULL;
        switch (l->file_kind(l->file_userdata, path)) {
        case ENTRY_FILE_MISSING:
                return "a file it names is missing, ignoring entry";
        case ENTRY_FILE_DIRECTORY:
                return "a file it names is a directory, ignoring entry";
        case ENTRY_FILE_EMPTY:
                return empty_why;
        default:
                return NULL;
        }
}

/* What the loader could not boot is hidden now, like systemd-boot hides
 * entries with missing files: a kernel or EFI program that is a directory
 * or has no bytes would fail only after being chosen (and, as the default,
 * on every boot). An empty initrd is legal (nothing to add). */
static bool entry_files_ok(struct entry_list *l, struct slice filename, const struct boot_entry *e) {
        const char *why;

        if (!l->file_kind)
                return true;
        why = file_problem(l, e->linux_path, WHY_EMPTY_PROGRAM);
        if (!why)
                why = file_problem(l, e->efi_path, WHY_EMPTY_PROGRAM);
        if (!why)
                why = file_problem(l, e->uki_path, "its 'uki' file is empty, ignoring entry");
        for (size_t i = 0; !why && i < e->n_initrds; i++)
                why = file_problem(l, e->initrds[i], NULL);
        if (why)
                warn(l, filename, why);
        return !why;
}

/* A list of paths into the arena (initrds, extras). */
static const char **arena_paths(struct entry_list *l, const struct slice *paths, size_t n, bool *ok) {
        const char **a;

        if (n == 0 || !*ok)
                return NULL;
        a = arena_alloc(l, n * sizeof(char *), sizeof(char *));
        if (!a) {
                *ok = false;
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                a[i] = arena_strdup(l, paths[i], ok);
        return a;
}

static bool paths_fit_and_are_safe(struct entry_list *l, struct slice filename, const struct slice *paths, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (!field_fits(l, filename, paths[i], ENTRY_FIELD_MAX))
                        return false;
                if (!entry_path_is_safe(paths[i])) {
                        warn(l, filename, "a path leaves the partition ('..'), ignoring entry");
                        return false;
                }
        }
        return true;
}

/* What a Type #1 entry starts, as systemd-boot 262 decides it: one of
 * `linux`, `efi`, `uki` (`uki-url` is a network boot, which keel does not
 * do); an entry naming two kinds is broken. */
static bool type1_kind_ok(struct entry_list *l, struct slice filename, const struct bls_entry *b) {
        if (b->conflicting_kinds) {
                warn(l, filename, "entry names more than one of 'linux', 'efi', 'uki', 'uki-url', ignoring it");
                return false;
        }
        if (b->uki_url.len > 0) {
                warn(l, filename, "'uki-url' entry: keel boots nothing from the network, hiding it");
                return false;
        }
        if (b->linux_path.len == 0 && b->efi_path.len == 0 && b->uki_path.len == 0) {
                warn(l, filename, "entry has none of 'linux', 'efi', 'uki', ignoring it");
                return false;
        }
        return true;
}

/* `profile N` (systemd 259) selects the profile of a `uki` entry's UKI; a
 * value that is no number is ignored with a warning, as systemd-boot does,
 * and so is the key on an entry that starts no UKI. */
static unsigned type1_profile(struct entry_list *l, struct slice filename, const struct bls_entry *b) {
        uint64_t profile;

        if (b->profile.len == 0)
                return 0;
        if (b->uki_path.len == 0) {
                warn(l, filename, "'profile' is for 'uki' entries, ignoring it");
                return 0;
        }
        if (!parse_uint(b->profile, UINT32_MAX, &profile)) {
                warn(l, filename, "bad 'profile' value, ignoring it");
                return 0;
        }
        return (unsigned) profile;
}

bool entries_add_type1(struct entry_list *l, enum entry_source source, struct slice filename, const void *content,
                       size_t len) {
        size_t arena_mark, options_len = 0, n_initrds, n_extras;
        struct boot_entry cand, *e = &cand;
        struct bls_entry b;
        bool ok = true;

        if (!entry_filename_is_type1(filename))
                return false;
        make_room(l);
        arena_mark = l->arena_used;
        if (!field_fits(l, filename, filename, ENTRY_FIELD_MAX) || !begin_entry(l, filename, e))
                goto refuse;

        bls_entry_parse(&b, content, len, NULL, NULL);
        if (l->architecture && b.architecture.len > 0 &&
            !slice_eq_nocase(b.architecture, slice_from_cstr(l->architecture))) {
                warn(l, filename, "entry is for another architecture, hiding it");
                goto refuse;
        }
        if (!type1_kind_ok(l, filename, &b))
                goto refuse;
        /* A UKI brings its own initrd: systemd-boot offers it no `initrd`
         * line (and a keel UKI would refuse one); companion files go to it
         * through `extra` instead. */
        n_initrds = b.uki_path.len > 0 ? 0 : b.n_initrds;
        if (b.uki_path.len > 0 && b.n_initrds > 0)
                warn(l, filename, "'initrd' lines are not offered to a 'uki', ignoring them");
        n_extras = b.uki_path.len > 0 ? b.n_extras : 0;
        if (b.uki_path.len == 0 && b.n_extras > 0)
                warn(l, filename, "'extra' is for 'uki' entries, ignoring it");
        for (size_t i = 0; i < b.n_options; i++)
                options_len += b.options[i].len + 1;
        if (!field_fits(l, filename, b.title, ENTRY_FIELD_MAX) || !field_fits(l, filename, b.version, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.sort_key, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, b.machine_id, ENTRY_FIELD_MAX) ||
            !field_fits(l, filename, slice_from("", options_len), ENTRY_OPTIONS_MAX))
                goto refuse;
        if (!paths_fit_and_are_safe(l, filename, &b.linux_path, 1) ||
            !paths_fit_and_are_safe(l, filename, &b.efi_path, 1) ||
            !paths_fit_and_are_safe(l, filename, &b.uki_path, 1) ||
            !paths_fit_and_are_safe(l, filename, &b.devicetree, 1) ||
            !paths_fit_and_are_safe(l, filename, b.initrds, n_initrds) ||
            !paths_fit_and_are_safe(l, filename, b.extras, n_extras))
                goto refuse;

        e->type = ENTRY_TYPE1;
        e->source = source;
        e->profile = type1_profile(l, filename, &b);
        e->title = b.title.len > 0 ? arena_strdup(l, b.title, &ok) : e->id;
        e->version = arena_strdup_optional(l, b.version, &ok);
        e->sort_key = arena_strdup_optional(l, b.sort_key, &ok);
        e->machine_id = arena_strdup_optional(l, b.machine_id, &ok);
        e->linux_path = arena_strdup_optional(l, b.linux_path, &ok);
        e->efi_path = arena_strdup_optional(l, b.efi_path, &ok);
        e->uki_path = arena_strdup_optional(l, b.uki_path, &ok);
        e->devicetree = arena_strdup_optional(l, b.devicetree, &ok);
        e->options = join_options(l, &b, &ok);
        e->initrds = arena_paths(l, b.initrds, n_initrds, &ok);
        e->n_initrds = ok ? n_initrds : 0;
        e->extras = arena_paths(l, b.extras, n_extras, &ok);
        e->n_extras = ok ? n_extras : 0;
        if (ok && !entry_files_ok(l, filename, e))
                goto refuse;
        return commit_entry(l, e, filename, ok, arena_mark);

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

/* A warning's text into a buffer, cut at its end. */
static void text_append(char *out, size_t out_size, size_t *o, const char *s) {
        while (*s && *o + 1 < out_size)
                out[(*o)++] = *s++;
        if (out_size > 0)
                out[*o] = '\0';
}

static void text_append_number(char *out, size_t out_size, size_t *o, uint64_t v) {
        char digits[21];
        size_t n = sizeof(digits) - 1;

        digits[n] = '\0';
        do {
                digits[--n] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        text_append(out, out_size, o, digits + n);
}

bool entry_uki_section_fits(const char *section, uint64_t size, char *why, size_t why_size) {
        size_t o = 0;

        if (why_size > 0)
                why[0] = '\0';
        if (size <= ENTRY_UKI_SECTION_MAX)
                return true;
        text_append(why, why_size, &o, "its ");
        text_append(why, why_size, &o, section);
        text_append(why, why_size, &o, " section is ");
        text_append_number(why, why_size, &o, size);
        text_append(why, why_size, &o, " bytes, more than the ");
        text_append_number(why, why_size, &o, ENTRY_UKI_SECTION_MAX);
        text_append(why, why_size, &o, " keel reads; ignoring it");
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
        return entries_add_type2_profile(l, source, filename, 0, NULL, 0, osrel, osrel_len, cmdline, cmdline_len);
}

/* The title systemd-boot 257 gives a profile: "NAME (TITLE)", else for a
 * profile past the first "NAME (ID)" or "NAME (Profile #N+1)", else NAME. */
static void profile_title(char *out, size_t out_size, const char *name, unsigned profile, const char *id,
                          const char *title) {
        size_t o = 0;

        text_append(out, out_size, &o, name);
        if (!title[0] && profile == 0)
                return;
        text_append(out, out_size, &o, " (");
        if (title[0] || id[0])
                text_append(out, out_size, &o, title[0] ? title : id);
        else {
                text_append(out, out_size, &o, "Profile #");
                text_append_number(out, out_size, &o, (uint64_t) profile + 1);
        }
        text_append(out, out_size, &o, ")");
}

/* Whether a .profile ID= can name the profile: "BASE@ID" must be a valid
 * entry ID but for the '@' (it goes into LoaderEntries and must match
 * patterns as systemd-boot's does). */
static bool profile_id_is_valid(const char *base, const char *profile_id) {
        size_t n = strlen(profile_id);

        if (strlen(base) + 1 + n >= ENTRY_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ascii_isalpha(profile_id[i]) && !ascii_isdigit(profile_id[i]) && profile_id[i] != '+' &&
                    profile_id[i] != '-' && profile_id[i] != '_' && profile_id[i] != '.')
                        return false;
        return n > 0;
}

/* "BASE@PROFILE-ID", or "BASE@N" when profile_id is empty, in the arena. */
static const char *profile_entry_id(struct entry_list *l, const char *base, const char *profile_id, unsigned profile,
                                    bool *ok) {
        char id[2 * ENTRY_ID_MAX + 16];
        size_t o = 0;

        text_append(id, sizeof(id), &o, base);
        text_append(id, sizeof(id), &o, "@");
        if (profile_id[0])
                text_append(id, sizeof(id), &o, profile_id);
        else
                text_append_number(id, sizeof(id), &o, profile);
        return arena_strdup(l, slice_from(id, o), ok);
}

bool entries_add_type2_profile(struct entry_list *l, enum entry_source source, struct slice filename,
                               unsigned profile, const void *profile_text, size_t profile_len, const void *osrel,
                               size_t osrel_len, const void *cmdline, size_t cmdline_len) {
        char profile_id[UKI_PROFILE_VALUE_MAX], ptitle[UKI_PROFILE_VALUE_MAX];
        char full_title[OSREL_VALUE_MAX + UKI_PROFILE_VALUE_MAX + 32];
        const char *base;
        static const char *const title_keys[] = { "PRETTY_NAME", "IMAGE_ID", "NAME", "ID", NULL };
        static const char *const version_keys[] = { "IMAGE_VERSION", "VERSION", "VERSION_ID", "BUILD_ID", NULL };
        static const char *const sort_key_keys[] = { "IMAGE_ID", "ID", NULL };
        char title[OSREL_VALUE_MAX + 1], version[OSREL_VALUE_MAX + 1], sort_key[OSREL_VALUE_MAX + 1];
        size_t arena_mark;
        struct boot_entry cand, *e = &cand;
        char path[ENTRY_FIELD_MAX + 16];
        bool too_long = false, ok = true;
        struct slice options;

        if (!entry_filename_is_type2(filename))
                return false;
        if (!osrel) {
                warn(l, filename, "UKI has no .osrel section, ignoring it");
                return false;
        }
        make_room(l);
        arena_mark = l->arena_used;
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
        profile_id[0] = ptitle[0] = '\0';
        if (profile_text && uki_profile_info(profile_text, profile_len, profile_id, ptitle) != KEEL_OK) {
                warn(l, filename, "a .profile value is too long, ignoring this profile");
                goto refuse;
        }
        profile_title(full_title, sizeof(full_title), title, profile, profile_id, ptitle);
        if (profile_id[0] && !profile_id_is_valid(e->id, profile_id)) {
                warn(l, filename, "a .profile ID= cannot be part of an entry ID, naming the profile by its number");
                profile_id[0] = '\0';
        }
        /* Profiles past the first are "ID@PROFILE-ID", or "ID@N" without an
         * ID= (systemd-boot 262); the first keeps the UKI's ID. The other
         * name is an alias: keel's IDs before systemd 262 ("ID@N"), and
         * bootctl 262's name for a profile 0 with an ID= ("ID@PROFILE-ID"). */
        base = e->id;
        if (profile > 0) {
                e->id = profile_entry_id(l, base, profile_id, profile, &ok);
                if (profile_id[0])
                        e->alias = profile_entry_id(l, base, "", profile, &ok);
        } else if (profile_id[0])
                e->alias = profile_entry_id(l, base, profile_id, 0, &ok);
        e->profile = profile;

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
        e->title = arena_strdup(l, slice_from_cstr(full_title), &ok);
        e->version = arena_strdup_optional(l, slice_from_cstr(version), &ok);
        e->sort_key = arena_strdup_optional(l, slice_from_cstr(sort_key), &ok);
        e->efi_path = arena_strdup(l, slice_from_cstr(path), &ok);
        e->options = arena_strdup_optional(l, options, &ok);
        return commit_entry(l, e, filename, ok, arena_mark);

refuse:
        l->arena_used = arena_mark;
        return false;
}

const char *entry_boot_options(const struct boot_entry *e, const char *edited, char *out, size_t out_size) {
        const char *options = edited || e->type != ENTRY_TYPE1 ? edited : e->options;
        size_t o = 0, need;

        if (e->profile == 0 || (e->type != ENTRY_TYPE2 && !(e->type == ENTRY_TYPE1 && e->uki_path)))
                return options;
        if (out_size < 16)
                return NULL;
        text_append(out, out_size, &o, "@");
        text_append_number(out, out_size, &o, e->profile);
        need = options && options[0] ? strlen(options) + 1 : 0;
        if (need > 0 && need < out_size - o) {
                text_append(out, out_size, &o, " ");
                text_append(out, out_size, &o, options);
        }
        return out;
}

bool entries_add_auto_firmware(struct entry_list *l) {
        const struct boot_entry e = {
                .type = ENTRY_AUTO_FIRMWARE,
                .source = ENTRY_SOURCE_NONE,
                .id = "auto-reboot-to-firmware-setup",
                .filename = "",
                .title = "Reboot Into Firmware Interface",
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        return append_own(l, &e);
}

bool entries_add_auto_efi(struct entry_list *l, const char *id, const char *title, const char *efi_path) {
        const struct boot_entry e = {
                .type = ENTRY_AUTO_EFI,
                .source = ENTRY_SOURCE_ESP,
                .id = id,
                .filename = "",
                .title = title,
                .efi_path = efi_path,
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        return append_own(l, &e);
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
        struct boot_entry e;
        bool ok = true;

        if (l->n_entries >= l->capacity || name.len == 0 || name.len > ENTRY_FIELD_MAX)
                return false;
        e = (struct boot_entry) {
                .type = ENTRY_SECURE_BOOT_KEYS,
                .source = ENTRY_SOURCE_ESP,
                .id = arena_concat(l, "secure-boot-keys-", name, &ok),
                .title = arena_concat(l, "Enroll Secure Boot keys: ", name, &ok),
                .filename = arena_strdup(l, name, &ok),
                .tries_left = BOOTCOUNT_UNKNOWN,
                .tries_done = BOOTCOUNT_UNKNOWN,
        };
        if (!ok) {
                warn(l, name, "out of memory for boot entries, ignoring entry");
                l->arena_used = arena_mark;
                return false;
        }
        e.arena_offset = arena_mark;
        e.arena_size = l->arena_used - arena_mark;
        return append_own(l, &e);
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

/* "ID" of an "ID@..." profile entry (N > 0); the ID itself otherwise. */
static struct slice id_without_profile(const struct boot_entry *e) {
        struct slice id = opt(e->id);

        if (e->type == ENTRY_TYPE2 && e->profile > 0)
                while (id.len > 0 && id.ptr[--id.len] != '@')
                        ;
        return id;
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
                /* Among entries of one sort-key, machine-id and version,
                 * every UKI's profile 0 first, then every profile 1...
                 * (systemd-boot 262, bootctl 262). */
                r = cmp_int(a->profile, b->profile);
                if (r != 0)
                        return r;
        }
        /* By ID, a UKI's profiles together in their order (entries without
         * a sort-key sort so in 262 as in 257). */
        r = -version_compare(id_without_profile(a), id_without_profile(b));
        if (r != 0)
                return r;
        r = cmp_int(a->profile, b->profile);
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

void entries_sort(struct entry_list *l) {
        heap_sort(l->entries, l->n_entries, entry_compare);
}

static bool is_bootable(const struct boot_entry *e) {
        return !entry_is_auto(e);
}

static bool entry_matches(const struct boot_entry *e, struct slice pattern) {
        return glob_match(pattern, slice_from_cstr(e->id)) || (e->alias && glob_match(pattern, slice_from_cstr(e->alias)));
}

size_t entries_find(const struct entry_list *l, const char *pattern, bool skip_bad) {
        if (!pattern || pattern[0] == '\0')
                return SIZE_MAX;
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                if (skip_bad && entry_is_bad(e))
                        continue;
                if (entry_matches(e, slice_from_cstr(pattern)))
                        return i;
        }
        return SIZE_MAX;
}

/* The rules in their order (see entries_select_default()); NULL for one
 * that does not apply. */
static void default_rules(const struct entry_default_request *r, const char *rules[6]) {
        const struct loader_config *c = r->config;
        bool efivar_saved = r->efivar_default && strcmp(r->efivar_default, "@saved") == 0;

        rules[0] = r->sysfail;
        rules[1] = r->oneshot;
        rules[2] = r->preferred;
        rules[3] = efivar_saved ? r->saved : r->efivar_default;
        rules[4] = c ? c->preferred_pattern : NULL;
        rules[5] = c ? (c->default_saved ? r->saved : c->default_pattern) : NULL;
}

size_t entries_select_default(const struct entry_list *l, const struct entry_default_request *r) {
        const char *rules[6];
        bool any_good = false;
        size_t first_bootable = SIZE_MAX;

        default_rules(r, rules);
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
        for (size_t k = 0; k < ARRAY_SIZE(rules); k++) {
                /* LoaderEntryPreferred and `preferred` never pick an entry
                 * with no tries left (systemd 260); keel's other rules do
                 * not either while there is a good one. */
                bool preferred = k == 2 || k == 4;
                size_t i = entries_find(l, rules[k], any_good || preferred);
                if (i != SIZE_MAX)
                        return i;
        }
        /* No rule matched: the first entry a UKI boots unasked, its profile
         * 0 (systemd 261); sorting put the bad entries last, so it is good
         * if any is. */
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                if (is_bootable(e) && e->profile == 0 && (!any_good || !entry_is_bad(e)))
                        return i;
        }
        for (size_t i = 0; i < l->n_entries; i++)
                if (is_bootable(&l->entries[i]) && (!any_good || !entry_is_bad(&l->entries[i])))
                        return i;
        /* Only entries the loader added itself (firmware setup...): there
         * is nothing to boot by default. */
        return first_bootable;
}
