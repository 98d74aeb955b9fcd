/* SPDX-License-Identifier: MIT */
/* keel entries: the boot menu the loader will show, computed on the host by
 * the loader's own common/ code. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/entries/efivars.h"
#include "host-tools/entries/esp.h"
#include "host-tools/core/log.h"
#include "host-tools/uki/thin-content.h"
#include "common/error.h"
#include "common/utf.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: keel entries --esp DIR [--xbootldr DIR] [--arch %s] [--json] [--check]\n"
                   "Lists the boot entries in the order the keel loader shows them, with its default.\n"
                   "--arch: the machine the menu is for (entries for another architecture and UKIs\n"
                   "for another machine are not shown, as the loader does not show them); default: the\n"
                   "architecture of the loader at \\EFI\\BOOT\\BOOT<ARCH>.EFI on the ESP, else the host's.\n"
                   "Reads LoaderEntryOneShot/LoaderEntryDefault from efivarfs when present.\n"
                   "--check verifies that every entry's files are there and complete (Type #1: linux,\n"
                   "initrd, efi, devicetree; UKIs parse; a thin UKI's content, also that of one a Type #1\n"
                   "linux or efi names, has its size and SHA-256),\n"
                   "including entries the loader would hide for a missing file: one line \"ID PATH: REASON\"\n"
                   "per broken entry (and \"no default entry to boot\" when there is none); exit status 1\n"
                   "if any. With --json: {\"ok\", \"default\", \"entries\": [{\"id\", \"path\", \"ok\", \"reason\"}]}.\n",
                keel_arch_names());
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

/* The machine the menu is for: --arch, else the architecture of the loader
 * the firmware starts from this ESP (\EFI\BOOT\BOOT<ARCH>.EFI: firmware
 * picks the file by its name), else the host's. */
static int target_arch(const char *esp, const char *arg, const struct keel_arch **ret) {
        const struct keel_arch *found = NULL;

        if (arg) {
                if (!(*ret = keel_arch_from_name(arg)))
                        return log_error("entries: --arch %s: expected %s", arg, keel_arch_names());
                return 0;
        }
        for (unsigned i = 0; i < keel_n_arches; i++) {
                char *p = esp_path_nocase(esp, keel_arches[i].removable_path);
                struct stat st;
                bool present = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);

                free(p);
                if (!present)
                        continue;
                if (found)
                        return log_error("entries: the ESP has loaders for %s and %s in \\EFI\\BOOT; say which "
                                         "machine the menu is for with --arch",
                                         found->name, keel_arches[i].name);
                found = &keel_arches[i];
        }
        if (!found && !(found = keel_arch_host()))
                return log_error("entries: no loader in \\EFI\\BOOT and keel does not boot this host's "
                                 "architecture; say which with --arch %s",
                                 keel_arch_names());
        *ret = found;
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
                json_object_object_add(o, "uki", json_string_or_null(e->uki_path));
                json_object_object_add(o, "options", json_string_or_null(e->options));
                if (e->n_extras > 0) {
                        json_object *extras = json_object_new_array();
                        for (size_t k = 0; k < e->n_extras; k++)
                                json_object_array_add(extras, json_string_or_null(e->extras[k]));
                        json_object_object_add(o, "extra", extras);
                } else
                        json_object_object_add(o, "extra", NULL);
                json_object_object_add(o, "tries_left",
                                       e->tries_left >= 0 ? json_object_new_int64(e->tries_left) : NULL);
                json_object_object_add(o, "tries_done",
                                       e->tries_done >= 0 ? json_object_new_int64(e->tries_done) : NULL);
                /* The UKI profile it boots (a UKI, or a Type #1 `uki`); null for other entries. */
                json_object_object_add(o, "profile", e->type == ENTRY_TYPE2 || e->uki_path
                                                             ? json_object_new_int64(e->profile)
                                                             : NULL);
                /* The other name patterns match (entries.h: alias). */
                json_object_object_add(o, "alias", json_string_or_null(e->alias));
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

#define REASON_MAX 640

