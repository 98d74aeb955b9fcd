/* SPDX-License-Identifier: MIT */
/* keel uki inspect: what a UKI (or any PE image) contains. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/core/commands.h"
#include "host-tools/uki/thin-content.h"
#include "common/error.h"
#include "common/uki.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: keel uki inspect UKI [--json] [--root DIR]\n"
                   "Lists the sections of a UKI and shows its command line and os-release and, for a\n"
                   "multi-profile UKI, each profile (@N: its .profile ID= and TITLE=, its command line).\n"
                   "For a thin UKI, its refs (SHA-256, size, path) and whether the content they name\n"
                   "is on the volume (DIR, or the one the UKI is in when it is in .../EFI/Linux/) and\n"
                   "matches; content that differs from its ref is an error.\n");
}

/* Text sections are shown up to their first NUL; a section is read only
 * through the bounds the PE reader checked. */
static char *section_text(const struct mapped_file *f, const struct pe_section *s) {
        size_t size;
        char *text;

        if (!s)
                return NULL;
        size = pe_section_file_size(s);
        text = malloc(size + 1);
        if (!text)
                return NULL;
        memcpy(text, f->data + s->raw_offset, size);
        text[size] = '\0';
        return text;
}

/* A thin UKI's refs and what each names on the volume. */
struct thin_info {
        bool is_thin;
        struct uki_thin_refs refs;
        const char *volume;                     /* NULL: unknown (not in .../EFI/Linux/, no --root) */
        struct thin_content content[2];         /* .tlinux, .tinitrd */
};

static const char *content_status(const struct thin_info *t, size_t i) {
        if (!t->volume)
                return "volume unknown";
        return thin_content_state_string(t->content[i].state);
}

static const struct thin_ref *thin_ref_at(const struct thin_info *t, size_t i) {
        if (i == 0)
                return t->refs.has_linux ? &t->refs.linux_ref : NULL;
        return t->refs.has_initrd ? &t->refs.initrd_ref : NULL;
}

