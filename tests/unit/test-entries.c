/* SPDX-License-Identifier: MIT */
/* The boot menu model (common/entries.c): which files become entries, their
 * order, the default, and what happens when the caller's storage runs out.
 * The expected order is the one `bootctl list --json=short` (systemd
 * 252.39) printed for the same entry files when the test was written;
 * where bootctl leaves something unspecified (the order of entries whose
 * IDs compare equal follows readdir()), the test states keel's own rule.
 * The default-selection rules are the Boot Loader Interface's (one-shot >
 * LoaderEntryDefault > loader.conf `default` > first entry) plus keel's
 * documented extension: a default never lands on an entry with no tries
 * left while a good entry exists. */
#include "keel-test.h"

#include "common/entries.h"

struct warning_log {
        unsigned count;
        char last[128];
};

static void log_warning(void *userdata, const char *filename, const char *what) {
        struct warning_log *w = userdata;

        if (!w)
                return;
        w->count++;
        snprintf(w->last, sizeof(w->last), "%s: %s", filename, what);
}

struct list {
        struct boot_entry *storage;
        char *arena;
        struct entry_list l;
        struct warning_log w;
};

static struct list *list_new(size_t capacity, size_t arena_size) {
        struct list *L = calloc(1, sizeof(*L));

        assert_non_null(L);
        L->storage = calloc(capacity ? capacity : 1, sizeof(struct boot_entry));
        L->arena = malloc(arena_size ? arena_size : 1);
        assert_non_null(L->storage);
        assert_non_null(L->arena);
        entry_list_init(&L->l, L->storage, capacity, L->arena, arena_size, log_warning, &L->w);
        return L;
}

static void list_free(struct list *L) {
        free(L->storage);
        free(L->arena);
        free(L);
}

/* Adds a Type #1 entry "title NAME / linux /vmlinuz / BODY". */
static bool add1(struct list *L, enum entry_source source, const char *name, const char *body) {
        char text[1024];
        int n = snprintf(text, sizeof(text), "title %s\nlinux /vmlinuz\n%s", name, body);
        uint8_t *copy = exact_copy(text, (size_t) n);
        bool r = entries_add_type1(&L->l, source, slice_from_cstr(name), copy, (size_t) n);

        free(copy);
        return r;
}

static bool add2(struct list *L, const char *name, const char *osrel) {
        uint8_t *copy = exact_copy(osrel, strlen(osrel));
        bool r = entries_add_type2(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(name), copy, strlen(osrel), "quiet", 5);

        free(copy);
        return r;
}

#define MA "machine-id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
#define MB "machine-id bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"

static const struct {
        const char *name, *body;
} order_input[] = {
        { "fedora-1.conf", "sort-key fedora\nversion 6.1\n" },
        { "fedora-2.conf", "sort-key fedora\nversion 6.10\n" },
        { "fedora-3.conf", "sort-key fedora\nversion 6.10~rc1\n" MB },
        { "fedora-4.conf", "sort-key fedora\nversion 6.9\n" MA },
        { "fedora-5.conf", "sort-key fedora\n" },
        { "fedora-6.conf", "sort-key fedora\nversion ~1\n" },
        { "arch-1.conf", "sort-key arch\nversion 1\n" },
        { "Zed.conf", "sort-key Zed\nversion 1\n" },
        { "nosk-1.10.conf", "" },
        { "nosk-1.9.conf", "version 99\n" },
        { "bad-1+0.conf", "sort-key aaa\n" },
        { "bad-2+0-3.conf", "" },
        { "good+3.conf", "" },
        { "a+b.conf", "" },
        { "a_b.conf", "" },
        { "c+1.conf", "" },
        { "c_.conf", "" },
        { "z+1-1.conf", "" },
        { "10.conf", "" },
        { "9.conf", "" },
};

/* bootctl 252's order for order_input (each file also has "title NAME" and
 * "linux /vmlinuz"): no tries left last; sort-key entries first, by
 * sort-key (strcmp: "Zed" < "arch"), then machine-id (none first), then
 * version newest first (no version counts as "": newer than "~1"); the rest
 * by ID, newest first. "c+1.conf"/"c_.conf" (IDs "c.conf", "c_.conf") and
 * "a+b.conf"/"a_b.conf" compare equal as versions: bootctl lists them in
 * readdir() order (either way round, depending on creation order); keel
 * orders them by file name (strcmp), which is one of bootctl's two. */
static const char *const bootctl_order[] = {
        "Zed.conf",     "arch-1.conf", "fedora-2.conf", "fedora-1.conf",  "fedora-5.conf", "fedora-6.conf",
        "fedora-4.conf", "fedora-3.conf", "10.conf",     "9.conf",         "z+1-1.conf",    "nosk-1.10.conf",
        "nosk-1.9.conf", "good+3.conf", "c+1.conf",      "c_.conf",        "a+b.conf",      "a_b.conf",
        "bad-1+0.conf",  "bad-2+0-3.conf",
};

static void test_order_like_bootctl(void **state) {
        uint32_t seed = 1;
        (void) state;

        /* The same order whatever order the files were found in. */
        for (int round = 0; round < 200; round++) {
                struct list *L = list_new(64, 64 * 1024);
                size_t perm[ARRAY_SIZE(order_input)];

                for (size_t i = 0; i < ARRAY_SIZE(perm); i++)
                        perm[i] = i;
                for (size_t i = ARRAY_SIZE(perm) - 1; round > 0 && i > 0; i--) {
                        size_t j, t;
                        seed = seed * 1103515245 + 12345;
                        j = (seed >> 16) % (i + 1);
                        t = perm[i];
                        perm[i] = perm[j];
                        perm[j] = t;
                }
                for (size_t i = 0; i < ARRAY_SIZE(perm); i++)
                        assert_true(add1(L, ENTRY_SOURCE_ESP, order_input[perm[i]].name, order_input[perm[i]].body));
                entries_sort(&L->l);
                assert_int_equal(L->l.n_entries, ARRAY_SIZE(bootctl_order));
                for (size_t i = 0; i < ARRAY_SIZE(bootctl_order); i++)
                        if (strcmp(L->l.entries[i].filename, bootctl_order[i]) != 0)
                                fail_msg("round %d: position %zu is %s, bootctl has %s", round, i,
                                         L->l.entries[i].filename, bootctl_order[i]);
                list_free(L);
        }
}

