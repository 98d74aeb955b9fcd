/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/entries/esp.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "common/error.h"
#include "common/pe.h"
#include "common/uki.h"

#define LOADER_CONF_CHUNK (64u * 1024)
#define WHY_MAX 128

static char *join_path(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        char *p = malloc(la + lb + 2);
        if (!p)
                return NULL;
        memcpy(p, a, la);
        p[la] = '/';
        memcpy(p + la + 1, b, lb + 1);
        return p;
}

/* The name in dir that equals component ignoring case (exact match first). */
static char *find_nocase(const char *dir, const char *component) {
        DIR *d;
        struct dirent *de;
        char *exact = join_path(dir, component), *found = NULL;
        struct stat st;

        if (exact && lstat(exact, &st) == 0)
                return exact;
        free(exact);
        d = opendir(dir);
        if (!d)
                return NULL;
        while ((de = readdir(d)))
                if (strcasecmp(de->d_name, component) == 0) {
                        found = join_path(dir, de->d_name);
                        break;
                }
        closedir(d);
        return found;
}

char *esp_path_nocase(const char *root, const char *relative) {
        char *copy = strdup(relative), *save = NULL, *path = strdup(root);

        if (!copy || !path) {
                free(copy);
                free(path);
                return NULL;
        }
        /* Entry files write paths with '/' or '\\'; both separate components. */
        for (char *c = strtok_r(copy, "/\\", &save); c && path; c = strtok_r(NULL, "/\\", &save)) {
                char *next = find_nocase(path, c);
                free(path);
                path = next;
        }
        free(copy);
        return path;
}

static void read_small(const char *path, size_t max, uint8_t **ret, size_t *ret_len) {
        *ret = NULL;
        *ret_len = 0;
        if (read_file(path, max, ret, ret_len) < 0) {
                *ret = NULL;
                *ret_len = 0;
        }
}

static void conf_warn(void *userdata, unsigned line, const char *what, struct slice key) {
        log_warning("%s:%u: %s '%.*s', ignoring", (const char *) userdata, line, what, (int) key.len, key.ptr);
}

/* loader.conf piece by piece, as the loader reads it (loader/loader.c).
 * Returns NULL, or why the file could not be read. */
static const char *parse_loader_conf(struct loader_config *c, const char *path) {
        struct loader_config_reader *r = malloc(sizeof(*r));
        char *chunk = malloc(LOADER_CONF_CHUNK);
        const char *why = NULL;
        struct stat st;
        int fd = -1;

        if (!r || !chunk) {
                why = "out of memory";
                goto out;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                why = strerror(errno);
                goto out;
        }
        if (S_ISDIR(st.st_mode)) {
                why = "it is a directory";
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                why = "it is not a regular file";
                goto out;
        }
        if ((uint64_t) st.st_size > LOADER_CONF_SIZE_MAX) {
                static char too_large[64];
                snprintf(too_large, sizeof(too_large), "it is larger than %u bytes", LOADER_CONF_SIZE_MAX);
                why = too_large;
                goto out;
        }
        loader_config_reader_init(r, c, conf_warn, (void *) path);
        for (;;) {
                ssize_t n = read(fd, chunk, LOADER_CONF_CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        why = strerror(errno);
                        goto out;
                }
                if (n == 0)
                        break;
                loader_config_reader_feed(r, chunk, (size_t) n);
        }
        loader_config_reader_finish(r);
out:
        if (fd >= 0)
                close(fd);
        free(chunk);
        free(r);
        return why;
}

void esp_read_loader_conf(struct loader_config *c, const char *root) {
        char *path = esp_path_nocase(root, "loader/loader.conf");
        const char *why;

        loader_config_init(c);
        if (!path)
                return;
        why = parse_loader_conf(c, path);
        if (why) {
                /* As the loader: it may have said "editor no". */
                loader_config_init_fail_safe(c);
                log_warning("%s: cannot be read (%s); using the defaults with the editor off", path, why);
        }
        free(path);
}