static void hex_digest(const uint8_t *d, char out[2 * THIN_SHA256_SIZE + 1]) {
        for (size_t i = 0; i < THIN_SHA256_SIZE; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *machine_name(uint16_t machine) {
        switch (machine) {
        case PE_MACHINE_X86_64: return "x86-64";
        case PE_MACHINE_I386: return "x86";
        case PE_MACHINE_AARCH64: return "aarch64";
        case PE_MACHINE_ARM: return "arm";
        case PE_MACHINE_RISCV64: return "riscv64";
        default: return "unknown";
        }
}

/* One profile of a multi-profile UKI: its .profile's ID= and TITLE= and the
 * command line it boots with (its own or the base's). */
struct profile_view {
        char id[UKI_PROFILE_VALUE_MAX], title[UKI_PROFILE_VALUE_MAX];
        char *text, *cmdline, *osrel;
};

static int profile_view(const struct pe_image *pe, const struct mapped_file *f, unsigned n, struct profile_view *ret) {
        struct uki_sections u;
        const struct pe_section *s;
        int r = uki_find_profile_sections(pe, n, &u);

        memset(ret, 0, sizeof(*ret));
        if (r != KEEL_OK)
                return r;
        s = u.section[UKI_SECTION_PROFILE];
        if (s) {
                r = uki_profile_info(f->data + s->raw_offset, pe_section_file_size(s), ret->id, ret->title);
                if (r != KEEL_OK)
                        return r;
        }
        ret->text = section_text(f, s);
        ret->cmdline = section_text(f, u.section[UKI_SECTION_CMDLINE]);
        ret->osrel = section_text(f, u.section[UKI_SECTION_OSREL]);
        return KEEL_OK;
}

static void profile_view_done(struct profile_view *v) {
        free(v->text);
        free(v->cmdline);
        free(v->osrel);
}

static void print_profiles(const struct pe_image *pe, const struct mapped_file *f) {
        unsigned n = uki_count_profiles(pe);

        if (n == 0)
                return;
        printf("profiles: %u\n", n);
        for (unsigned i = 0; i < n; i++) {
                struct profile_view v;
                if (profile_view(pe, f, i, &v) != KEEL_OK)
                        continue;
                printf("profile @%u:%s%s%s%s\n", i, v.id[0] ? " id " : "", v.id, v.title[0] ? " title " : "",
                       v.title);
                if (v.cmdline)
                        printf("  cmdline: %s\n", v.cmdline);
                profile_view_done(&v);
        }
}

static json_object *profiles_json(const struct pe_image *pe, const struct mapped_file *f) {
        json_object *a = json_object_new_array();
        unsigned n = uki_count_profiles(pe);

        for (unsigned i = 0; a && i < n; i++) {
                struct profile_view v;
                json_object *o;
                if (profile_view(pe, f, i, &v) != KEEL_OK)
                        continue;
                o = json_object_new_object();
                json_object_object_add(o, "profile", json_object_new_int64(i));
                json_object_object_add(o, "id", v.id[0] ? json_object_new_string(v.id) : NULL);
                json_object_object_add(o, "title", v.title[0] ? json_object_new_string(v.title) : NULL);
                json_object_object_add(o, "text", v.text ? json_object_new_string(v.text) : NULL);
                json_object_object_add(o, "cmdline", v.cmdline ? json_object_new_string(v.cmdline) : NULL);
                json_object_object_add(o, "os_release", v.osrel ? json_object_new_string(v.osrel) : NULL);
                json_object_array_add(a, o);
                profile_view_done(&v);
        }
        return a;
}

static void print_text(const struct pe_image *pe, const struct mapped_file *f, const struct uki_sections *u,
                       const char *path, const struct thin_info *t) {
        char *cmdline = section_text(f, u->section[UKI_SECTION_CMDLINE]);
        char *osrel = section_text(f, u->section[UKI_SECTION_OSREL]);
        char *uname = section_text(f, u->section[UKI_SECTION_UNAME]);

        printf("%s: %s PE32+ image, %u sections, %s\n", path, machine_name(pe->machine), pe->number_of_sections,
               uki_is_thin(u)           ? "a thin UKI"
               : uki_is_uki(u)          ? "a UKI"
               : uki_image_has_kernel(pe) ? "a UKI (no kernel in profile 0)"
                                        : "not a UKI (no .linux)");
        printf("%-9s %10s %10s %10s %10s\n", "section", "vaddr", "vsize", "offset", "rawsize");
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                printf("%-9s 0x%08x %10u 0x%08x %10u\n", s->name, s->virtual_address, s->virtual_size, s->raw_offset,
                       s->raw_size);
        }
        for (size_t i = 0; t->is_thin && i < 2; i++) {
                const struct thin_ref *ref = thin_ref_at(t, i);
                char digest[2 * THIN_SHA256_SIZE + 1];

                if (!ref)
                        continue;
                hex_digest(ref->sha256, digest);
                printf("%s: sha256 %s size %llu path %s: %s\n", i == 0 ? "tlinux" : "tinitrd", digest,
                       (unsigned long long) ref->size, ref->path, content_status(t, i));
        }
        if (uname)
                printf("uname: %s\n", uname);
        if (cmdline)
                printf("cmdline: %s\n", cmdline);
        if (osrel) {
                printf("os-release:\n");
                for (char *line = strtok(osrel, "\n"); line; line = strtok(NULL, "\n"))
                        printf("  %s\n", line);
        }
        print_profiles(pe, f);
        free(cmdline);
        free(osrel);
        free(uname);
}

static json_object *thin_json(const struct thin_info *t, size_t i) {
        const struct thin_ref *ref = thin_ref_at(t, i);
        char digest[2 * THIN_SHA256_SIZE + 1];
        json_object *o;

        if (!ref)
                return NULL;
        hex_digest(ref->sha256, digest);
        o = json_object_new_object();
        json_object_object_add(o, "sha256", json_object_new_string(digest));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) ref->size));
        json_object_object_add(o, "path", json_object_new_string(ref->path));
        json_object_object_add(o, "content", t->volume ? json_object_new_string(content_status(t, i)) : NULL);
        json_object_object_add(o, "content_path",
                               t->volume && t->content[i].path ? json_object_new_string(t->content[i].path) : NULL);
        return o;
}