/* ESP entries before XBOOTLDR ones with the same ID (bootctl 252 with
 * --esp-path and --boot-path lists them so); Type #2 entries get their
 * sort key from os-release (IMAGE_ID, else ID) and so sort before Type #1
 * entries without one. */
static void test_order_sources_and_types(void **state) {
        struct list *L = list_new(16, 64 * 1024);
        (void) state;

        assert_true(add1(L, ENTRY_SOURCE_XBOOTLDR, "s.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "s.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "zz.conf", ""));
        assert_true(add2(L, "uki-1.efi", "ID=nixos\nVERSION_ID=1\n"));
        assert_true(add2(L, "uki-2.efi", "ID=nixos\nVERSION_ID=2\n"));
        assert_true(add2(L, "uki-bad+0.efi", "ID=aaa\nVERSION_ID=9\n"));
        entries_sort(&L->l);
        assert_string_equal(L->l.entries[0].filename, "uki-2.efi");
        assert_string_equal(L->l.entries[1].filename, "uki-1.efi");
        assert_string_equal(L->l.entries[2].filename, "zz.conf");
        assert_string_equal(L->l.entries[3].filename, "s.conf");
        assert_int_equal(L->l.entries[3].source, ENTRY_SOURCE_ESP);
        assert_string_equal(L->l.entries[4].filename, "s.conf");
        assert_int_equal(L->l.entries[4].source, ENTRY_SOURCE_XBOOTLDR);
        assert_string_equal(L->l.entries[5].filename, "uki-bad+0.efi");
        assert_string_equal(L->l.entries[0].efi_path, "\\EFI\\Linux\\uki-2.efi");
        assert_string_equal(L->l.entries[0].options, "quiet");
        list_free(L);
}

/* 10 000 entries (hostile ESPs have that many files): sorting terminates
 * and the result obeys the rules entry by entry. */
static void test_sort_many(void **state) {
        size_t n = 10000;
        struct list *L = list_new(n, 4 * 1024 * 1024);
        (void) state;

        for (size_t i = 0; i < n; i++) {
                char name[64], body[64];
                snprintf(name, sizeof(name), "e-%zu%s.conf", (i * 7919) % n, i % 5 == 0 ? "+0" : i % 3 == 0 ? "+2" : "");
                if (i % 4 == 0)
                        snprintf(body, sizeof(body), "sort-key k%zu\n", i % 7);
                else
                        body[0] = '\0';
                assert_true(add1(L, ENTRY_SOURCE_ESP, name, body));
        }
        entries_sort(&L->l);
        for (size_t i = 1; i < n; i++) {
                const struct boot_entry *a = &L->l.entries[i - 1], *b = &L->l.entries[i];
                /* no tries left last, then sort-key entries first */
                assert_true(entry_is_bad(a) <= entry_is_bad(b));
                if (entry_is_bad(a) == entry_is_bad(b)) {
                        assert_true((a->sort_key != NULL) >= (b->sort_key != NULL));
                        if (a->sort_key && b->sort_key)
                                assert_true(strcmp(a->sort_key, b->sort_key) <= 0);
                        if (!a->sort_key && !b->sort_key) {
                                /* "e-N": bigger N first (N compared as a number) */
                                long x = strtol(a->id + 2, NULL, 10), y = strtol(b->id + 2, NULL, 10);
                                assert_true(x > y);
                        }
                }
        }
        list_free(L);
}

/* ---- default selection ------------------------------------------------------ */

static struct list *selection_list(bool with_firmware) {
        struct list *L = list_new(16, 64 * 1024);

        assert_true(add1(L, ENTRY_SOURCE_ESP, "nixos-generation-12.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "nixos-generation-11+0.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "debian.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "fedora+0-3.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "arch+2-1.conf", ""));
        entries_sort(&L->l);
        if (with_firmware)
                assert_true(entries_add_auto_firmware(&L->l));
        return L;
}

static struct loader_config config_with(const char *pattern, bool saved) {
        struct loader_config c;

        loader_config_init(&c);
        snprintf(c.default_pattern, sizeof(c.default_pattern), "%s", pattern ? pattern : "");
        c.default_saved = saved;
        return c;
}

static const char *pick(const struct list *L, const char *oneshot, const char *efivar, const char *conf_pattern,
                        bool conf_saved, const char *saved) {
        struct loader_config c = config_with(conf_pattern, conf_saved);
        const struct entry_default_request r = {
                .oneshot = oneshot, .efivar_default = efivar, .saved = saved, .config = &c };
        size_t i = entries_select_default(&L->l, &r);

        return i < L->l.n_entries ? L->l.entries[i].id : NULL;
}

/* The default with every input of the request (config: the `default` and
 * `preferred` patterns). */
static const char *pick_all(const struct list *L, const struct entry_default_request *in, const char *conf_default,
                            const char *conf_preferred) {
        struct loader_config c = config_with(conf_default, false);
        struct entry_default_request r = *in;
        size_t i;

        snprintf(c.preferred_pattern, sizeof(c.preferred_pattern), "%s", conf_preferred ? conf_preferred : "");
        r.config = &c;
        i = entries_select_default(&L->l, &r);
        return i < L->l.n_entries ? L->l.entries[i].id : NULL;
}

static size_t select_plain(const struct list *L, const struct loader_config *c) {
        const struct entry_default_request r = { .config = c };
        return entries_select_default(&L->l, &r);
}

static void test_default_precedence(void **state) {
        struct list *L = selection_list(true);
        (void) state;

        /* No rule: the first entry. */
        assert_string_equal(pick(L, NULL, NULL, NULL, false, NULL), "nixos-generation-12.conf");
        assert_string_equal(pick(L, "", "", "", false, NULL), "nixos-generation-12.conf");
        /* loader.conf default, a glob matched ignoring case. */
        assert_string_equal(pick(L, NULL, NULL, "DEBIAN*", false, NULL), "debian.conf");
        /* LoaderEntryDefault beats loader.conf ... */
        assert_string_equal(pick(L, NULL, "arch*", "debian*", false, NULL), "arch.conf");
        /* ... and the one-shot beats both. */
        assert_string_equal(pick(L, "debian.conf", "arch*", "nixos*", false, NULL), "debian.conf");
        /* A rule that matches nothing hands over to the next. */
        assert_string_equal(pick(L, "nomatch", "nomatch*", "arch.conf", false, NULL), "arch.conf");
        assert_string_equal(pick(L, "nomatch", NULL, "nomatch", false, NULL), "nixos-generation-12.conf");
        /* @saved: the last booted entry, else the first. */
        assert_string_equal(pick(L, NULL, NULL, "", true, "arch.conf"), "arch.conf");
        assert_string_equal(pick(L, NULL, NULL, "", true, NULL), "nixos-generation-12.conf");
        assert_string_equal(pick(L, NULL, "debian*", "", true, "arch.conf"), "debian.conf");
        /* The firmware entry is chosen only when asked for by name. */
        assert_string_equal(pick(L, "auto-reboot-to-firmware-setup", NULL, NULL, false, NULL),
                            "auto-reboot-to-firmware-setup");
        list_free(L);
}

