/* SPDX-License-Identifier: MIT */
/* Boot Loader Specification Type #1 entry files (common/bls.c) and the
 * rules entries_add_type1 applies on top (common/entries.c). The expected
 * fields in `vectors` are what `bootctl list --json=short` (systemd 252.39)
 * printed for files with exactly these bytes when the test was written
 * (title, version, machineId, sortKey, linux, efi, initrd, options). The
 * refusals further down are keel's own safety rules (bootctl lists such
 * entries; keel will not boot them), each stated where it is tested. Every
 * file is parsed from an exact-size heap copy, so AddressSanitizer reports
 * any read past its end. */
#include "keel-test.h"

#include "common/bls.h"
#include "common/entries.h"
#include "common/pe.h"

struct vector {
        const char *name;
        const char *content;
        size_t len; /* 0: strlen(content) */
        const char *title, *version, *machine_id, *sort_key, *linux_path, *efi_path;
        const char *initrds[4];
        const char *options;
};

/* From bootctl 252 (see the file comment). */
static const struct vector vectors[] = {
        { "basic.conf",
          "title Basic\nversion 1.2\nmachine-id 0123456789abcdef0123456789abcdef\nsort-key basic\nlinux /vmlinuz\n"
          "initrd /initrd\noptions root=/dev/sda quiet\n",
          0, "Basic", "1.2", "0123456789abcdef0123456789abcdef", "basic", "/vmlinuz", NULL, { "/initrd" },
          "root=/dev/sda quiet" },
        { "tabs.conf", "title\tTabbed   title  \n\tversion\t\t3 \nlinux\t/vmlinuz\noptions\t a=1 \n", 0, "Tabbed   title",
          "3", NULL, NULL, "/vmlinuz", NULL, { NULL }, "a=1" },
        { "repeat.conf", "title first\ntitle second\nversion 1\nversion 2\nlinux /vmlinuz\nlinux /vmlinuz2\n", 0, "second",
          "2", NULL, NULL, "/vmlinuz2", NULL, { NULL }, NULL },
        { "multiopt.conf", "title m\nlinux /vmlinuz\noptions a=1\noptions  b=2  c=3 \noptions d\n", 0, "m", NULL, NULL,
          NULL, "/vmlinuz", NULL, { NULL }, "a=1 b=2  c=3 d" },
        { "initrds.conf", "title i\nlinux /vmlinuz\ninitrd /i1\ninitrd /i2\ninitrd /i3\n", 0, "i", NULL, NULL, NULL,
          "/vmlinuz", NULL, { "/i1", "/i2", "/i3" }, NULL },
        { "comments.conf", "# title hidden\ntitle shown # not a comment\n  # indented comment\nlinux /vmlinuz\n", 0,
          "shown # not a comment", NULL, NULL, NULL, "/vmlinuz", NULL, { NULL }, NULL },
        { "crlf.conf", "title crlf\r\nversion 4\r\nlinux /vmlinuz\r\noptions x=1\r\n", 0, "crlf", "4", NULL, NULL,
          "/vmlinuz", NULL, { NULL }, "x=1" },
        { "cronly.conf", "title cronly\rversion 5\rlinux /vmlinuz\roptions y=2\r", 0, "cronly", "5", NULL, NULL,
          "/vmlinuz", NULL, { NULL }, "y=2" },
        { "nonl.conf", "title nonl\nlinux /vmlinuz\noptions z=3", 0, "nonl", NULL, NULL, NULL, "/vmlinuz", NULL, { NULL },
          "z=3" },
        { "novalue.conf", "title\ntitle kept\nversion\nlinux /vmlinuz\n", 0, "kept", NULL, NULL, NULL, "/vmlinuz", NULL,
          { NULL }, NULL },
        { "unknown.conf", "title u\nfrobnicate yes\nlinux /vmlinuz\ndevicetree-overlay /a /b\n", 0, "u", NULL, NULL, NULL,
          "/vmlinuz", NULL, { NULL }, NULL },
        /* A NUL ends a line (systemd's read_line()), it does not end the file. */
        { "nul.conf", "title nul\0title after nul\nlinux /vmlinuz\n", 41, "after nul", NULL, NULL, NULL, "/vmlinuz", NULL,
          { NULL }, NULL },
        { "efi.conf", "title efi\nefi /EFI/tool.efi\noptions --flag\n", 0, "efi", NULL, NULL, NULL, NULL, "/EFI/tool.efi",
          { NULL }, "--flag" },
        { "keycase.conf", "Title upper\ntitle lower\nLINUX /nope\nlinux /vmlinuz\n", 0, "lower", NULL, NULL, NULL,
          "/vmlinuz", NULL, { NULL }, NULL },
        { "quotes.conf", "title \"quoted title\"\nlinux /vmlinuz\noptions \"a b\" 'c'\n", 0, "\"quoted title\"", NULL, NULL,
          NULL, "/vmlinuz", NULL, { NULL }, "\"a b\" 'c'" },
};