/* One path an entry names, below the root of the partition it comes from. */
static bool check_named_file(const char *root, const char *key, const char *path, bool need_data, char *why,
                             size_t why_size) {
        char *p = esp_path_nocase(root, path);
        struct stat st;
        bool ok = false;

        if (!p || stat(p, &st) < 0)
                snprintf(why, why_size, "%s %s is missing", key, path);
        else if (S_ISDIR(st.st_mode))
                snprintf(why, why_size, "%s %s is a directory", key, path);
        else if (!S_ISREG(st.st_mode))
                snprintf(why, why_size, "%s %s is not a regular file", key, path);
        else if (need_data && st.st_size == 0)
                snprintf(why, why_size, "%s %s is empty", key, path);
        else if (access(p, R_OK) != 0)
                snprintf(why, why_size, "%s %s cannot be read", key, path);
        else
                ok = true;
        free(p);
        return ok;
}

/* A `linux` or `efi` that is a thin UKI boots only with the content its
 * refs name, on the entry's own volume (where its stub looks): each ref of
 * each profile is checked. A file that is no PE image names nothing. */
static bool check_thin_target(const char *root, const char *key, const char *path, char *why, size_t why_size) {
        char *p = esp_path_nocase(root, path), reason[256];
        struct thin_file_refs t;
        bool ok = true;

        if (!p || thin_refs_of_file(p, &t, reason, sizeof(reason)) < 0) {
                snprintf(why, why_size, "%s %s: %s", key, path, p ? reason : "is missing");
                free(p);
                return false;
        }
        for (size_t i = 0; ok && i < t.n; i++) {
                const struct thin_file_ref *r = &t.refs[i];
                struct thin_content c;

                if (thin_content_check(root, &r->ref, &c) < 0) {
                        snprintf(why, why_size, "%s %s: cannot check its content", key, path);
                        ok = false;
                } else if (c.state != THIN_CONTENT_OK) {
                        char profile[32] = "";
                        if (r->profile > 0)
                                snprintf(profile, sizeof(profile), "profile %u: ", r->profile);
                        snprintf(why, why_size, "%s %s: %s%s content %s: %s", key, path, profile,
                                 r->initrd ? ".tinitrd" : ".tlinux", r->ref.path, thin_content_state_string(c.state));
                        ok = false;
                }
                thin_content_done(&c);
        }
        thin_file_refs_done(&t);
        free(p);
        return ok;
}

static bool check_uki(const char *path, unsigned profile, const char *volume, uint16_t machine,
                      bool *ret_other_machine, char *why, size_t why_size);

/* A `uki` (systemd 259) must be a complete UKI with the profile the entry
 * boots, as a Type #2 entry must. */
static bool check_type1_uki(const struct boot_entry *e, const char *root, uint16_t machine, char *why,
                            size_t why_size) {
        char *p, reason[REASON_MAX / 2];
        bool ok;

        if (!check_named_file(root, "uki", e->uki_path, true, why, why_size))
                return false;
        p = esp_path_nocase(root, e->uki_path);
        ok = p && check_uki(p, e->profile, root, machine, NULL, reason, sizeof(reason));
        if (!ok)
                snprintf(why, why_size, "uki %s: %s", e->uki_path, p ? reason : "is missing");
        free(p);
        return ok;
}

static bool check_type1(const struct boot_entry *e, const char *root, uint16_t machine, char *why, size_t why_size) {
        if (e->linux_path && (!check_named_file(root, "linux", e->linux_path, true, why, why_size) ||
                              !check_thin_target(root, "linux", e->linux_path, why, why_size)))
                return false;
        if (e->efi_path && (!check_named_file(root, "efi", e->efi_path, true, why, why_size) ||
                            !check_thin_target(root, "efi", e->efi_path, why, why_size)))
                return false;
        if (e->uki_path && !check_type1_uki(e, root, machine, why, why_size))
                return false;
        for (size_t i = 0; i < e->n_initrds; i++)
                if (!check_named_file(root, "initrd", e->initrds[i], false, why, why_size))
                        return false;
        /* An empty companion file is skipped by the loader, as a missing one. */
        for (size_t i = 0; i < e->n_extras; i++)
                if (!check_named_file(root, "extra", e->extras[i], true, why, why_size))
                        return false;
        if (e->devicetree && !check_named_file(root, "devicetree", e->devicetree, false, why, why_size))
                return false;
        return true;
}