/* keel's rule: a rule whose matches all have no tries left is passed over
 * while any good entry exists; with no rule left, the first good entry. */
static void test_default_skips_bad_entries(void **state) {
        struct list *L = selection_list(true);
        (void) state;

        /* "nixos-generation-1?.conf" matches 12 (good) and 11 (bad). */
        assert_string_equal(pick(L, NULL, NULL, "nixos-generation-1?.conf", false, NULL), "nixos-generation-12.conf");
        /* The one-shot names a bad entry: LoaderEntryDefault decides. */
        assert_string_equal(pick(L, "fedora.conf", "debian*", NULL, false, NULL), "debian.conf");
        /* Every rule matches only bad entries: the first good entry. */
        assert_string_equal(pick(L, "fedora*", "nixos-generation-11*", "fedora.conf", false, NULL),
                            "nixos-generation-12.conf");
        /* @saved naming a bad entry. */
        assert_string_equal(pick(L, NULL, NULL, "", true, "nixos-generation-11.conf"), "nixos-generation-12.conf");
        /* "*" and a pattern matching bad and good entries alike. */
        assert_string_equal(pick(L, "*", NULL, NULL, false, NULL), "nixos-generation-12.conf");
        assert_string_equal(pick(L, NULL, NULL, "[fa]*", false, NULL), "arch.conf");
        list_free(L);

        /* No entry has tries left: the rules apply to all of them. */
        L = list_new(8, 16384);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "a+0.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "b+0-1.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "c+0.conf", ""));
        entries_sort(&L->l);
        assert_true(entries_add_auto_firmware(&L->l));
        assert_string_equal(pick(L, NULL, NULL, NULL, false, NULL), "c.conf");
        assert_string_equal(pick(L, NULL, NULL, "b*", false, NULL), "b.conf");
        assert_string_equal(pick(L, "a.conf", "b*", NULL, false, NULL), "a.conf");
        list_free(L);

        /* A good entry without a counter alongside counted ones. */
        L = list_new(8, 16384);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "zz+0.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "aa.conf", ""));
        entries_sort(&L->l);
        assert_string_equal(pick(L, NULL, NULL, "zz*", false, NULL), "aa.conf");
        list_free(L);
}

/* systemd 258-262 rules: LoaderEntrySysFail (only passed after a system
 * failure) beats everything; LoaderEntryPreferred and `preferred` never
 * pick an entry with no tries left, not even when no entry has any. The
 * order LoaderEntryPreferred > LoaderEntryDefault > `preferred` > `default`
 * is what systemd-boot 262 chose under OVMF on an ESP with each pair set
 * (ovmf-tests/scenarios/loader-bli-262.sh boots it again). */
static void test_default_preferred(void **state) {
        struct list *L = selection_list(true);
        (void) state;

        /* LoaderEntryPreferred beats LoaderEntryDefault and loader.conf. */
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .preferred = "arch*", .efivar_default = "debian*" },
                                     "nixos*", "debian*"),
                            "arch.conf");
        /* One with no tries left is passed over: LoaderEntryDefault decides. */
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .preferred = "fedora*", .efivar_default = "debian*" },
                                     NULL, NULL),
                            "debian.conf");
        /* loader.conf `preferred` beats `default`, and LoaderEntryDefault beats `preferred`. */
        assert_string_equal(pick_all(L, &(struct entry_default_request) {}, "debian*", "arch*"), "arch.conf");
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .efivar_default = "debian*" }, NULL, "arch*"),
                            "debian.conf");
        /* The one-shot beats LoaderEntryPreferred; LoaderEntrySysFail beats the one-shot. */
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .oneshot = "debian.conf", .preferred = "arch*" },
                                     NULL, NULL),
                            "debian.conf");
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .sysfail = "nixos*", .oneshot = "debian.conf" },
                                     NULL, NULL),
                            "nixos-generation-12.conf");
        /* And loader.conf's `default` and `preferred` too: the order systemd-boot's
         * code and documentation state (262.1 looks at the ESRT only after it
         * chose, README "Differences from systemd 262"). */
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .sysfail = "nixos*" }, "debian*", "arch*"),
                            "nixos-generation-12.conf");
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .sysfail = "nixos*", .efivar_default = "debian*" },
                                     NULL, NULL),
                            "nixos-generation-12.conf");
        /* @saved in LoaderEntryDefault: the saved entry. */
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .efivar_default = "@saved", .saved = "debian.conf" },
                                     "arch*", NULL),
                            "debian.conf");
        list_free(L);

        /* No entry has tries left: LoaderEntryDefault may pick one, LoaderEntryPreferred never does. */
        L = list_new(8, 16384);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "a+0.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "b+0-1.conf", ""));
        entries_sort(&L->l);
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .preferred = "a*" }, NULL, NULL), "b.conf");
        assert_string_equal(pick_all(L, &(struct entry_default_request) {}, NULL, "a*"), "b.conf");
        assert_string_equal(pick_all(L, &(struct entry_default_request) { .efivar_default = "a*" }, NULL, NULL), "a.conf");
        list_free(L);
}

/* systemd 261: with no rule matching, the first entry that boots profile 0
 * of its UKI — never a profile past the first unasked (a Type #1 `uki`
 * entry with `profile` counts as such). */
