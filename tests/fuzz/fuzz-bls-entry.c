/* SPDX-License-Identifier: MIT */
/* Type #1 entry files from arbitrary bytes, through the same path the
 * loader takes: the input is up to eight records separated by "\n===\n",
 * each "FILENAME\nCONTENT"; the last record also serves as loader.conf.
 * They are added to an entry list with room for four entries and a 1 KiB
 * string arena (exact-size heap blocks: AddressSanitizer sees any write
 * past them), then sorted, then the default is chosen. Checked: every
 * string of every entry lies inside the used part of the arena, an entry
 * refused half-way leaves the arena and the earlier entries untouched, the
 * order obeys the sort rules, and the default is a good entry whenever one
 * exists. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-entries.h"
#include "common/bls.h"
#include "common/entries.h"

#define CAPACITY 4
#define ARENA_SIZE 1024
#define RECORDS_MAX 8

static void check(bool condition) {
        if (!condition)
                abort();
}

static const char *arena_base;
static size_t arena_limit;

/* A string inside the used arena, NUL included; returns a hash of it. */
static uint64_t check_string(const char *s, uint64_t h) {
        size_t n;

        if (!s)
                return h * 31 + 1;
        check(s >= arena_base && s < arena_base + arena_limit);
        n = strnlen(s, (size_t) (arena_base + arena_limit - s));
        check(s + n < arena_base + arena_limit);
        for (size_t i = 0; i < n; i++)
                h = h * 131 + (uint8_t) s[i];
        return h * 31 + n;
}

static uint64_t check_entry(const struct boot_entry *e) {
        uint64_t h = 7;

        h = check_string(e->id, h);
        h = check_string(e->filename, h);
        h = check_string(e->title, h);
        h = check_string(e->version, h);
        h = check_string(e->sort_key, h);
        h = check_string(e->machine_id, h);
        h = check_string(e->linux_path, h);
        h = check_string(e->efi_path, h);
        h = check_string(e->devicetree, h);
        h = check_string(e->options, h);
        h = check_string(e->uki_path, h);
        h = check_string(e->alias, h);
        check(e->id && e->filename && e->title);
        check(!!e->linux_path + !!e->efi_path + !!e->uki_path == 1);
        check(e->uki_path ? e->n_initrds == 0 : e->n_extras == 0 && e->profile == 0);
        check(e->n_extras <= BLS_MAX_EXTRAS && (e->n_extras == 0 || e->extras));
        if (e->n_extras > 0) {
                check((const char *) e->extras >= arena_base &&
                      (const char *) (e->extras + e->n_extras) <= arena_base + arena_limit);
                check((uintptr_t) e->extras % sizeof(char *) == 0);
        }
        for (size_t i = 0; i < e->n_extras; i++)
                h = check_string(e->extras[i], h);
        check(e->n_initrds <= BLS_MAX_INITRDS && (e->n_initrds == 0 || e->initrds));
        if (e->n_initrds > 0) {
                check((const char *) e->initrds >= arena_base &&
                      (const char *) (e->initrds + e->n_initrds) <= arena_base + arena_limit);
                check((uintptr_t) e->initrds % sizeof(char *) == 0);
        }
        for (size_t i = 0; i < e->n_initrds; i++)
                h = check_string(e->initrds[i], h);
        return h;
}

static uint64_t check_list(const struct entry_list *l, size_t n) {
        uint64_t h = 1;

        arena_limit = l->arena_used;
        check(l->n_entries <= l->capacity && l->arena_used <= l->arena_size);
        for (size_t i = 0; i < n; i++)
                h = h * 1000003 + check_entry(&l->entries[i]);
        return h;
}

static void ignore_config_warning(void *userdata, unsigned line, const char *what, struct slice key) {
        (void) userdata;
        (void) line;
        (void) what;
        (void) key;
}

static void count_entry_warning(void *userdata, const char *filename, const char *what) {
        check(filename && what);
        (*(unsigned *) userdata)++;
}

static size_t find(const uint8_t *data, size_t size, const char *needle) {
        size_t n = strlen(needle);
        for (size_t i = 0; i + n <= size; i++)
                if (memcmp(data + i, needle, n) == 0)
                        return i;
        return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct boot_entry *storage = malloc(CAPACITY * sizeof(struct boot_entry));
        char *arena = malloc(ARENA_SIZE);
        struct loader_config config;
        struct entry_list l;
        char first_name[64] = "";
        unsigned warnings = 0;
        size_t records = 0, def;
        bool any_good = false;

        check(storage && arena);
        entry_list_init(&l, storage, CAPACITY, arena, ARENA_SIZE, count_entry_warning, &warnings);
        arena_base = arena;
        loader_config_init(&config);

        while (records < RECORDS_MAX) {
                size_t end = find(data, size, "\n===\n"), nl = find(data, end, "\n");
                size_t name_len = nl, content_start = nl < end ? nl + 1 : end;
                char *name = malloc(name_len ? name_len : 1), *content;
                size_t content_len = end - content_start, before = l.n_entries, used = l.arena_used;
                uint64_t h = check_list(&l, l.n_entries);
                struct bls_entry b;
                bool added;

                check(name != NULL);
                memcpy(name, data, name_len);
                content = malloc(content_len ? content_len : 1);
                check(content != NULL);
                memcpy(content, data + content_start, content_len);

                bls_entry_parse(&b, content, content_len, NULL, NULL);
                check(b.n_initrds <= BLS_MAX_INITRDS && b.n_options <= BLS_MAX_OPTIONS && b.n_extras <= BLS_MAX_EXTRAS);
                added = entries_add_type1(&l, records % 2 ? ENTRY_SOURCE_XBOOTLDR : ENTRY_SOURCE_ESP,
                                          slice_from(name, name_len), content, content_len);
                check(l.n_entries == before + added);
                if (!added)
                        check(l.arena_used == used);
                check(check_list(&l, before) == h);
                if (added)
                        check_entry(&l.entries[before]);
                if (records == 0)
                        memcpy(first_name, name, name_len < sizeof(first_name) - 1 ? name_len : sizeof(first_name) - 1);

                records++;
                if (end == size) {
                        loader_config_parse(&config, content, content_len, ignore_config_warning, NULL);
                        free(name);
                        free(content);
                        break;
                }
                free(name);
                free(content);
                data += end + 5;
                size -= end + 5;
        }

        entries_sort(&l);
        check_list(&l, l.n_entries);
        check(entries_in_menu_order(&l, &any_good));
        if (l.n_entries < l.capacity)
                check(entries_add_auto_firmware(&l));

        {
                /* Every rule at once (the first file's name as each pattern), then none. */
                const struct entry_default_request all = {
                        .sysfail = first_name, .oneshot = first_name, .preferred = first_name,
                        .efivar_default = "*", .saved = first_name, .config = &config,
                }, none = {};
                def = entries_select_default(&l, &all);
                if (l.n_entries == 0)
                        check(def == SIZE_MAX);
                else
                        check(def < l.n_entries);
                if (any_good)
                        check(!entry_is_bad(&l.entries[def]));
                bool good_profile0 = false;

                for (size_t i = 0; i < l.n_entries; i++)
                        good_profile0 |= !entry_is_bad(&l.entries[i]) && l.entries[i].profile == 0 &&
                                         !entry_is_auto(&l.entries[i]);
                def = entries_select_default(&l, &none);
                if (any_good)
                        check(!entry_is_bad(&l.entries[def]));
                /* Unasked, never a profile past the first while a good profile 0 exists (systemd 261). */
                if (good_profile0)
                        check(l.entries[def].profile == 0);
        }
        free(storage);
        free(arena);
        return 0;
}