static int print_json(const struct pe_image *pe, const struct mapped_file *f, const struct uki_sections *u,
                      const struct thin_info *t) {
        json_object *root = json_object_new_object(), *sections = json_object_new_array();
        const struct { enum uki_section which; const char *key; } texts[] = {
                { UKI_SECTION_CMDLINE, "cmdline" },
                { UKI_SECTION_OSREL, "os_release" },
                { UKI_SECTION_UNAME, "uname" },
        };

        if (!root || !sections)
                return log_error("out of memory");
        json_object_object_add(root, "machine", json_object_new_string(machine_name(pe->machine)));
        json_object_object_add(root, "is_uki", json_object_new_boolean(uki_image_has_kernel(pe)));
        json_object_object_add(root, "is_thin", json_object_new_boolean(uki_is_thin(u)));
        json_object_object_add(root, "tlinux", thin_json(t, 0));
        json_object_object_add(root, "tinitrd", thin_json(t, 1));
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(s->name));
                json_object_object_add(o, "virtual_address", json_object_new_int64(s->virtual_address));
                json_object_object_add(o, "virtual_size", json_object_new_int64(s->virtual_size));
                json_object_object_add(o, "raw_offset", json_object_new_int64(s->raw_offset));
                json_object_object_add(o, "raw_size", json_object_new_int64(s->raw_size));
                json_object_array_add(sections, o);
        }
        json_object_object_add(root, "sections", sections);
        json_object_object_add(root, "profiles", profiles_json(pe, f));
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                char *t = section_text(f, u->section[texts[i].which]);
                json_object_object_add(root, texts[i].key, t ? json_object_new_string(t) : NULL);
                free(t);
        }
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
        return 0;
}

int uki_inspect_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "json", no_argument, NULL, 'j' },
                { "root", required_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct mapped_file f = {};
        struct pe_image pe;
        struct uki_sections u;
        struct thin_info t = { .content = { { .fd = -1 }, { .fd = -1 } } };
        const char *root = NULL;
        char *volume = NULL;
        bool json = false;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'j': json = true; break;
                case 'R': root = optarg; break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("uki inspect: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("uki inspect: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (argc - optind != 1)
                return log_error("uki inspect: expected exactly one UKI"), 1;
        if (map_pe_file(argv[optind], &f) < 0)
                return 1;

        r = pe_parse_headers(f.data, f.size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, f.size);
        /* Every profile must parse (the stub refuses the image otherwise),
         * and each profile's .cmdline must show what the firmware loads. */
        for (unsigned p = uki_count_profiles(&pe); r == KEEL_OK && p-- > 0;) {
                r = uki_find_profile_sections(&pe, p, &u);
                if (r == KEEL_OK)
                        r = uki_check_file_view(&u, f.data, f.size);
                if (r == KEEL_OK && u.section[UKI_SECTION_PROFILE]) {
                        char id[UKI_PROFILE_VALUE_MAX], title[UKI_PROFILE_VALUE_MAX];
                        const struct pe_section *s = u.section[UKI_SECTION_PROFILE];
                        r = uki_profile_info(f.data + s->raw_offset, pe_section_file_size(s), id, title);
                }
        }
        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &u);
        if (r == KEEL_OK)
                r = uki_check_file_view(&u, f.data, f.size);
        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, f.data, f.size, PE_VIEW_FILE);
        if (r != KEEL_OK) {
                log_error("%s: %s", argv[optind], keel_strerror(r));
                unmap_file(&f);
                return 1;
        }
        if (uki_is_thin(&u)) {
                t.is_thin = true;
                r = uki_read_thin_refs(&u, f.data, f.size, &t.refs);
                if (r != KEEL_OK) {
                        log_error("%s: %s", argv[optind], keel_strerror(r));
                        unmap_file(&f);
                        return 1;
                }
                volume = root ? strdup(root) : thin_volume_of_uki(argv[optind]);
                t.volume = volume;
                for (size_t i = 0; volume && i < 2; i++)
                        if (thin_ref_at(&t, i) && thin_content_check(volume, thin_ref_at(&t, i), &t.content[i]) < 0) {
                                r = -1;
                                goto out;
                        }
        }
        if (json)
                r = print_json(&pe, &f, &u, &t);
        else
                print_text(&pe, &f, &u, argv[optind], &t);
        /* Content that is there but is not what the ref pins would be
         * refused by the stub: shown above, and an error. */
        for (size_t i = 0; r == 0 && t.volume && i < 2; i++)
                if (thin_ref_at(&t, i) && t.content[i].state != THIN_CONTENT_OK &&
                    t.content[i].state != THIN_CONTENT_MISSING)
                        r = log_error("%s: %s content %s: %s", argv[optind], i == 0 ? ".tlinux" : ".tinitrd",
                                      t.content[i].path, thin_content_state_string(t.content[i].state));
out:
        thin_content_done(&t.content[0]);
        thin_content_done(&t.content[1]);
        free(volume);
        unmap_file(&f);
        return r < 0 ? 1 : 0;
}