static unsigned warnings;

static void count_entry_warning(void *userdata, const char *filename, const char *what) {
        (void) userdata;
        (void) filename;
        (void) what;
        warnings++;
}

struct list {
        struct boot_entry storage[8];
        char arena[64 * 1024];
        struct entry_list l;
};

/* A list as an x86-64 loader keeps it. */
static void list_init(struct list *L) {
        entry_list_init(&L->l, L->storage, ARRAY_SIZE(L->storage), L->arena, sizeof(L->arena), count_entry_warning, NULL);
        entry_list_set_architecture(&L->l, "x64", PE_MACHINE_X86_64);
}

static bool add(struct list *L, const char *name, const char *content, size_t len) {
        uint8_t *copy = exact_copy(content, len);
        bool r = entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(name), copy, len);
        free(copy);
        return r;
}

static void expect_str(const char *name, const char *what, const char *actual, const char *expected) {
        if ((actual == NULL) != (expected == NULL) || (actual && strcmp(actual, expected) != 0))
                fail_msg("%s: %s is '%s', bootctl says '%s'", name, what, actual ? actual : "(none)",
                         expected ? expected : "(none)");
}

static void test_like_bootctl(void **state) {
        struct list *L = malloc(sizeof(*L));
        (void) state;

        assert_non_null(L);
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                const struct vector *v = &vectors[i];
                const struct boot_entry *e;
                size_t n_initrds = 0;

                list_init(L);
                if (!add(L, v->name, v->content, v->len ? v->len : strlen(v->content)))
                        fail_msg("%s: refused, bootctl lists it", v->name);
                e = &L->l.entries[0];
                expect_str(v->name, "title", e->title, v->title);
                expect_str(v->name, "version", e->version, v->version);
                expect_str(v->name, "machine-id", e->machine_id, v->machine_id);
                expect_str(v->name, "sort-key", e->sort_key, v->sort_key);
                expect_str(v->name, "linux", e->linux_path, v->linux_path);
                expect_str(v->name, "efi", e->efi_path, v->efi_path);
                expect_str(v->name, "options", e->options, v->options);
                while (n_initrds < ARRAY_SIZE(v->initrds) && v->initrds[n_initrds])
                        n_initrds++;
                assert_int_equal(e->n_initrds, n_initrds);
                for (size_t k = 0; k < n_initrds; k++)
                        expect_str(v->name, "initrd", e->initrds[k], v->initrds[k]);
        }
        free(L);
}

struct warning_log {
        unsigned count;
        unsigned last_line;
        char last_what[32], last_key[32];
};

static void log_warning(void *userdata, unsigned line, const char *what, struct slice key) {
        struct warning_log *w = userdata;
        size_t n = key.len < sizeof(w->last_key) - 1 ? key.len : sizeof(w->last_key) - 1;

        w->count++;
        w->last_line = line;
        snprintf(w->last_what, sizeof(w->last_what), "%s", what);
        memcpy(w->last_key, key.ptr, n);
        w->last_key[n] = '\0';
}

static void parse(struct bls_entry *e, const char *content, size_t len, struct warning_log *w) {
        uint8_t *copy = exact_copy(content, len);
        memset(w, 0, sizeof(*w));
        bls_entry_parse(e, copy, len, log_warning, w);
        free(copy);
}