static void test_default_profile0(void **state) {
        struct list *L = list_new(8, 16384);
        static const char p1[] = "title p\nsort-key a\nuki /u.efi\nprofile 1\n";
        static const char p0[] = "title q\nsort-key b\nuki /u.efi\n";
        (void) state;

        assert_true(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr("p1.conf"), p1, sizeof(p1) - 1));
        assert_true(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr("p0.conf"), p0, sizeof(p0) - 1));
        entries_sort(&L->l);
        assert_string_equal(L->l.entries[0].id, "p1.conf");
        assert_string_equal(pick(L, NULL, NULL, NULL, false, NULL), "p0.conf");
        /* Named, it is the default. */
        assert_string_equal(pick(L, NULL, NULL, "p1*", false, NULL), "p1.conf");
        list_free(L);

        /* Only profiles past the first: the first of them, rather than nothing. */
        L = list_new(8, 16384);
        assert_true(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr("p1.conf"), p1, sizeof(p1) - 1));
        entries_sort(&L->l);
        assert_string_equal(pick(L, NULL, NULL, NULL, false, NULL), "p1.conf");
        list_free(L);
}

static void test_default_empty(void **state) {
        struct list *L = list_new(4, 4096);
        struct loader_config c = config_with("*", false);
        (void) state;

        assert_null(pick(L, "*", "*", "*", false, NULL));
        assert_int_equal(select_plain(L, NULL), SIZE_MAX);
        assert_int_equal(entries_find(&L->l, "*", false), SIZE_MAX);

        /* Only the loader's own firmware-setup entry: nothing to boot by
         * default (the loader shows its no-entry screen instead of
         * rebooting into setup), unless a rule names it. */
        assert_true(entries_add_auto_firmware(&L->l));
        assert_int_equal(select_plain(L, NULL), SIZE_MAX);
        c = config_with("", false);
        assert_int_equal(select_plain(L, &c), SIZE_MAX);
        assert_string_equal(pick(L, "auto-reboot-to-firmware-setup", NULL, NULL, false, NULL),
                            "auto-reboot-to-firmware-setup");
        list_free(L);
}

/* ---- which files are entries ------------------------------------------------ */

static void test_candidate_names(void **state) {
        static const char *const type1_yes[] = { "a.conf", "x.CONF", "y.Conf", "+3.conf", "Auto-y.conf" };
        /* Hidden files and "auto-" names (reserved for the loader's own
         * entries; systemd-boot 252 skips them too, bootctl 252 lists them). */
        static const char *const type1_no[] = { ".conf", ".hidden.conf", "auto-x.conf", "x.conf.bak", "conf", "",
                                                 "x.efi", "x.con" };
        static const char *const type2_yes[] = { "a.efi", "b.EFI", "c+3-1.Efi" };
        static const char *const type2_no[] = { ".efi", ".x.efi", "auto-z.efi", "a.efi~", "efi", "a.conf" };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(type1_yes); i++)
                assert_true(entry_filename_is_type1(slice_from_cstr(type1_yes[i])));
        for (size_t i = 0; i < ARRAY_SIZE(type1_no); i++)
                assert_false(entry_filename_is_type1(slice_from_cstr(type1_no[i])));
        for (size_t i = 0; i < ARRAY_SIZE(type2_yes); i++)
                assert_true(entry_filename_is_type2(slice_from_cstr(type2_yes[i])));
        for (size_t i = 0; i < ARRAY_SIZE(type2_no); i++)
                assert_false(entry_filename_is_type2(slice_from_cstr(type2_no[i])));
}

/* bootctl 252 refuses names outside [A-Za-z0-9+-_.] ("Invalid loader entry
 * name: sp ace.conf", "café.conf"); so does keel, with a warning. */
static void test_invalid_names(void **state) {
        static const char *const names[] = { "sp ace.conf", "caf\xc3\xa9.conf", "a\xff.conf", "tab\t.conf", "x~1.conf",
                                             "a/b.conf", "a\\b.conf", "semi;colon.conf", "nl\n.conf" };
        struct list *L = list_new(16, 16384);
        char longname[300];
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                L->w.count = 0;
                if (add1(L, ENTRY_SOURCE_ESP, names[i], ""))
                        fail_msg("accepted '%s'", names[i]);
                assert_int_equal(L->w.count, 1);
        }
        assert_int_equal(L->l.n_entries, 0);
        assert_int_equal(L->l.arena_used, 0);

        /* The longest name a FAT or ext4 directory holds (255 bytes) is fine. */
        memset(longname, 'n', 250);
        memcpy(longname + 250, ".conf", 6);
        assert_true(add1(L, ENTRY_SOURCE_ESP, longname, ""));
        list_free(L);
}

/* ---- storage limits --------------------------------------------------------- */

/* A full entry array: further entries are skipped with a warning, and the
 * entries already added are untouched. */
static void test_full_array(void **state) {
        struct list *L = list_new(3, 64 * 1024);
        struct boot_entry before[3];
        char titles[3][32];
        (void) state;

        assert_true(add1(L, ENTRY_SOURCE_ESP, "one.conf", "version 1\noptions a\n"));
        assert_true(add2(L, "two.efi", "PRETTY_NAME=Two\nID=two\nVERSION_ID=2\n"));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "three+1.conf", "initrd /i\n"));
        memcpy(before, L->l.entries, sizeof(before));
        for (int i = 0; i < 3; i++)
                snprintf(titles[i], sizeof(titles[i]), "%s", L->l.entries[i].title);
        L->w.count = 0;
        assert_false(add1(L, ENTRY_SOURCE_ESP, "four.conf", ""));
        assert_false(add2(L, "five.efi", "ID=five\n"));
        assert_false(entries_add_auto_firmware(&L->l));
        assert_int_equal(L->w.count, 2);
        assert_non_null(strstr(L->w.last, "too many boot entries"));
        assert_int_equal(L->l.n_entries, 3);
        assert_memory_equal(before, L->l.entries, sizeof(before));
        for (int i = 0; i < 3; i++)
                assert_string_equal(L->l.entries[i].title, titles[i]);
        assert_string_equal(L->l.entries[2].initrds[0], "/i");
        list_free(L);

        /* Capacity 0: nothing is ever written to the array. */
        L = list_new(0, 4096);
        assert_false(add1(L, ENTRY_SOURCE_ESP, "x.conf", ""));
        assert_false(entries_add_auto_firmware(&L->l));
        list_free(L);
}

/* A full string arena: the entry that does not fit is skipped with a
 * warning and its partial allocations are rolled back; earlier entries keep
 * their strings, and a later, smaller entry still fits. */
