/* SPDX-License-Identifier: MIT */
#include "discover.h"
#include "../common/error.h"
#include "../common/pe.h"
#include "../common/uki.h"
#include "../common/utf.h"
#include "../efi/file.h"
#include "../efi/pe-file.h"

#define NAME_MAX_UTF8 (3 * 256 + 1)
#define WHY_MAX 128

/* A directory name in UTF-8 for common/; false for names too long. */
static bool name_to_utf8(const CHAR16 *name, char *out, size_t out_size) {
        size_t units = utf16_strnlen(name, 256);
        if (units >= 256 || out_size < 3 * units + 1)
                return false;
        utf16_to_utf8(name, units, out);
        return true;
}

static CHAR16 *join16(const CHAR16 *dir, const CHAR16 *name) {
        size_t a = utf16_strnlen(dir, 512), b = utf16_strnlen(name, 512);
        CHAR16 *p = efi_alloc((a + b + 2) * sizeof(CHAR16));
        if (!p)
                return NULL;
        memcpy(p, dir, a * sizeof(CHAR16));
        p[a] = '\\';
        memcpy(p + a + 1, name, b * sizeof(CHAR16));
        p[a + b + 1] = 0;
        return p;
}

/* What a path in an entry is on this partition, for common/'s decision
 * whether the entry can be booted at all. */
static enum entry_file_kind file_kind(void *userdata, const char *path) {
        EFI_FILE *root = userdata;
        CHAR16 *p = path_from_entry(path);
        enum entry_file_kind kind = ENTRY_FILE_MISSING;
        bool is_directory = false;
        uint64_t size = 0;

        if (p && file_stat(root, p, &is_directory, &size) == EFI_SUCCESS)
                kind = is_directory ? ENTRY_FILE_DIRECTORY : size == 0 ? ENTRY_FILE_EMPTY : ENTRY_FILE_REGULAR;
        efi_free(p);
        return kind;
}

static void add_type1(struct entry_list *l, EFI_FILE *root, enum entry_source source, const CHAR16 *path,
                      const char *name) {
        void *data = NULL;
        size_t size = 0;
        EFI_STATUS err = file_read_all(root, path, ENTRY_FILE_MAX, &data, &size);

        if (err == EFI_BAD_BUFFER_SIZE) {
                efi_print("keel: cannot read entry %s: larger than the %u bytes keel reads\n", name, ENTRY_FILE_MAX);
                return;
        }
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read entry %s: %s\n", name, efi_status_text(err));
                return;
        }
        entries_add_type1(l, source, slice_from_cstr(name), data, size);
        efi_free(data);
}

/* Reads a section the size check (section_fits) let through. */
static EFI_STATUS read_section(EFI_FILE *f, const struct pe_section *s, char **ret, size_t *ret_size) {
        size_t size;
        char *buf;
        EFI_STATUS err;

        *ret = NULL;
        *ret_size = 0;
        if (!s)
                return EFI_SUCCESS;
        size = pe_section_file_size(s);
        if (size > ENTRY_UKI_SECTION_MAX)
                return EFI_BAD_BUFFER_SIZE;
        buf = efi_alloc(size + 1);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        err = file_read_at(f, s->raw_offset, buf, size);
        if (err != EFI_SUCCESS) {
                efi_free(buf);
                return err;
        }
        buf[size] = 0;
        *ret = buf;
        *ret_size = size;
        return EFI_SUCCESS;
}

/* A section keel will not read: say which, how large, and the limit. */
static bool section_fits(const char *name, const char *section_name, const struct pe_section *s) {
        char why[WHY_MAX];

        if (!s || entry_uki_section_fits(section_name, pe_section_file_size(s), why, sizeof(why)))
                return true;
        efi_print("keel: %s: %s\n", name, why);
        return false;
}

/* One profile's entry (systemd-boot 257 lists each profile of a UKI as its
 * own entry); false when the UKI has no such profile. */