/* Warnings name the line and the key, as bootctl does ("...:4: Field
 * 'version' without value", "...:3: Unknown line 'frobnicate'"). */
static void test_warnings(void **state) {
        struct bls_entry e;
        struct warning_log w;
        static const char novalue[] = "title\ntitle kept\nversion   \n";
        static const char unknown[] = "title u\n\nfrobnicate yes\n";
        (void) state;

        parse(&e, novalue, sizeof(novalue) - 1, &w);
        assert_int_equal(w.count, 2);
        assert_int_equal(w.last_line, 3);
        assert_string_equal(w.last_what, "no value for");
        assert_string_equal(w.last_key, "version");

        parse(&e, unknown, sizeof(unknown) - 1, &w);
        assert_int_equal(w.count, 1);
        assert_int_equal(w.last_line, 3);
        assert_string_equal(w.last_key, "frobnicate");

        /* devicetree-overlay is known (and unused): no warning. */
        parse(&e, "devicetree-overlay /a /b\n", 25, &w);
        assert_int_equal(w.count, 0);
}

/* 32 initrd and 32 options lines are kept, the 33rd of each is reported and
 * dropped; the entry list keeps all 32 in order. */
static void test_repeat_limits(void **state) {
        char *text = malloc(8192);
        size_t len = 0;
        struct bls_entry e;
        struct warning_log w;
        struct list *L = malloc(sizeof(*L));
        (void) state;

        assert_non_null(text);
        assert_non_null(L);
        len += (size_t) sprintf(text + len, "linux /vmlinuz\n");
        for (int i = 0; i <= BLS_MAX_INITRDS; i++)
                len += (size_t) sprintf(text + len, "initrd /initrd%d\noptions o%d\n", i, i);
        parse(&e, text, len, &w);
        assert_int_equal(e.n_initrds, BLS_MAX_INITRDS);
        assert_int_equal(e.n_options, BLS_MAX_OPTIONS);
        assert_int_equal(w.count, 2);
        assert_string_equal(w.last_what, "too many");

        list_init(L);
        assert_true(add(L, "many.conf", text, len));
        assert_int_equal(L->l.entries[0].n_initrds, BLS_MAX_INITRDS);
        assert_string_equal(L->l.entries[0].initrds[31], "/initrd31");
        assert_true(strncmp(L->l.entries[0].options, "o0 o1 o2 ", 9) == 0);
        assert_non_null(strstr(L->l.entries[0].options, " o31"));
        assert_null(strstr(L->l.entries[0].options, "o32"));
        free(L);
        free(text);
}

/* keel refuses any path with a ".." component or a control character
 * (entry paths are relative to the partition root and have no business
 * leaving it), in every field that names a file. */
static void test_path_traversal(void **state) {
        static const char *const refused[] = {
                "title t\nlinux /../../x\n",
                "title t\nlinux ..\n",
                "title t\nlinux /boot/..\n",
                "title t\nlinux /vmlinuz\ninitrd ..\\x\n",
                "title t\nlinux /vmlinuz\ninitrd /ok\ninitrd \\EFI\\..\\..\\x\n",
                "title t\nefi /EFI/../../shell.efi\n",
                "title t\nlinux /vmlinuz\ndevicetree /dtb/../../x.dtb\n",
                "title t\nlinux /vm\x01linuz\n",
                "title t\nlinux /vm\x1flinuz\n",
                "title t\nlinux /vmlinuz\ninitrd /in\x7f/../x\n",
        };
        static const char *const accepted[] = {
                "title t\nlinux /...\n",
                "title t\nlinux /a..b/..c/d..\n",
                "title t\nlinux /.\n",
                "title t\nlinux \\EFI\\nixos\\kernel.efi\n",
        };
        struct list *L = malloc(sizeof(*L));
        (void) state;

        assert_non_null(L);
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
                list_init(L);
                warnings = 0;
                if (add(L, "t.conf", refused[i], strlen(refused[i])))
                        fail_msg("accepted: %s", refused[i]);
                assert_int_equal(L->l.n_entries, 0);
                assert_int_equal(L->l.arena_used, 0);
                assert_int_equal(warnings, 1);
        }
        for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
                list_init(L);
                if (!add(L, "t.conf", accepted[i], strlen(accepted[i])))
                        fail_msg("refused: %s", accepted[i]);
        }
        free(L);
}

