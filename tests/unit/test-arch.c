/* SPDX-License-Identifier: MIT */
/* The host's architecture table (host-tools/core/arch.c) and the entry
 * list's architecture (common/entries.c). The table's values themselves are
 * compared with peers in tests/cli/test-arch.sh (systemd-id128 for the
 * partition types, real arm64 images for the machine types); here: lookups,
 * names that must hang together (the removable path and keel's binary are
 * spelled from the EFI name as firmware and `make` spell them), and that a
 * list for one architecture hides Type #1 entries for the other, ignoring
 * case as systemd-boot does. */
#include <ctype.h>

#include "keel-test.h"

#include "common/entries.h"
#include "common/pe.h"
#include "host-tools/core/arch.h"

static void test_lookups(void **state) {
        (void) state;
        assert_true(keel_n_arches >= 2);
        for (unsigned i = 0; i < keel_n_arches; i++) {
                const struct keel_arch *a = &keel_arches[i];
                char upper[16], expect[64];
                size_t n = strlen(a->name);

                assert_ptr_equal(keel_arch_from_name(a->name), a);
                assert_ptr_equal(keel_arch_from_machine(a->pe_machine), a);
                assert_ptr_equal(keel_arch_from_nix_system(a->nix_system), a);
                assert_true(n < sizeof(upper));
                for (size_t k = 0; k <= n; k++)
                        upper[k] = (char) toupper((unsigned char) a->name[k]);
                assert_ptr_equal(keel_arch_from_name(upper), a);
                snprintf(expect, sizeof(expect), "EFI/BOOT/BOOT%s.EFI", upper);
                assert_string_equal(a->removable_path, expect);
                snprintf(expect, sizeof(expect), "keel%s.efi", a->name);
                assert_string_equal(a->keel_binary, expect);
                /* Every type differs from every other one in the table. */
                for (unsigned j = 0; j < keel_n_arches; j++) {
                        const struct keel_arch *b = &keel_arches[j];
                        const char *ta[] = { a->root_type, a->root_verity_type, a->usr_type, a->usr_verity_type };
                        const char *tb[] = { b->root_type, b->root_verity_type, b->usr_type, b->usr_verity_type };
                        for (size_t x = 0; x < 4; x++)
                                for (size_t y = 0; y < 4; y++)
                                        if (i != j || x != y)
                                                assert_string_not_equal(ta[x], tb[y]);
                }
        }
        assert_ptr_equal(keel_arch_from_machine(PE_MACHINE_X86_64)->name, keel_arch_from_name("x64")->name);
        assert_ptr_equal(keel_arch_from_machine(PE_MACHINE_AARCH64), keel_arch_from_name("aa64"));
        assert_ptr_equal(keel_arch_from_nix_system("aarch64-linux"), keel_arch_from_name("AA64"));
        assert_null(keel_arch_from_machine(PE_MACHINE_I386));
        assert_null(keel_arch_from_machine(PE_MACHINE_RISCV64));
        assert_null(keel_arch_from_machine(0));
        assert_null(keel_arch_from_name("x86_64"));
        assert_null(keel_arch_from_name("aa6"));
        assert_null(keel_arch_from_name(""));
        assert_null(keel_arch_from_name(NULL));
        assert_null(keel_arch_from_nix_system("aarch64-darwin"));
        assert_null(keel_arch_from_nix_system("AARCH64-linux"));
        assert_null(keel_arch_from_nix_system(NULL));
        assert_string_equal(keel_arch_names(), "x64|aa64");
}

static void ignore_warning(void *userdata, const char *filename, const char *what) {
        (void) filename;
        (void) what;
        (*(unsigned *) userdata)++;
}

struct list {
        struct boot_entry storage[8];
        char arena[16 * 1024];
        struct entry_list l;
        unsigned warnings;
};

static bool add(struct list *L, const char *name, const char *text) {
        size_t len = strlen(text);
        uint8_t *copy = exact_copy(text, len);
        bool r = entries_add_type1(&L->l, ENTRY_SOURCE_ESP, slice_from_cstr(name), copy, len);
        free(copy);
        return r;
}

static void test_list_architecture(void **state) {
        struct list *L = calloc(1, sizeof(*L));
        (void) state;

        assert_non_null(L);
        for (unsigned i = 0; i < keel_n_arches; i++) {
                const struct keel_arch *a = &keel_arches[i], *other = &keel_arches[(i + 1) % keel_n_arches];
                char text[128], upper[16];

                memset(L, 0, sizeof(*L));
                entry_list_init(&L->l, L->storage, ARRAY_SIZE(L->storage), L->arena, sizeof(L->arena), ignore_warning,
                                &L->warnings);
                entry_list_set_architecture(&L->l, a->name, a->pe_machine);
                assert_int_equal(L->l.machine, a->pe_machine);
                snprintf(text, sizeof(text), "title own\nlinux /vmlinuz\narchitecture %s\n", a->name);
                assert_true(add(L, "own.conf", text));
                for (size_t k = 0; k <= strlen(a->name); k++)
                        upper[k] = (char) toupper((unsigned char) a->name[k]);
                snprintf(text, sizeof(text), "title upper\nlinux /vmlinuz\narchitecture %s\n", upper);
                assert_true(add(L, "upper.conf", text));
                assert_true(add(L, "none.conf", "title none\nlinux /vmlinuz\n"));
                snprintf(text, sizeof(text), "title other\nlinux /vmlinuz\narchitecture %s\n", other->name);
                assert_false(add(L, "other.conf", text));
                /* A prefix or an extension of the name is another name. */
                snprintf(text, sizeof(text), "title longer\nlinux /vmlinuz\narchitecture %sx\n", a->name);
                assert_false(add(L, "longer.conf", text));
                snprintf(text, sizeof(text), "title shorter\nlinux /vmlinuz\narchitecture %.*s\n",
                         (int) strlen(a->name) - 1, a->name);
                assert_false(add(L, "shorter.conf", text));
                assert_int_equal(L->l.n_entries, 3);
                assert_int_equal(L->warnings, 3);
        }
        free(L);
}

/* A new list takes every architecture (the loader and `keel entries` set
 * theirs): nothing is hidden until someone says what the target is. */
static void test_list_default(void **state) {
        struct list *L = calloc(1, sizeof(*L));
        (void) state;

        assert_non_null(L);
        entry_list_init(&L->l, L->storage, ARRAY_SIZE(L->storage), L->arena, sizeof(L->arena), ignore_warning,
                        &L->warnings);
        assert_null(L->l.architecture);
        assert_int_equal(L->l.machine, 0);
        for (unsigned i = 0; i < keel_n_arches; i++) {
                char text[128], name[32];
                snprintf(text, sizeof(text), "title %s\nlinux /vmlinuz\narchitecture %s\n", keel_arches[i].name,
                         keel_arches[i].name);
                snprintf(name, sizeof(name), "%s.conf", keel_arches[i].name);
                assert_true(add(L, name, text));
        }
        assert_int_equal(L->l.n_entries, keel_n_arches);
        assert_int_equal(L->warnings, 0);
        free(L);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookups),
                cmocka_unit_test(test_list_architecture),
                cmocka_unit_test(test_list_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