static void test_full_arena(void **state) {
        char big_body[700];
        struct list *L;
        size_t used_after_first;
        char saved_arena[512];
        (void) state;

        memset(big_body, 0, sizeof(big_body));
        memcpy(big_body, "options ", 8);
        memset(big_body + 8, 'o', 500);
        big_body[508] = '\n';

        L = list_new(8, 512);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "first.conf", "version 1\ninitrd /a\ninitrd /b\n"));
        used_after_first = L->l.arena_used;
        memcpy(saved_arena, L->arena, used_after_first);
        L->w.count = 0;
        assert_false(add1(L, ENTRY_SOURCE_ESP, "second.conf", big_body));
        assert_int_equal(L->w.count, 1);
        assert_non_null(strstr(L->w.last, "out of memory"));
        assert_int_equal(L->l.n_entries, 1);
        assert_int_equal(L->l.arena_used, used_after_first);
        assert_memory_equal(saved_arena, L->arena, used_after_first);
        assert_string_equal(L->l.entries[0].id, "first.conf");
        assert_string_equal(L->l.entries[0].version, "1");
        assert_string_equal(L->l.entries[0].initrds[1], "/b");

        /* The same for a UKI whose strings do not fit. */
        memcpy(big_body, "PRETTY_NAME=", 12);
        memset(big_body + 12, 'T', 500);
        memcpy(big_body + 512, "\nID=x\n", 7);
        assert_false(add2(L, "uki.efi", big_body));
        assert_int_equal(L->l.arena_used, used_after_first);
        assert_int_equal(L->l.n_entries, 1);

        /* A small entry still fits in what is left. */
        assert_true(add1(L, ENTRY_SOURCE_ESP, "s.conf", ""));
        assert_int_equal(L->l.n_entries, 2);
        assert_memory_equal(saved_arena, L->arena, used_after_first);
        list_free(L);

        /* Every arena size from 0 up: an entry is either added whole or not at
         * all, and never written outside the arena (ASan watches the
         * exact-size block). */
        for (size_t size = 0; size < 400; size++) {
                L = list_new(2, size);
                if (add1(L, ENTRY_SOURCE_ESP, "e+1-2.conf", "version 5\nsort-key s\ninitrd /x\noptions a b\n")) {
                        const struct boot_entry *e = &L->l.entries[0];
                        assert_string_equal(e->id, "e.conf");
                        assert_string_equal(e->initrds[0], "/x");
                        assert_string_equal(e->options, "a b");
                        assert_true(L->l.arena_used <= size);
                } else
                        assert_int_equal(L->l.arena_used, 0);
                list_free(L);
        }
}

/* The arena is a char buffer: it need not be aligned for the initrd pointer
 * array the entries keep in it. */
static void test_unaligned_arena(void **state) {
        struct boot_entry storage[2];
        char *block = malloc(4096 + 8);
        struct entry_list l;
        (void) state;

        assert_non_null(block);
        for (size_t offset = 1; offset < 8; offset++) {
                entry_list_init(&l, storage, 2, block + offset, 4096, NULL, NULL);
                assert_true(entries_add_type1(&l, ENTRY_SOURCE_ESP, slice_from_cstr("u.conf"),
                                              "linux /k\ninitrd /i1\ninitrd /i2\n", 31));
                assert_string_equal(l.entries[0].initrds[1], "/i2");
                assert_true((uintptr_t) l.entries[0].initrds % sizeof(char *) == 0);
        }
        free(block);
}

/* ---- ranked lists: which entries stay when there are too many ------------------ */

static struct list *ranked_new(size_t capacity, size_t reserved, size_t arena_size) {
        struct list *L = calloc(1, sizeof(*L));

        assert_non_null(L);
        L->storage = calloc(capacity ? capacity : 1, sizeof(struct boot_entry));
        L->arena = malloc(arena_size ? arena_size : 1);
        assert_non_null(L->storage);
        assert_non_null(L->arena);
        entry_list_init_ranked(&L->l, L->storage, capacity, reserved, L->arena, arena_size, log_warning, &L->w);
        return L;
}

static void shuffle(size_t *v, size_t n, uint32_t *seed) {
        for (size_t i = n - 1; n > 1 && i > 0; i--) {
                size_t j, t;
                *seed = *seed * 1103515245 + 12345;
                j = (*seed >> 8) % (i + 1);
                t = v[i];
                v[i] = v[j];
                v[j] = t;
        }
}

/* The case: 5000 small UKIs and one real, newer one, with the
 * loader's own sizes. All have the sort key "small" (their ID=); the real
 * one has VERSION_ID=2, the others 1, so it comes first; then the small
 * ones by ID, newest first: small-4999, small-4998, ... (UAPI version order
 * compares the numbers as numbers). The menu keeps the first
 * ENTRY_MENU_MAX of that order however the files were found; before, the
 * loader kept the first 1024 it found and dropped the real one. */
static void test_ranked_keeps_first_in_menu_order(void **state) {
        enum { N_SMALL = 5000 };
        size_t *order = malloc((N_SMALL + 1) * sizeof(size_t));
        uint32_t seed = 77;
        (void) state;

        assert_non_null(order);
        for (int round = 0; round < 4; round++) {
                struct list *L = ranked_new(ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, ENTRY_MENU_RESERVED,
                                            ENTRY_MENU_ARENA_SIZE);
                size_t added = 0;

                /* Round 0: the real one is found last; 1: first; then shuffled. */
                for (size_t i = 0; i <= N_SMALL; i++)
                        order[i] = round == 1 ? (i + N_SMALL) % (N_SMALL + 1) : i;
                if (round >= 2)
                        shuffle(order, N_SMALL + 1, &seed);
                for (size_t i = 0; i <= N_SMALL; i++) {
                        char name[32];
                        if (order[i] == N_SMALL)
                                added += add2(L, "real.efi", "ID=small\nVERSION_ID=2\nPRETTY_NAME=Real\n");
                        else {
                                snprintf(name, sizeof(name), "small-%04zu.efi", order[i]);
                                added += add2(L, name, "ID=small\nVERSION_ID=1\n");
                        }
                }
                assert_int_equal(L->l.n_entries, ENTRY_MENU_MAX);
                assert_int_equal(L->w.count, N_SMALL + 1 - ENTRY_MENU_MAX);
                assert_non_null(strstr(L->w.last, "too many boot entries"));
                entries_sort(&L->l);
                assert_string_equal(L->l.entries[0].id, "real.efi");
                assert_string_equal(L->l.entries[0].title, "Real");
                for (size_t i = 1; i < ENTRY_MENU_MAX; i++) {
                        char want[32];
                        snprintf(want, sizeof(want), "small-%04zu.efi", (size_t) N_SMALL - i);
                        if (strcmp(L->l.entries[i].id, want) != 0)
                                fail_msg("round %d: entry %zu is %s, expected %s", round, i, L->l.entries[i].id, want);
                        assert_string_equal(L->l.entries[i].efi_path + strlen("\\EFI\\Linux\\"), want);
                        assert_string_equal(L->l.entries[i].options, "quiet");
                }
                /* The reserved slots are still free for the loader's own. */
                for (size_t i = 0; i < ENTRY_MENU_RESERVED; i++)
                        assert_true(entries_add_auto_firmware(&L->l));
                assert_false(entries_add_auto_firmware(&L->l));
                (void) added;
                list_free(L);
        }
        free(order);
}