static char *field_of(const char *key, size_t n, char fill, size_t *ret_len) {
        char *text = malloc(n + 64);
        size_t len;

        assert_non_null(text);
        len = (size_t) sprintf(text, "linux /vmlinuz\n%s ", key);
        memset(text + len, fill, n);
        len += n;
        text[len++] = '\n';
        *ret_len = len;
        return text;
}

/* Fields over 512 bytes (options over 8192 in total) make keel skip the
 * entry, never truncate it: a cut title or version could sort or match as
 * something it is not. */
static void test_field_limits(void **state) {
        static const char *const keys[] = { "title", "version", "sort-key", "machine-id", "initrd", "devicetree" };
        struct list *L = malloc(sizeof(*L));
        size_t len;
        char *text;
        (void) state;

        assert_non_null(L);
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                text = field_of(keys[i], 512, 'v', &len);
                list_init(L);
                if (!add(L, "fits.conf", text, len))
                        fail_msg("a 512-byte %s was refused", keys[i]);
                free(text);

                text = field_of(keys[i], 513, 'v', &len);
                list_init(L);
                warnings = 0;
                if (add(L, "long.conf", text, len))
                        fail_msg("a 513-byte %s was accepted", keys[i]);
                assert_int_equal(warnings, 1);
                assert_int_equal(L->l.arena_used, 0);
                free(text);
        }

        /* The linux path itself. */
        text = malloc(600);
        assert_non_null(text);
        len = (size_t) sprintf(text, "linux /");
        memset(text + len, 'k', 512);
        len += 512;
        list_init(L);
        assert_false(add(L, "longlinux.conf", text, len));
        free(text);

        /* 100 KB of options on one line; and 8192 bytes exactly (joined with
         * the separating spaces) against 8193. */
        text = field_of("options", 100000, 'o', &len);
        list_init(L);
        assert_false(add(L, "hugeoptions.conf", text, len));
        free(text);
        text = malloc(16384);
        assert_non_null(text);
        len = (size_t) sprintf(text, "linux /vmlinuz\n");
        for (int i = 0; i < 16; i++) {
                len += (size_t) sprintf(text + len, "options ");
                memset(text + len, 'a', 511);
                len += 511;
                text[len++] = '\n';
        }
        list_init(L);
        assert_true(add(L, "options8192.conf", text, len));
        assert_int_equal(strlen(L->l.entries[0].options), 8191);
        text[len - 1] = 'a';
        text[len++] = '\n';
        list_init(L);
        assert_false(add(L, "options8193.conf", text, len));
        free(text);
        free(L);
}

/* Entries keel cannot boot are hidden, as systemd-boot hides them. */
static void test_unbootable(void **state) {
        struct list *L = malloc(sizeof(*L));
        static const char *const hidden[] = {
                "title no kernel\noptions a\n",
                "title other arch\nlinux /vmlinuz\narchitecture aa64\n",
                "",
                "\n\n\n",
                "linux\n",
        };
        static const char *const shown[] = {
                "linux /vmlinuz\narchitecture x64\n",
                "linux /vmlinuz\narchitecture X64\n",
        };
        (void) state;

        assert_non_null(L);
        for (size_t i = 0; i < ARRAY_SIZE(hidden); i++) {
                list_init(L);
                if (add(L, "h.conf", hidden[i], strlen(hidden[i])))
                        fail_msg("shown: '%s'", hidden[i]);
        }
        for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
                list_init(L);
                if (!add(L, "s.conf", shown[i], strlen(shown[i])))
                        fail_msg("hidden: '%s'", shown[i]);
                /* Without a title, the menu shows the ID (as bootctl). */
                assert_string_equal(L->l.entries[0].title, "s.conf");
        }
        free(L);
}