/* A UKI file is complete: it parses as the loader and stub read it and,
 * when thin, the content it names on volume has its size and SHA-256 — for
 * the profile the entry boots (0: the UKI itself when it has no .profile). */
static bool check_uki(const char *path, unsigned profile, const char *volume, uint16_t machine,
                      bool *ret_other_machine, char *why, size_t why_size) {
        struct pe_image *pe = malloc(sizeof(*pe));
        struct uki_thin_refs refs;
        struct uki_sections u;
        struct stat st;
        uint8_t *map = MAP_FAILED;
        bool ok = false;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;

        if (!pe) {
                snprintf(why, why_size, "out of memory");
                goto out;
        }
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(why, why_size, "cannot be read");
                goto out;
        }
        if (st.st_size == 0) {
                snprintf(why, why_size, "empty file, not a UKI");
                goto out;
        }
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
                snprintf(why, why_size, "cannot be mapped: %s", strerror(errno));
                goto out;
        }
        r = pe_parse_headers(map, (size_t) st.st_size, pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(pe, (size_t) st.st_size);
        if (r == KEEL_OK)
                r = pe_check_machine(pe, machine);
        if (r == KEEL_OK)
                r = uki_find_profile_sections(pe, profile, &u);
        if (r == KEEL_OK)
                r = uki_check_file_view(&u, map, (size_t) st.st_size);
        if (r == KEEL_OK)
                r = uki_check_relocations(pe, map, (size_t) st.st_size, PE_VIEW_FILE);
        if (r == KEEL_OK && !uki_is_uki(&u))
                r = KEEL_E_UKI_NO_LINUX;
        if (r == KEEL_OK && uki_is_thin(&u))
                r = uki_read_thin_refs(&u, map, (size_t) st.st_size, &refs);
        if (r != KEEL_OK) {
                snprintf(why, why_size, "%s", keel_strerror(r));
                if (ret_other_machine)
                        *ret_other_machine = r == KEEL_E_PE_WRONG_MACHINE;
                goto out;
        }
        if (uki_is_thin(&u))
                for (size_t i = 0; i < 2; i++) {
                        const struct thin_ref *ref = i == 0 ? (refs.has_linux ? &refs.linux_ref : NULL)
                                                            : (refs.has_initrd ? &refs.initrd_ref : NULL);
                        struct thin_content c;

                        if (!ref)
                                continue;
                        if (thin_content_check(volume, ref, &c) < 0) {
                                snprintf(why, why_size, "cannot check its content");
                                goto out;
                        }
                        if (c.state != THIN_CONTENT_OK) {
                                snprintf(why, why_size, "%s content %s: %s", i == 0 ? ".tlinux" : ".tinitrd",
                                         ref->path, thin_content_state_string(c.state));
                                thin_content_done(&c);
                                goto out;
                        }
                        thin_content_done(&c);
                }
        ok = true;
out:
        if (map != MAP_FAILED)
                munmap(map, (size_t) st.st_size);
        if (fd >= 0)
                close(fd);
        free(pe);
        return ok;
}

struct check_result {
        char *id;
        char *path;
        bool ok;
        char reason[REASON_MAX];
};

struct check_results {
        struct check_result *items;
        size_t n, cap;
        bool failed; /* out of memory */
};

static struct check_result *add_result(struct check_results *c, const char *id, const char *path) {
        struct check_result *r;

        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 64;
                struct check_result *grown = realloc(c->items, cap * sizeof(*grown));
                if (!grown) {
                        c->failed = true;
                        return NULL;
                }
                c->items = grown;
                c->cap = cap;
        }
        r = &c->items[c->n];
        *r = (struct check_result) { .id = strdup(id), .path = path ? strdup(path) : NULL, .ok = true };
        if (!r->id) {
                free(r->path);
                c->failed = true;
                return NULL;
        }
        c->n++;
        return r;
}

static bool has_result_path(const struct check_results *c, const char *path) {
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].path && strcmp(c->items[i].path, path) == 0)
                        return true;
        return false;
}