/* Type #1 entries of very different sizes, many more than half the arena
 * holds: whatever the order of arrival, the kept entries are the same ones,
 * the first k in menu order ("e-0199", "e-0198", ...: no sort key, by ID),
 * with every string intact after the list has moved them to reuse the space
 * of the entries it dropped. */
static void test_ranked_arena_budget(void **state) {
        enum { N = 300 };
        size_t order[N], first_k = 0;
        uint32_t seed = 5;
        char *body = malloc(16384);
        (void) state;

        assert_non_null(body);
        for (int round = 0; round < 6; round++) {
                struct list *L = ranked_new(N, 0, 256 * 1024);
                size_t k;

                for (size_t i = 0; i < N; i++)
                        order[i] = round == 1 ? N - 1 - i : i;
                if (round >= 2)
                        shuffle(order, N, &seed);
                for (size_t i = 0; i < N; i++) {
                        size_t n = order[i], len = (n * 2654435761u) % 7000; /* 0..6999 bytes of options */
                        char name[32];
                        int o;

                        snprintf(name, sizeof(name), "e-%04zu.conf", n);
                        o = snprintf(body, 16384, "title Entry %zu\nlinux /vmlinuz\ninitrd /a-%zu\ninitrd /b-%zu\noptions ", n,
                                     n, n);
                        memset(body + o, (int) ('a' + n % 26), len);
                        o += (int) len;
                        body[o++] = '\n';
                        assert_true(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(name), body, (size_t) o) ||
                                    L->w.count > 0);
                }
                k = L->l.n_entries;
                /* The budget, not the count, is the limit here, and every
                 * warning says so (also for entries that sort after one left
                 * out for its size). */
                assert_true(k > 1 && k < N);
                assert_int_equal(L->w.count, N - k);
                assert_non_null(strstr(L->w.last, "boot entries too large"));
                assert_true(L->l.arena_used <= L->l.arena_size);
                if (round == 0)
                        first_k = k;
                else if (k != first_k)
                        fail_msg("round %d kept %zu entries, round 0 kept %zu", round, k, first_k);
                entries_sort(&L->l);
                for (size_t i = 0; i < k; i++) {
                        const struct boot_entry *e = &L->l.entries[i];
                        size_t n = N - 1 - i, len = (n * 2654435761u) % 7000;
                        char want[32];

                        snprintf(want, sizeof(want), "e-%04zu.conf", n);
                        if (strcmp(e->id, want) != 0)
                                fail_msg("round %d: entry %zu is %s, expected %s", round, i, e->id, want);
                        snprintf(want, sizeof(want), "Entry %zu", n);
                        assert_string_equal(e->title, want);
                        assert_string_equal(e->linux_path, "/vmlinuz");
                        assert_int_equal(e->n_initrds, 2);
                        assert_true((uintptr_t) e->initrds % sizeof(char *) == 0);
                        snprintf(want, sizeof(want), "/a-%zu", n);
                        assert_string_equal(e->initrds[0], want);
                        snprintf(want, sizeof(want), "/b-%zu", n);
                        assert_string_equal(e->initrds[1], want);
                        if (len == 0)
                                assert_null(e->options);
                        else {
                                assert_int_equal(strlen(e->options), len);
                                assert_true(e->options[0] == (char) ('a' + n % 26) &&
                                            e->options[len - 1] == (char) ('a' + n % 26));
                        }
                        /* Every string inside the used arena. */
                        assert_true(e->id >= L->l.arena && e->id < L->l.arena + L->l.arena_used);
                        assert_true(e->initrds[1] >= L->l.arena && e->initrds[1] < L->l.arena + L->l.arena_used);
                }
                list_free(L);
        }
        free(body);
}

/* Entries from both partitions, with and without sort keys and counters,
 * some with no tries left, in many arrival orders: a ranked list keeps the
 * same entries every time, and they are what the full sorted list starts
 * with (a consistency check between ranking and entries_sort, whose order
 * the tests above hold against bootctl). Once the count is the limit, once
 * the arena budget. */