static int read_section(int fd, const struct pe_section *s, char **ret, size_t *ret_len) {
        size_t size = pe_section_file_size(s);
        char *buf;

        *ret = NULL;
        *ret_len = 0;
        if (size > ENTRY_UKI_SECTION_MAX)
                return -1;
        buf = malloc(size + 1);
        if (!buf)
                return -1;
        if (pread(fd, buf, size, s->raw_offset) != (ssize_t) size) {
                free(buf);
                return -1;
        }
        buf[size] = '\0';
        *ret = buf;
        *ret_len = size;
        return 0;
}

/* A section the loader does not read (too large): warns with the reason. */
static bool section_fits(const char *path, const char *section_name, const struct pe_section *s) {
        char why[WHY_MAX];

        if (!s || entry_uki_section_fits(section_name, pe_section_file_size(s), why, sizeof(why)))
                return true;
        log_warning("%s: %s", path, why);
        return false;
}

/* esp_read_uki_metadata(), also saying whether a section was left out for
 * its size: the loader then ignores the whole UKI, and so must the host. */
/* One profile's sections (the loader's per-profile entries); returns 1
 * when the UKI has no such profile. ret_profile may be NULL. */
static int read_uki_profile(const char *path, uint16_t machine, unsigned profile, char **ret_osrel,
                            size_t *ret_osrel_len, char **ret_cmdline, size_t *ret_cmdline_len, char **ret_profile,
                            size_t *ret_profile_len, bool *ret_too_large) {
        struct input_file *f = malloc(sizeof(*f));
        struct pe_image *pe = malloc(sizeof(*pe));
        struct uki_sections u;
        int r = -1, k;

        *ret_osrel = *ret_cmdline = NULL;
        *ret_osrel_len = *ret_cmdline_len = 0;
        if (ret_profile) {
                *ret_profile = NULL;
                *ret_profile_len = 0;
        }
        *ret_too_large = false;
        if (!f || !pe)
                goto out;
        f->fd = -1;
        if (input_file_open(path, f) < 0)
                goto out;
        k = pe_parse_headers(f->head, f->head_size, pe);
        if (k == KEEL_OK)
                k = pe_check_file_layout(pe, f->size);
        if (k == KEEL_OK && machine)
                k = pe_check_machine(pe, machine);
        if (k == KEEL_OK)
                k = uki_find_sections(pe, &u);
        if (k == KEEL_OK && profile > 0)
                k = uki_find_profile_sections(pe, profile, &u);
        if (k == KEEL_E_UKI_NO_SUCH_PROFILE) {
                r = 1;
                goto out;
        }
        if (k != KEEL_OK) {
                log_warning("%s: %s, ignoring", path, keel_strerror(k));
                goto out;
        }
        if (ret_profile && !section_fits(path, ".profile", u.section[UKI_SECTION_PROFILE]))
                *ret_too_large = true;
        else if (ret_profile && u.section[UKI_SECTION_PROFILE] &&
                 read_section(f->fd, u.section[UKI_SECTION_PROFILE], ret_profile, ret_profile_len) < 0)
                log_warning("%s: cannot read .profile", path);
        if (!section_fits(path, ".osrel", u.section[UKI_SECTION_OSREL]))
                *ret_too_large = true;
        else if (u.section[UKI_SECTION_OSREL] &&
                 read_section(f->fd, u.section[UKI_SECTION_OSREL], ret_osrel, ret_osrel_len) < 0)
                log_warning("%s: cannot read .osrel", path);
        if (!section_fits(path, ".cmdline", u.section[UKI_SECTION_CMDLINE]))
                *ret_too_large = true;
        else if (u.section[UKI_SECTION_CMDLINE] &&
                 read_section(f->fd, u.section[UKI_SECTION_CMDLINE], ret_cmdline, ret_cmdline_len) < 0)
                log_warning("%s: cannot read .cmdline", path);
        r = 0;
out:
        if (f)
                input_file_close(f);
        free(f);
        free(pe);
        return r;
}

static int read_uki_metadata(const char *path, uint16_t machine, char **ret_osrel, size_t *ret_osrel_len,
                             char **ret_cmdline, size_t *ret_cmdline_len, bool *ret_too_large) {
        return read_uki_profile(path, machine, 0, ret_osrel, ret_osrel_len, ret_cmdline, ret_cmdline_len, NULL, NULL,
                                ret_too_large);
}