static bool add_type2_profile(struct entry_list *l, EFI_FILE *f, const struct pe_image *pe, unsigned profile,
                              enum entry_source source, const char *name) {
        struct uki_sections u;
        char *osrel = NULL, *cmdline = NULL, *text = NULL;
        size_t osrel_size = 0, cmdline_size = 0, text_size = 0;
        EFI_STATUS err;
        int r = uki_find_profile_sections(pe, profile, &u);

        if (r == KEEL_E_UKI_NO_SUCH_PROFILE)
                return false;
        if (r != KEEL_OK) {
                efi_print("keel: %s: %s, ignoring it\n", name, keel_strerror(r));
                return false;
        }
        if (!section_fits(name, ".osrel", u.section[UKI_SECTION_OSREL]) ||
            !section_fits(name, ".cmdline", u.section[UKI_SECTION_CMDLINE]) ||
            !section_fits(name, ".profile", u.section[UKI_SECTION_PROFILE]))
                return true;
        err = read_section(f, u.section[UKI_SECTION_OSREL], &osrel, &osrel_size);
        if (err == EFI_SUCCESS)
                err = read_section(f, u.section[UKI_SECTION_CMDLINE], &cmdline, &cmdline_size);
        if (err == EFI_SUCCESS)
                err = read_section(f, u.section[UKI_SECTION_PROFILE], &text, &text_size);
        if (err != EFI_SUCCESS)
                efi_print("keel: %s: cannot read its .osrel/.cmdline/.profile (%s), ignoring it\n", name,
                          efi_status_text(err));
        else
                entries_add_type2_profile(l, source, slice_from_cstr(name), profile, text, text_size, osrel,
                                          osrel_size, cmdline, cmdline_size);
        efi_free(osrel);
        efi_free(cmdline);
        efi_free(text);
        return err == EFI_SUCCESS;
}

static void add_type2(struct entry_list *l, EFI_FILE *root, enum entry_source source, const CHAR16 *path,
                      const char *name) {
        EFI_FILE *f = NULL;
        struct pe_image *pe = efi_alloc(sizeof(*pe));
        uint8_t *head = efi_alloc(PE_FILE_HEADERS_MAX);
        struct uki_sections u;
        uint64_t size = 0;
        EFI_STATUS err;
        int r;

        if (!pe || !head)
                goto out;
        err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ, 0);
        if (err != EFI_SUCCESS) {
                f = NULL;
                efi_print("keel: cannot open %s: %s\n", name, efi_status_text(err));
                goto out;
        }
        err = file_size(f, &size);
        r = err == EFI_SUCCESS ? pe_file_read_headers(f, size, head, pe, &err) : KEEL_E_INVALID_ARGUMENT;
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read %s: %s\n", name, efi_status_text(err));
                goto out;
        }
        if (r == KEEL_OK)
                r = uki_find_sections(pe, &u);
        if (r != KEEL_OK) {
                efi_print("keel: %s: %s, ignoring it\n", name, keel_strerror(r));
                goto out;
        }
        /* Profile 0 is the UKI itself when it has no .profile. */
        for (unsigned p = 0; p < UKI_PROFILES_MAX && add_type2_profile(l, f, pe, p, source, name); p++)
                ;
out:
        if (f)
                f->Close(f);
        efi_free(head);
        efi_free(pe);
}

static void discover_dir(struct entry_list *l, EFI_FILE *root, enum entry_source source, const CHAR16 *dir_path,
                         enum entry_type type) {
        EFI_FILE *dir = NULL;
        EFI_FILE_INFO *info;
        char name[NAME_MAX_UTF8];

        if (root->Open(root, &dir, (CHAR16 *) dir_path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return;
        while (dir_next(dir, &info) == EFI_SUCCESS && info) {
                bool is_dir = info->Attribute & EFI_FILE_DIRECTORY;
                if (!is_dir && name_to_utf8(info->FileName, name, sizeof(name))) {
                        struct slice s = slice_from_cstr(name);
                        CHAR16 *path;
                        if ((type == ENTRY_TYPE1 ? entry_filename_is_type1(s) : entry_filename_is_type2(s)) &&
                            (path = join16(dir_path, info->FileName))) {
                                if (type == ENTRY_TYPE1)
                                        add_type1(l, root, source, path, name);
                                else
                                        add_type2(l, root, source, path, name);
                                efi_free(path);
                        }
                }
                efi_free(info);
        }
        dir->Close(dir);
}

/* The order the files are read in does not decide which entries the menu
 * keeps when there are too many: the loader's list is ranked (see
 * entry_list_init_ranked), so `keel entries`, which reads in another order,
 * keeps the same ones. */
void discover_entries(struct entry_list *l, EFI_FILE *root, enum entry_source source) {
        entry_list_set_file_check(l, file_kind, root);
        discover_dir(l, root, source, L"\\EFI\\Linux", ENTRY_TYPE2);
        discover_dir(l, root, source, L"\\loader\\entries", ENTRY_TYPE1);
        entry_list_set_file_check(l, NULL, NULL);
}