static void test_ranked_order_independent(void **state) {
        enum { N = 400 };
        static const char *const keys[] = { "", "sort-key a\n", "sort-key b\nversion 2\n", "sort-key b\nversion 10\n" };
        static const char *const counters[] = { "", "+0", "+3-1", "", "+1" };
        static const struct {
                size_t capacity, arena_size;
        } configs[] = { { 64, 1024 * 1024 }, { N, 4 * ENTRY_COST_MAX } };
        char names[N][32], *bodies[N], o[601];
        size_t order[N];
        uint32_t seed = 99;
        (void) state;

        /* Options of up to 600 bytes: 400 entries are more than the budget
         * of the smallest arena a ranked list makes its promise for. */
        memset(o, 'o', sizeof(o) - 1);
        o[sizeof(o) - 1] = '\0';
        for (size_t i = 0; i < N; i++) {
                size_t len = (i * 7919) % 600;
                snprintf(names[i], sizeof(names[i]), i % 7 ? "n-%zu%s.conf" : "x-%zu%s.conf", (i * 37) % 101,
                         counters[i % 5]);
                bodies[i] = malloc(700);
                assert_non_null(bodies[i]);
                snprintf(bodies[i], 700, "title t%zu\nlinux /vmlinuz\n%soptions %.*s\n", i, keys[i % 4], (int) len, o);
        }
        for (size_t c = 0; c < ARRAY_SIZE(configs); c++) {
                struct list *all = list_new(N, 4 * 1024 * 1024);
                size_t kept = 0;

                /* The reference: every entry, sorted. Files with the same name
                 * exist once per partition: i % 3 decides which. */
                for (size_t i = 0; i < N; i++)
                        entries_add_type1(&all->l, i % 3 ? ENTRY_SOURCE_ESP : ENTRY_SOURCE_XBOOTLDR,
                                          slice_from_cstr(names[i]), bodies[i], strlen(bodies[i]));
                entries_sort(&all->l);
                for (int round = 0; round < 6; round++) {
                        struct list *L = ranked_new(configs[c].capacity, 0, configs[c].arena_size);

                        for (size_t i = 0; i < N; i++)
                                order[i] = i;
                        shuffle(order, N, &seed);
                        for (size_t i = 0; i < N; i++) {
                                size_t n = order[i];
                                entries_add_type1(&L->l, n % 3 ? ENTRY_SOURCE_ESP : ENTRY_SOURCE_XBOOTLDR,
                                                  slice_from_cstr(names[n]), bodies[n], strlen(bodies[n]));
                        }
                        entries_sort(&L->l);
                        if (round == 0)
                                kept = L->l.n_entries;
                        assert_int_equal(L->l.n_entries, kept);
                        assert_true(kept > 0 && kept < all->l.n_entries);
                        for (size_t i = 0; i < kept; i++) {
                                const struct boot_entry *a = &L->l.entries[i], *b = &all->l.entries[i];
                                if (strcmp(a->filename, b->filename) != 0 || a->source != b->source)
                                        fail_msg("config %zu round %d: position %zu is %d:%s, the full list has %d:%s", c,
                                                 round, i, a->source, a->filename, b->source, b->filename);
                                assert_string_equal(a->title, b->title);
                                assert_true(strcmp(a->options ? a->options : "", b->options ? b->options : "") == 0);
                        }
                        list_free(L);
                }
                list_free(all);
        }
        for (size_t i = 0; i < N; i++)
                free(bodies[i]);
}

/* The dropped entries' space is reused: far more entries pass through the
 * list than the arena could hold at once, and none is refused for lack of
 * memory. */
static void test_ranked_reuses_space(void **state) {
        struct list *L = ranked_new(4, 0, 4 * ENTRY_COST_MAX);
        char body[2200];
        (void) state;

        memcpy(body, "linux /k\noptions ", 17);
        memset(body + 17, 'x', 2000);
        body[2017] = '\n';
        /* Each new entry sorts first (bigger number) and pushes one out. */
        for (size_t i = 0; i < 2000; i++) {
                char name[32];
                snprintf(name, sizeof(name), "e-%zu.conf", i);
                assert_true(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(name), body, 2018));
                if (strstr(L->w.last, "out of memory"))
                        fail_msg("entry %zu: %s", i, L->w.last);
        }
        entries_sort(&L->l);
        assert_int_equal(L->l.n_entries, 4);
        assert_string_equal(L->l.entries[0].id, "e-1999.conf");
        assert_string_equal(L->l.entries[3].id, "e-1996.conf");
        assert_int_equal(strlen(L->l.entries[3].options), 2000);
        list_free(L);
}

/* Too small an arena for even one entry: entries are refused, nothing is
 * written outside the arena, and nothing is kept. */
static void test_ranked_tiny(void **state) {
        for (size_t size = 0; size < 200; size += 7) {
                struct list *L = ranked_new(3, 1, size);
                (void) state;
                for (int i = 0; i < 5; i++) {
                        char name[32];
                        snprintf(name, sizeof(name), "t-%d.conf", i);
                        add1(L, ENTRY_SOURCE_ESP, name, "options a b c\n");
                }
                assert_true(L->l.n_entries <= 2);
                assert_true(L->l.arena_used <= L->l.arena_size);
                list_free(L);
        }
        /* No slot at all for entries from files. */
        {
                struct list *L = ranked_new(2, 2, 64 * 1024);
                assert_false(add1(L, ENTRY_SOURCE_ESP, "a.conf", ""));
                assert_int_equal(L->l.n_entries, 0);
                assert_true(entries_add_auto_firmware(&L->l));
                list_free(L);
        }
}

/* ---- files an entry names ------------------------------------------------------- */

struct fake_tree {
        unsigned calls;
};

/* "/dir*" are directories, "/empty*" empty files, "/missing*" absent,
 * anything else a file with data. */
static enum entry_file_kind fake_file_kind(void *userdata, const char *path) {
        struct fake_tree *t = userdata;

        t->calls++;
        if (strncmp(path, "/dir", 4) == 0)
                return ENTRY_FILE_DIRECTORY;
        if (strncmp(path, "/empty", 6) == 0)
                return ENTRY_FILE_EMPTY;
        if (strncmp(path, "/missing", 8) == 0)
                return ENTRY_FILE_MISSING;
        return ENTRY_FILE_REGULAR;
}

/* A kernel or EFI program that is a directory or has no bytes cannot be
 * booted: hidden at discovery with a warning, like a missing one, instead
 * of failing once chosen (as the default: on every boot). An initrd that is
 * a directory or missing hides the entry too; an empty initrd is legal. */
