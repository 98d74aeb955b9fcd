/* SPDX-License-Identifier: MIT */
/* keel entries: the boot menu the loader will show, computed on the host by
 * the loader's own common/ code. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/commands.h"
#include "host-tools/entries/efivars.h"
#include "host-tools/entries/esp.h"
#include "host-tools/core/log.h"
#include "common/utf.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: keel entries --esp DIR [--xbootldr DIR] [--json]\n"
                   "Lists the boot entries in the order the keel loader shows them, with its default.\n"
                   "Reads LoaderEntryOneShot/LoaderEntryDefault from efivarfs when present.\n");
}

/* --esp and --xbootldr must name readable directories: anything else would
 * silently list nothing. */
static int check_dir(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0 || access(path, R_OK | X_OK) != 0)
                return log_errno(errno, "entries: cannot read %s", path);
        if (!S_ISDIR(st.st_mode))
                return log_error("entries: %s is not a directory", path);
        return 0;
}

static void entry_warn(void *userdata, const char *filename, const char *what) {
        (void) userdata;
        log_warning("%s: %s", filename, what);
}

static const char *type_name(const struct boot_entry *e) {
        switch (e->type) {
        case ENTRY_TYPE1: return "type1";
        case ENTRY_TYPE2: return "type2";
        default: return "auto";
        }
}

static char *entry_path(const struct boot_entry *e, const char *esp, const char *xbootldr) {
        const char *root = e->source == ENTRY_SOURCE_XBOOTLDR ? xbootldr : esp;
        const char *dir = e->type == ENTRY_TYPE1 ? "loader/entries" : "EFI/Linux";
        char *d = esp_path_nocase(root, dir), *p = NULL;

        if (d && asprintf(&p, "%s/%s", d, e->filename) < 0)
                p = NULL;
        free(d);
        return p;
}

/* JSON text is UTF-8, ESP bytes need not be: malformed sequences become
 * U+FFFD, as they do in the loader's menu (the same UTF-8 -> UTF-16 step). */
static json_object *json_string_or_null(const char *s) {
        size_t n = s ? strlen(s) : 0;
        uint16_t *u16 = s ? malloc((n + 1) * sizeof(uint16_t)) : NULL;
        char *u8 = u16 ? malloc(3 * n + 1) : NULL;
        json_object *o = NULL;

        if (u8) {
                utf16_to_utf8(u16, utf8_to_utf16(s, n, u16), u8);
                o = json_object_new_string(u8);
        }
        free(u8);
        free(u16);
        return o;
}

static void print_json(const struct entry_list *l, size_t def, const char *esp, const char *xbootldr) {
        json_object *array = json_object_new_array();

        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                json_object *o = json_object_new_object();
                char *path = entry_path(e, esp, xbootldr);

                json_object_object_add(o, "id", json_string_or_null(e->id));
                json_object_object_add(o, "type", json_object_new_string(type_name(e)));
                json_object_object_add(o, "title", json_string_or_null(e->title));
                json_object_object_add(o, "version", json_string_or_null(e->version));
                json_object_object_add(o, "sort_key", json_string_or_null(e->sort_key));
                json_object_object_add(o, "machine_id", json_string_or_null(e->machine_id));
                json_object_object_add(o, "path", json_string_or_null(path));
                json_object_object_add(o, "linux", json_string_or_null(e->linux_path));
                json_object_object_add(o, "efi", json_string_or_null(e->efi_path));
                json_object_object_add(o, "options", json_string_or_null(e->options));
                json_object_object_add(o, "tries_left",
                                       e->tries_left >= 0 ? json_object_new_int64(e->tries_left) : NULL);
                json_object_object_add(o, "tries_done",
                                       e->tries_done >= 0 ? json_object_new_int64(e->tries_done) : NULL);
                json_object_object_add(o, "is_default", json_object_new_boolean(i == def));
                json_object_array_add(array, o);
                free(path);
        }
        puts(json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(array);
}

static void print_text(const struct entry_list *l, size_t def) {
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                printf("%c %-40s %s", i == def ? '*' : ' ', e->id, e->title);
                if (e->version)
                        printf(" (%s)", e->version);
                if (e->tries_left >= 0) {
                        printf(" [tries left %lld", (long long) e->tries_left);
                        if (e->tries_done >= 0)
                                printf(", done %lld", (long long) e->tries_done);
                        printf("]");
                }
                putchar('\n');
        }
}

int entries_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "esp", required_argument, NULL, 'e' },
                { "xbootldr", required_argument, NULL, 'x' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *esp = NULL, *xbootldr = NULL;
        char *oneshot, *efivar_default, *saved;
        struct boot_entry *storage;
        struct loader_config config;
        struct entry_list l;
        bool json = false;
        char *arena;
        size_t def;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'e': esp = optarg; break;
                case 'x': xbootldr = optarg; break;
                case 'j': json = true; break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("entries: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("entries: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (optind < argc)
                return log_error("entries: unexpected argument %s", argv[optind]), 1;
        if (!esp)
                return log_error("entries: --esp DIR is required"), 1;
        if (check_dir(esp) < 0 || (xbootldr && check_dir(xbootldr) < 0))
                return 1;

        /* The loader's sizes and its ranked list (loader/loader.c): with more
         * entries than fit, both keep the same ones. */
        storage = calloc(ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, sizeof(*storage));
        arena = malloc(ENTRY_MENU_ARENA_SIZE);
        if (!storage || !arena)
                return log_error("out of memory"), 1;
        entry_list_init_ranked(&l, storage, ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, ENTRY_MENU_RESERVED, arena,
                               ENTRY_MENU_ARENA_SIZE, entry_warn, NULL);
        esp_read_loader_conf(&config, esp);
        esp_discover_entries(&l, esp, ENTRY_SOURCE_ESP);
        if (xbootldr)
                esp_discover_entries(&l, xbootldr, ENTRY_SOURCE_XBOOTLDR);
        entries_sort(&l);

        oneshot = efivar_read_string("LoaderEntryOneShot", LOADER_GUID_STR);
        efivar_default = efivar_read_string("LoaderEntryDefault", LOADER_GUID_STR);
        saved = efivar_read_string("LoaderEntryLastBooted", LOADER_GUID_STR);
        def = entries_select_default(&l, oneshot, efivar_default, &config, saved);

        if (json)
                print_json(&l, def, esp, xbootldr);
        else
                print_text(&l, def);
        free(oneshot);
        free(efivar_default);
        free(saved);
        free(storage);
        free(arena);
        return 0;
}