/* UKI files the list does not hold because they do not parse (a truncated
 * or half-written file is one): each is a broken entry. */
static void check_unlisted_ukis(struct check_results *c, const char *root, uint16_t machine) {
        char *dir = esp_path_nocase(root, "EFI/Linux");
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;

        while (d && (de = readdir(d))) {
                struct check_result *r;
                char *path = NULL;
                char why[REASON_MAX];
                bool other_machine = false;

                if (!entry_filename_is_type2(slice_from_cstr(de->d_name)) ||
                    asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        continue;
                /* A UKI for another machine is not this menu's (the loader
                 * of that machine shows it), so not a broken entry. */
                if (!has_result_path(c, path) && !check_uki(path, 0, root, machine, &other_machine, why, sizeof(why)) &&
                    !other_machine &&
                    (r = add_result(c, de->d_name, path))) {
                        r->ok = false;
                        snprintf(r->reason, sizeof(r->reason), "%s", why);
                }
                free(path);
        }
        if (d)
                closedir(d);
        free(dir);
}

static int compare_results(const void *a, const void *b) {
        const struct check_result *x = a, *y = b;
        return strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

/* keel entries --check: every entry the loader could meet, including those
 * it hides for a missing file, checked; the loader's default must exist. */
static int run_check(const struct entry_list *menu, size_t def, const char *esp, const char *xbootldr, bool json,
                     struct boot_entry *storage, char *arena) {
        struct check_results c = {};
        struct entry_list all;
        const char *roots[2] = { esp, xbootldr };
        bool ok = def != SIZE_MAX;
        int r = 0;

        entry_list_init(&all, storage, ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, arena, ENTRY_MENU_ARENA_SIZE,
                        NULL, NULL);
        entry_list_set_architecture(&all, menu->architecture, menu->machine);
        for (size_t s = 0; s < 2; s++) {
                if (!roots[s])
                        continue;
                esp_discover_entries_unchecked(&all, roots[s], s == 0 ? ENTRY_SOURCE_ESP : ENTRY_SOURCE_XBOOTLDR);
        }
        for (size_t i = 0; i < all.n_entries; i++) {
                const struct boot_entry *e = &all.entries[i];
                const char *root = e->source == ENTRY_SOURCE_XBOOTLDR ? xbootldr : esp;
                char *path = entry_path(e, esp, xbootldr);
                struct check_result *res;

                if (e->type != ENTRY_TYPE1 && e->type != ENTRY_TYPE2) {
                        free(path);
                        continue;
                }
                res = add_result(&c, e->id, path);
                if (res && e->type == ENTRY_TYPE1)
                        res->ok = check_type1(e, root, menu->machine, res->reason, sizeof(res->reason));
                else if (res)
                        res->ok = path && check_uki(path, e->profile, root, menu->machine, NULL, res->reason,
                                                        sizeof(res->reason));
                free(path);
        }
        for (size_t s = 0; s < 2; s++)
                if (roots[s])
                        check_unlisted_ukis(&c, roots[s], menu->machine);
        if (c.failed)
                r = log_error("out of memory");
        if (c.n > 0)
                qsort(c.items, c.n, sizeof(c.items[0]), compare_results);
        for (size_t i = 0; i < c.n; i++)
                if (!c.items[i].ok)
                        ok = false;

        if (r == 0 && json) {
                json_object *root = json_object_new_object(), *array = json_object_new_array();
                for (size_t i = 0; i < c.n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "id", json_string_or_null(c.items[i].id));
                        json_object_object_add(o, "path", json_string_or_null(c.items[i].path));
                        json_object_object_add(o, "ok", json_object_new_boolean(c.items[i].ok));
                        json_object_object_add(o, "reason",
                                               c.items[i].ok ? NULL : json_string_or_null(c.items[i].reason));
                        json_object_array_add(array, o);
                }
                json_object_object_add(root, "ok", json_object_new_boolean(ok));
                json_object_object_add(root, "default",
                                       def != SIZE_MAX ? json_string_or_null(menu->entries[def].id) : NULL);
                json_object_object_add(root, "entries", array);
                puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(root);
        } else if (r == 0) {
                for (size_t i = 0; i < c.n; i++)
                        if (!c.items[i].ok)
                                printf("%s %s: %s\n", c.items[i].id, c.items[i].path ? c.items[i].path : "-",
                                       c.items[i].reason);
                if (def == SIZE_MAX)
                        printf("no default entry to boot\n");
        }
        if (r == 0 && (fflush(stdout) != 0 || ferror(stdout)))
                r = log_error("cannot write to standard output");
        for (size_t i = 0; i < c.n; i++) {
                free(c.items[i].id);
                free(c.items[i].path);
        }
        free(c.items);
        return r < 0 ? -1 : ok ? 0 : 1;
}

int entries_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "esp", required_argument, NULL, 'e' },
                { "xbootldr", required_argument, NULL, 'x' },
                { "json", no_argument, NULL, 'j' },
                { "check", no_argument, NULL, 'c' },
                { "arch", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *esp = NULL, *xbootldr = NULL, *arch_arg = NULL;
        const struct keel_arch *arch;
        struct entry_default_request request;
        char *oneshot, *efivar_default, *preferred, *sysfail, *saved;
        struct boot_entry *storage;
        struct loader_config config;
        struct entry_list l;
        bool json = false, check = false;
        char *arena;
        int r = 0;
        size_t def;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'e': esp = optarg; break;
                case 'x': xbootldr = optarg; break;
                case 'j': json = true; break;
                case 'c': check = true; break;
                case 'a': arch_arg = optarg; break;
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
        if (target_arch(esp, arch_arg, &arch) < 0)
                return 1;

        /* The loader's sizes and its ranked list (loader/loader.c): with more
         * entries than fit, both keep the same ones. */
        storage = calloc(ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, sizeof(*storage));
        arena = malloc(ENTRY_MENU_ARENA_SIZE);
        if (!storage || !arena)
                return log_error("out of memory"), 1;
        entry_list_init_ranked(&l, storage, ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, ENTRY_MENU_RESERVED, arena,
                               ENTRY_MENU_ARENA_SIZE, entry_warn, NULL);
        entry_list_set_architecture(&l, arch->name, arch->pe_machine);
        esp_read_loader_conf(&config, esp);
        esp_discover_entries(&l, esp, ENTRY_SOURCE_ESP);
        if (xbootldr)
                esp_discover_entries(&l, xbootldr, ENTRY_SOURCE_XBOOTLDR);
        entries_sort(&l);

        /* The variables the loader will read on the next boot, as it reads them. */
        oneshot = efivar_read_string("LoaderEntryOneShot", LOADER_GUID_STR);
        preferred = efivar_read_string("LoaderEntryPreferred", LOADER_GUID_STR);
        efivar_default = efivar_read_string("LoaderEntryDefault", LOADER_GUID_STR);
        sysfail = esrt_system_firmware_update_failed_sysfs() ? efivar_read_string("LoaderEntrySysFail", LOADER_GUID_STR)
                                                              : NULL;
        saved = efivar_read_string("LoaderEntryLastBooted", LOADER_GUID_STR);
        request = (struct entry_default_request) {
                .sysfail = sysfail,
                .oneshot = oneshot,
                .preferred = preferred,
                .efivar_default = efivar_default,
                .saved = saved,
                .config = &config,
        };
        def = entries_select_default(&l, &request);

        if (check) {
                /* The second list reuses nothing of the first but its default's ID. */
                struct boot_entry *storage2 = calloc(ENTRY_MENU_MAX + ENTRY_MENU_RESERVED, sizeof(*storage2));
                char *arena2 = malloc(ENTRY_MENU_ARENA_SIZE);
                r = storage2 && arena2 ? run_check(&l, def, esp, xbootldr, json, storage2, arena2)
                                       : log_error("out of memory");
                r = r < 0 ? 1 : r;
                free(storage2);
                free(arena2);
        } else if (json)
                print_json(&l, def, esp, xbootldr);
        else
                print_text(&l, def);
        free(oneshot);
        free(preferred);
        free(efivar_default);
        free(sysfail);
        free(saved);
        free(storage);
        free(arena);
        return r;
}