static void test_file_check(void **state) {
        static const struct {
                const char *name, *body, *warning; /* NULL: listed */
        } cases[] = {
                { "ok.conf", "linux /vmlinuz\ninitrd /initrd\n", NULL },
                { "linux-dir.conf", "linux /dir\n", "a file it names is a directory" },
                { "linux-root.conf", "linux /dir-root\n", "a file it names is a directory" },
                { "linux-empty.conf", "linux /empty\n", "its 'linux' or 'efi' file is empty" },
                { "linux-missing.conf", "linux /missing\n", "a file it names is missing" },
                { "efi-empty.conf", "efi /empty.efi\n", "its 'linux' or 'efi' file is empty" },
                { "efi-dir.conf", "efi /dir/x.efi\n", "a file it names is a directory" },
                { "efi-ok.conf", "efi /EFI/tool.efi\n", NULL },
                { "initrd-dir.conf", "linux /vmlinuz\ninitrd /initrd\ninitrd /dir\n", "a file it names is a directory" },
                { "initrd-missing.conf", "linux /vmlinuz\ninitrd /missing\n", "a file it names is missing" },
                { "initrd-empty.conf", "linux /vmlinuz\ninitrd /empty\ninitrd /initrd\n", NULL },
                { "dtb-missing.conf", "linux /vmlinuz\ndevicetree /missing.dtb\n", NULL }, /* x86-64 uses none */
                /* Two things to start: systemd-boot hides it as broken, before any file is looked at. */
                { "both.conf", "linux /vmlinuz\nefi /empty\n", "more than one of 'linux', 'efi', 'uki'" },
                { "uki-ok.conf", "uki /EFI/tool.efi\nextra /missing.cred\n", NULL }, /* extras: skipped at boot */
                { "uki-empty.conf", "uki /empty.efi\n", "its 'uki' file is empty" },
                { "uki-missing.conf", "uki /missing.efi\n", "a file it names is missing" },
        };
        struct fake_tree tree = { 0 };
        struct list *L = list_new(32, 64 * 1024);
        (void) state;

        entry_list_set_file_check(&L->l, fake_file_kind, &tree);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                size_t before = L->l.n_entries, used = L->l.arena_used;
                uint8_t *copy = exact_copy(cases[i].body, strlen(cases[i].body));
                bool added;

                L->w.count = 0;
                added = entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(cases[i].name), copy,
                                          strlen(cases[i].body));
                free(copy);
                if (!cases[i].warning) {
                        if (!added)
                                fail_msg("%s hidden: %s", cases[i].name, L->w.last);
                        assert_int_equal(L->w.count, 0);
                        continue;
                }
                if (added)
                        fail_msg("%s listed, expected '%s'", cases[i].name, cases[i].warning);
                assert_int_equal(L->w.count, 1);
                if (!strstr(L->w.last, cases[i].warning))
                        fail_msg("%s: warning '%s', expected '%s'", cases[i].name, L->w.last, cases[i].warning);
                assert_int_equal(L->l.n_entries, before);
                assert_int_equal(L->l.arena_used, used);
        }
        assert_true(tree.calls > 0);

        /* Without a check (the unit tests above, the fuzzers), nothing is looked at. */
        tree.calls = 0;
        entry_list_set_file_check(&L->l, NULL, NULL);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "nocheck.conf", "initrd /dir\n"));
        assert_int_equal(tree.calls, 0);
        list_free(L);
}

/* A hidden entry never costs a good one its place: in a full ranked list an
 * entry that would sort first but names a directory leaves the kept entries
 * as they are. (The loader used to add the entry, then take the last one
 * back off when its files were missing.) */
static void test_file_check_before_ranking(void **state) {
        struct fake_tree tree = { 0 };
        struct list *L = ranked_new(2, 0, 256 * 1024);
        (void) state;

        entry_list_set_file_check(&L->l, fake_file_kind, &tree);
        assert_true(add1(L, ENTRY_SOURCE_ESP, "b-1.conf", ""));
        assert_true(add1(L, ENTRY_SOURCE_ESP, "b-2.conf", ""));
        L->w.count = 0;
        assert_false(entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr("z-9.conf"), "linux /dir\n", 11));
        assert_int_equal(L->w.count, 1);
        assert_non_null(strstr(L->w.last, "directory"));
        /* And a good one that sorts first still gets in, pushing out b-1. */
        assert_true(add1(L, ENTRY_SOURCE_ESP, "z-8.conf", ""));
        entries_sort(&L->l);
        assert_int_equal(L->l.n_entries, 2);
        assert_string_equal(L->l.entries[0].id, "z-8.conf");
        assert_string_equal(L->l.entries[1].id, "b-2.conf");
        list_free(L);
}

/* A UKI's .osrel and .cmdline are read up to 64 KiB; past that the warning
 * says which section, how large it is, and the limit. */
static void test_uki_section_limit(void **state) {
        char why[128];
        (void) state;

        assert_true(entry_uki_section_fits(".cmdline", 0, why, sizeof(why)));
        assert_string_equal(why, "");
        assert_true(entry_uki_section_fits(".cmdline", 65536, why, sizeof(why)));
        assert_false(entry_uki_section_fits(".cmdline", 65537, why, sizeof(why)));
        assert_string_equal(why, "its .cmdline section is 65537 bytes, more than the 65536 keel reads; ignoring it");
        assert_false(entry_uki_section_fits(".osrel", 4294967295u, why, sizeof(why)));
        assert_string_equal(why, "its .osrel section is 4294967295 bytes, more than the 65536 keel reads; ignoring it");
        assert_false(entry_uki_section_fits(".osrel", UINT64_MAX, why, sizeof(why)));
        assert_non_null(strstr(why, " 18446744073709551615 bytes"));
        /* A short buffer gets the start of the text, terminated; none at all is fine. */
        assert_false(entry_uki_section_fits(".cmdline", 70000, why, 10));
        assert_string_equal(why, "its .cmdl");
        assert_false(entry_uki_section_fits(".cmdline", 70000, why, 1));
        assert_string_equal(why, "");
        assert_false(entry_uki_section_fits(".cmdline", 70000, NULL, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_like_bootctl),
                cmocka_unit_test(test_order_sources_and_types),
                cmocka_unit_test(test_sort_many),
                cmocka_unit_test(test_default_precedence),
                cmocka_unit_test(test_default_skips_bad_entries),
                cmocka_unit_test(test_default_preferred),
                cmocka_unit_test(test_default_profile0),
                cmocka_unit_test(test_default_empty),
                cmocka_unit_test(test_candidate_names),
                cmocka_unit_test(test_invalid_names),
                cmocka_unit_test(test_full_array),
                cmocka_unit_test(test_full_arena),
                cmocka_unit_test(test_unaligned_arena),
                cmocka_unit_test(test_ranked_keeps_first_in_menu_order),
                cmocka_unit_test(test_ranked_arena_budget),
                cmocka_unit_test(test_ranked_order_independent),
                cmocka_unit_test(test_ranked_reuses_space),
                cmocka_unit_test(test_ranked_tiny),
                cmocka_unit_test(test_file_check),
                cmocka_unit_test(test_file_check_before_ranking),
                cmocka_unit_test(test_uki_section_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