int esp_read_uki_metadata(const char *path, char **ret_osrel, size_t *ret_osrel_len, char **ret_cmdline,
                          size_t *ret_cmdline_len) {
        struct entry_list native;
        bool too_large;

        /* A list's default machine: any. */
        entry_list_init(&native, NULL, 0, NULL, 0, NULL, NULL);
        return read_uki_metadata(path, native.machine, ret_osrel, ret_osrel_len, ret_cmdline, ret_cmdline_len,
                                 &too_large);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Directory entries sorted by name, so that warnings come out in the same
 * order every time. */
static char **list_dir(const char *dir, size_t *ret_n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0, cap = 0;

        *ret_n = 0;
        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                if (n == cap) {
                        char **grown = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(char *));
                        if (!grown)
                                break;
                        names = grown;
                }
                if (!(names[n] = strdup(de->d_name)))
                        break;
                n++;
        }
        closedir(d);
        if (names)
                qsort(names, n, sizeof(char *), compare_names);
        *ret_n = n;
        return names;
}

static bool is_regular(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* What a path in an entry is below root, as the loader sees it on FAT (which
 * has only files and directories), for common/'s decision whether the entry
 * can be booted. */
static enum entry_file_kind file_kind(void *userdata, const char *path) {
        char *p = esp_path_nocase(userdata, path);
        enum entry_file_kind kind = ENTRY_FILE_MISSING;
        struct stat st;

        if (p && stat(p, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        kind = ENTRY_FILE_DIRECTORY;
                else if (S_ISREG(st.st_mode))
                        kind = st.st_size == 0 ? ENTRY_FILE_EMPTY : ENTRY_FILE_REGULAR;
        }
        free(p);
        return kind;
}

static void discover_type1(struct entry_list *l, const char *root, enum entry_source source) {
        char *dir = esp_path_nocase(root, "loader/entries");
        size_t n = 0;
        char **names = dir ? list_dir(dir, &n) : NULL;

        for (size_t i = 0; i < n; i++) {
                struct slice name = slice_from_cstr(names[i]);
                char *path;
                uint8_t *data;
                size_t len;

                if (!entry_filename_is_type1(name))
                        continue;
                path = join_path(dir, names[i]);
                if (path && is_regular(path)) {
                        read_small(path, ENTRY_FILE_MAX, &data, &len);
                        if (data)
                                entries_add_type1(l, source, name, data, len);
                        free(data);
                }
                free(path);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        free(dir);
}

static void discover_type2(struct entry_list *l, const char *root, enum entry_source source) {
        char *dir = esp_path_nocase(root, "EFI/Linux");
        size_t n = 0;
        char **names = dir ? list_dir(dir, &n) : NULL;

        for (size_t i = 0; i < n; i++) {
                struct slice name = slice_from_cstr(names[i]);
                char *path, *osrel, *cmdline, *profile;
                size_t osrel_len, cmdline_len, profile_len;
                bool too_large;

                if (!entry_filename_is_type2(name))
                        continue;
                path = join_path(dir, names[i]);
                /* Each profile is an entry of its own, as in the loader. */
                for (unsigned p = 0; p < UKI_PROFILES_MAX && path && is_regular(path) &&
                                     read_uki_profile(path, l->machine, p, &osrel, &osrel_len, &cmdline, &cmdline_len,
                                                      &profile, &profile_len, &too_large) == 0;
                     p++) {
                        if (!too_large)
                                entries_add_type2_profile(l, source, name, p, profile, profile_len, osrel, osrel_len,
                                                          cmdline, cmdline_len);
                        free(osrel);
                        free(cmdline);
                        free(profile);
                }
                free(path);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        free(dir);
}

void esp_discover_entries_unchecked(struct entry_list *l, const char *root, enum entry_source source) {
        discover_type2(l, root, source);
        discover_type1(l, root, source);
}

/* UKIs first, as the loader does (see loader/discover.c; with a ranked list
 * the order does not change which entries are kept). */
void esp_discover_entries(struct entry_list *l, const char *root, enum entry_source source) {
        entry_list_set_file_check(l, file_kind, (void *) root);
        discover_type2(l, root, source);
        discover_type1(l, root, source);
        entry_list_set_file_check(l, NULL, NULL);
}