/* Hostile files: a 100 KB line, NUL bytes, invalid UTF-8, CR-only line
 * ends, random bytes. The parser reads only what it is given and keeps
 * bytes as they are. */
static void test_hostile_files(void **state) {
        struct list *L = malloc(sizeof(*L));
        struct bls_entry e;
        struct warning_log w;
        size_t n = 100000, len;
        char *text = malloc(2 * n + 128);
        uint32_t seed = 99;
        (void) state;

        assert_non_null(L);
        assert_non_null(text);
        /* A 100 KB comment line and a 100 KB unknown key, then a good entry. */
        text[0] = '#';
        memset(text + 1, 'c', n);
        len = n + 1;
        text[len++] = '\n';
        memset(text + len, 'k', n);
        len += n;
        len += (size_t) sprintf(text + len, "\ntitle after long lines\nlinux /vmlinuz");
        parse(&e, text, len, &w);
        assert_int_equal(w.count, 1);
        assert_int_equal(e.title.len, strlen("after long lines"));
        list_init(L);
        assert_true(add(L, "long.conf", text, len));
        assert_string_equal(L->l.entries[0].title, "after long lines");

        /* NULs everywhere: each ends a line. */
        memcpy(text, "\0\0title\0t\0linux /vmlinuz\0\0", 27);
        parse(&e, text, 27, &w);
        assert_int_equal(e.linux_path.len, 8);
        assert_int_equal(e.title.len, 0);

        /* Invalid UTF-8 is kept byte for byte. */
        list_init(L);
        assert_true(add(L, "utf8.conf", "title caf\xc3\xa9 \xff\xfe\nlinux /vmlinuz\n",
                        strlen("title caf\xc3\xa9 \xff\xfe\nlinux /vmlinuz\n")));
        assert_string_equal(L->l.entries[0].title, "caf\xc3\xa9 \xff\xfe");

        /* Random bytes (a good share of them line ends and key letters):
         * never a crash, and whatever is found lies inside the buffer. */
        for (int round = 0; round < 3000; round++) {
                static const char alphabet[] = "title linux efi initrd options version \n\r\t\0\xff#/..\\";
                len = (size_t) round % 400;
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
                }
                parse(&e, text, len, &w);
                list_init(L);
                add(L, "random.conf", text, len);
                assert_true(L->l.n_entries <= 1);
        }
        free(text);
        free(L);
}

/* Type #1 keys of systemd 259-261: `uki` (a UKI started with the entry's
 * options), `profile` (its profile: "@N" load options), `extra` (companion
 * files, up to BLS_MAX_EXTRAS). The values are those bootctl 262 lists for
 * these files; where keel hides or ignores something bootctl lists, the
 * rule is systemd-boot's own (it cannot boot what it hides) or keel's
 * stated one. */
static void test_type1_uki(void **state) {
        static const char uki[] = "title U\nuki /EFI/Linux/a.efi\nprofile 1\nextra /x.cred\nextra /y.sysext.raw\n"
                                  "options a=b\n";
        struct list *L = malloc(sizeof(*L));
        const struct boot_entry *e;
        struct bls_entry b;
        (void) state;

        assert_non_null(L);
        bls_entry_parse(&b, uki, sizeof(uki) - 1, NULL, NULL);
        assert_true(slice_eq(b.uki_path, "/EFI/Linux/a.efi"));
        assert_true(slice_eq(b.profile, "1"));
        assert_int_equal(b.n_extras, 2);
        assert_true(slice_eq(b.extras[1], "/y.sysext.raw"));
        assert_false(b.conflicting_kinds);

        list_init(L);
        warnings = 0;
        assert_true(add(L, "u.conf", uki, sizeof(uki) - 1));
        e = &L->l.entries[0];
        assert_string_equal(e->uki_path, "/EFI/Linux/a.efi");
        assert_null(e->linux_path);
        assert_null(e->efi_path);
        assert_int_equal(e->profile, 1);
        assert_int_equal(e->n_extras, 2);
        assert_string_equal(e->extras[0], "/x.cred");
        assert_string_equal(e->options, "a=b");
        assert_int_equal(warnings, 0);

        /* Two kinds in one entry: systemd-boot takes it for broken and
         * hides it (bootctl lists it); the same kind twice: the last wins. */
        list_init(L);
        assert_false(add(L, "both.conf", "linux /k\nuki /u\n", 16));
        assert_false(add(L, "both2.conf", "efi /k\nuki-url http://x/y\n", 26));
        assert_true(add(L, "twice.conf", "uki /u1\nuki /u2\n", 16));
        assert_string_equal(L->l.entries[0].uki_path, "/u2");

        /* uki-url: keel boots nothing from the network; the entry is hidden. */
        list_init(L);
        warnings = 0;
        assert_false(add(L, "url.conf", "title url\nuki-url http://x/y.efi\n", 33));
        assert_int_equal(warnings, 1);

        /* profile: a number up to UINT32_MAX; anything else, or profile on
         * an entry that starts no UKI, is ignored with a warning (systemd-boot). */
        list_init(L);
        warnings = 0;
        assert_true(add(L, "p1.conf", "uki /u\nprofile 4294967295\n", 26));
        assert_int_equal(L->l.entries[0].profile, 4294967295u);
        assert_true(add(L, "p2.conf", "uki /u\nprofile 4294967296\n", 26));
        assert_int_equal(L->l.entries[1].profile, 0);
        assert_true(add(L, "p3.conf", "uki /u\nprofile x\n", 17));
        assert_int_equal(L->l.entries[2].profile, 0);
        assert_true(add(L, "p4.conf", "linux /k\nprofile 2\n", 19));
        assert_int_equal(L->l.entries[3].profile, 0);
        assert_int_equal(warnings, 3);

        /* initrd lines are not offered to a UKI (systemd-boot does not
         * either; a keel UKI would refuse them): dropped, with a warning;
         * extra is only for uki entries. */
        list_init(L);
        warnings = 0;
        assert_true(add(L, "ui.conf", "uki /u\ninitrd /i\n", 17));
        assert_int_equal(L->l.entries[0].n_initrds, 0);
        assert_true(add(L, "ex.conf", "efi /e\nextra /x.cred\n", 22));
        assert_int_equal(L->l.entries[1].n_extras, 0);
        assert_int_equal(warnings, 2);

        /* Paths of every key stay on the partition. */
        list_init(L);
        assert_false(add(L, "t1.conf", "uki /EFI/../../u\n", 17));
        assert_false(add(L, "t2.conf", "uki /u\nextra /a/../../x.cred\n", 29));
        assert_int_equal(L->l.n_entries, 0);
        free(L);
}

/* `extra` lines: up to BLS_MAX_EXTRAS, then one warning per line too many. */
static void test_extra_limit(void **state) {
        char text[4096];
        size_t o = (size_t) snprintf(text, sizeof(text), "uki /u\n");
        struct bls_entry b;
        struct warning_log w;
        struct list *L = malloc(sizeof(*L));
        (void) state;

        assert_non_null(L);
        for (unsigned i = 0; i < BLS_MAX_EXTRAS + 3; i++)
                o += (size_t) snprintf(text + o, sizeof(text) - o, "extra /e%u.cred\n", i);
        parse(&b, text, o, &w);
        assert_int_equal(b.n_extras, BLS_MAX_EXTRAS);
        assert_int_equal(w.count, 3);
        assert_string_equal(w.last_what, "too many");
        list_init(L);
        assert_true(add(L, "many.conf", text, o));
        assert_int_equal(L->l.entries[0].n_extras, BLS_MAX_EXTRAS);
        assert_string_equal(L->l.entries[0].extras[31], "/e31.cred");
        free(L);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_like_bootctl),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_repeat_limits),
                cmocka_unit_test(test_path_traversal),
                cmocka_unit_test(test_field_limits),
                cmocka_unit_test(test_unbootable),
                cmocka_unit_test(test_hostile_files),
                cmocka_unit_test(test_type1_uki),
                cmocka_unit_test(test_extra_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
