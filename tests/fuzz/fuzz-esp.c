/* SPDX-License-Identifier: MIT */
/* libFuzzer target for host-tools/entries/esp.c, the host's view of an ESP that
 * `keel entries` prints. esp.c only reads directory trees, so each input
 * becomes a small tree in a per-process tmpfs directory (/dev/shm):
 *
 *   LOADER.CONF\n===\nPATH\nCONTENT\n===\nPATH\nCONTENT...
 *
 * The first record is loader/loader.conf of the ESP (absent when empty);
 * each further record is a file at PATH below the ESP, or below an XBOOTLDR
 * tree when PATH starts with "X:" ('/'-separated, at most four components;
 * NUL, '.' and '..' components are made harmless, so the tree stays where
 * it is). Typical PATHs: loader/entries/a+3-1.conf, EFI/Linux/os.efi,
 * vmlinuz; the case of each component is up to the input (the lookup
 * ignores it, as FAT does).
 *
 * The tree is read exactly as entries_main() reads it — loader.conf, ESP
 * entries, XBOOTLDR entries, sort, default — into a list with room for six
 * entries and a 4 KiB arena (exact-size heap blocks, so AddressSanitizer
 * sees any write past them). Checked: loader.conf read from the file equals
 * loader_config_parse() of the same bytes; esp_read_uki_metadata() of each
 * file accepts exactly what the in-memory reader accepts and returns the
 * section bytes; every entry's strings are inside the used arena; a Type #1
 * entry names no path with '..' or a control character and every file it
 * names resolves to a regular file inside its own tree; a Type #2 entry is a
 * UKI file of its tree; the order obeys the sort rules; the default is a
 * good entry whenever one exists. keel install's content GC reads the same
 * tree (content_references_collect(), both volumes): it either gives up
 * (what an entry names cannot be known: nothing is removed) or names valid
 * content paths, among them every .tlinux/.tinitrd ref of every profile of
 * each listed entry's UKI (Type #2) and of each Type #1 entry's `linux` and
 * `efi`. keel's log lines go to /dev/null (KEEL_FUZZ_VERBOSE=1 keeps them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bls.h"
#include "common/entries.h"
#include "common/error.h"
#include "tests/fuzz/fuzz-entries.h"
#include "tests/fuzz/fuzz-host.h"
#include "common/pe.h"
#include "common/uki.h"
#include "host-tools/entries/esp.h"
#include "host-tools/install/content-gc.h"
#include "host-tools/uki/thin-content.h"

#define CAPACITY 6
#define ARENA_SIZE 4096
#define RECORDS_MAX 10
#define COMPONENTS_MAX 4
#define COMPONENT_MAX 64
#define SEPARATOR "\n===\n"
#define UKI_TEXT_SECTION_MAX (64u * 1024)
#define INPUT_HEAD_MAX (64u * 1024)


static char base_dir[64], esp_root[96], xbootldr_root[96];
static bool verbose;

static void cleanup(void) {
        fuzz_empty_dir(base_dir);
        rmdir(base_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        verbose = getenv("KEEL_FUZZ_VERBOSE") != NULL;
        if (!verbose) {
                FILE *null = fopen("/dev/null", "w");
                check(null != NULL);
                stderr = null; /* keel's log.c; libFuzzer and ASan write to fd 2 directly */
        }
        fuzz_remove_stale_dirs("keel-fuzz-esp.");
        snprintf(base_dir, sizeof(base_dir), "/dev/shm/keel-fuzz-esp.%d", (int) getpid());
        snprintf(esp_root, sizeof(esp_root), "%s/esp", base_dir);
        snprintf(xbootldr_root, sizeof(xbootldr_root), "%s/xbootldr", base_dir);
        check(mkdir(base_dir, 0700) == 0 || errno == EEXIST);
        fuzz_empty_dir(base_dir);
        atexit(cleanup);
        return 0;
}

static size_t find(const uint8_t *data, size_t size, const char *needle) {
        size_t n = strlen(needle);
        for (size_t i = 0; i + n <= size; i++)
                if (memcmp(data + i, needle, n) == 0)
                        return i;
        return size;
}

static void write_file(const char *path, const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return; /* e.g. a directory of that name already exists */
        check(size == 0 || write(fd, data, size) == (ssize_t) size);
        close(fd);
}

/* PATH from the input into a path below root: components sanitized,
 * intermediate directories created. Returns false when nothing is left. */
static bool make_path(const char *root, const uint8_t *p, size_t n, char *out, size_t out_size) {
        size_t o = (size_t) snprintf(out, out_size, "%s", root), components = 0;

        for (size_t i = 0; i < n && components < COMPONENTS_MAX;) {
                size_t len = 0;
                char c[COMPONENT_MAX + 1];

                while (i < n && p[i] == '/')
                        i++;
                while (i < n && p[i] != '/') {
                        if (len < COMPONENT_MAX)
                                c[len++] = p[i] == '\0' ? '_' : (char) p[i];
                        i++;
                }
                if (len == 0)
                        break;
                c[len] = '\0';
                if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
                        c[0] = '_';
                if (components > 0 && mkdir(out, 0755) < 0 && errno != EEXIST)
                        return false;
                check(o + 1 + len < out_size);
                out[o++] = '/';
                memcpy(out + o, c, len + 1);
                o += len;
                components++;
        }
        return components > 0;
}

static bool is_regular(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* esp_read_uki_metadata() against the firmware-side reader run on the bytes. */
static void check_uki_metadata(const char *path, const uint8_t *data, size_t size) {
        static struct pe_image pe;
        struct uki_sections u;
        char *osrel, *cmdline;
        size_t osrel_len, cmdline_len;
        int k, r;

        r = esp_read_uki_metadata(path, &osrel, &osrel_len, &cmdline, &cmdline_len);
        k = pe_parse_headers(data, size < INPUT_HEAD_MAX ? size : INPUT_HEAD_MAX, &pe);
        if (k == KEEL_OK)
                k = pe_check_file_layout(&pe, size);
        /* No machine check: esp_read_uki_metadata() reads UKIs of any
         * architecture (a list's default); `keel entries` filters by its own. */
        if (k == KEEL_OK)
                k = uki_find_sections(&pe, &u);
        check((r == 0) == (k == KEEL_OK));
        if (r != 0) {
                check(!osrel && !cmdline && osrel_len == 0 && cmdline_len == 0);
                return;
        }
        for (int i = 0; i < 2; i++) {
                const struct pe_section *s = u.section[i == 0 ? UKI_SECTION_OSREL : UKI_SECTION_CMDLINE];
                const char *got = i == 0 ? osrel : cmdline;
                size_t got_len = i == 0 ? osrel_len : cmdline_len;

                if (!s || pe_section_file_size(s) > UKI_TEXT_SECTION_MAX) {
                        check(!got && got_len == 0);
                        continue;
                }
                check(got && got_len == pe_section_file_size(s) && got[got_len] == '\0');
                check(memcmp(got, data + s->raw_offset, got_len) == 0);
        }
        free(osrel);
        free(cmdline);
}

/* loader.conf as esp.c reads it equals loader_config_parse() of the file
 * the case-insensitive lookup finds (usually the first record; a record may
 * have written another spelling of it). */
static void check_loader_conf(struct loader_config *ret) {
        struct loader_config from_file, from_memory;
        char *path = esp_path_nocase(esp_root, "loader/loader.conf");
        uint8_t *data = NULL;
        size_t size = 0;
        struct stat st;

        /* The model: a regular file of any size up to the bound is read whole;
         * one that exists but cannot be read (a directory...) fails safe. */
        loader_config_init(&from_memory);
        if (path && stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || (uint64_t) st.st_size > LOADER_CONF_SIZE_MAX))
                loader_config_init_fail_safe(&from_memory);
        else if (path && stat(path, &st) == 0) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                check(fd >= 0);
                size = (size_t) st.st_size;
                data = malloc(size ? size : 1);
                check(data && (size == 0 || read(fd, data, size) == (ssize_t) size));
                close(fd);
                loader_config_parse(&from_memory, data, size, NULL, NULL);
        }
        esp_read_loader_conf(&from_file, esp_root);
        check(from_file.timeout.mode == from_memory.timeout.mode &&
              from_file.timeout.seconds == from_memory.timeout.seconds);
        check(strcmp(from_file.default_pattern, from_memory.default_pattern) == 0);
        check(from_file.default_saved == from_memory.default_saved && from_file.editor == from_memory.editor &&
              from_file.auto_entries == from_memory.auto_entries &&
              from_file.auto_firmware == from_memory.auto_firmware &&
              from_file.console_mode == from_memory.console_mode &&
              from_file.secure_boot_enroll == from_memory.secure_boot_enroll &&
              from_file.watchdog_seconds == from_memory.watchdog_seconds &&
              from_file.reboot_delay_seconds == from_memory.reboot_delay_seconds);
        *ret = from_file;
        free(data);
        free(path);
}

static void entry_warn(void *userdata, const char *filename, const char *what) {
        (void) userdata;
        check(filename && what);
        if (verbose)
                fprintf(stderr, "entry %s: %s\n", filename, what);
}

static const char *arena_base;
static size_t arena_limit;

static void check_string(const char *s) {
        if (!s)
                return;
        check(s >= arena_base && s < arena_base + arena_limit);
        check(memchr(s, '\0', (size_t) (arena_base + arena_limit - s)) != NULL);
}

static bool path_is_safe(const char *p) {
        size_t start = 0, n = strlen(p);

        for (size_t i = 0; i <= n; i++) {
                if (i < n && (unsigned char) p[i] < 0x20)
                        return false;
                if (i == n || p[i] == '/' || p[i] == '\\') {
                        if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
                                return false;
                        start = i + 1;
                }
        }
        return true;
}

/* A file an entry names: inside its own tree, a regular file. */
static void check_names_file(const char *root, const char *p) {
        char *resolved;
        size_t n = strlen(root);

        check(path_is_safe(p));
        resolved = esp_path_nocase(root, p);
        check(resolved != NULL);
        check(strncmp(resolved, root, n) == 0 && (resolved[n] == '/' || resolved[n] == '\0'));
        check(is_regular(resolved));
        free(resolved);
}

static void check_entry(const struct boot_entry *e) {
        const char *root = e->source == ENTRY_SOURCE_XBOOTLDR ? xbootldr_root : esp_root;

        check_string(e->id);
        check_string(e->filename);
        check_string(e->title);
        check_string(e->version);
        check_string(e->sort_key);
        check_string(e->machine_id);
        check_string(e->linux_path);
        check_string(e->devicetree);
        check_string(e->options);
        check_string(e->efi_path);
        check_string(e->uki_path);
        check_string(e->alias);
        check(e->id && e->filename && e->title);
        check(e->source == ENTRY_SOURCE_ESP || e->source == ENTRY_SOURCE_XBOOTLDR);
        check(e->n_initrds <= BLS_MAX_INITRDS && (e->n_initrds == 0 || e->initrds));
        for (size_t i = 0; i < e->n_initrds; i++)
                check_string(e->initrds[i]);
        check(e->n_extras <= BLS_MAX_EXTRAS && (e->n_extras == 0 || e->extras));
        for (size_t i = 0; i < e->n_extras; i++) {
                check_string(e->extras[i]);
                check(path_is_safe(e->extras[i]));
        }

        if (e->type == ENTRY_TYPE1) {
                check(entry_filename_is_type1(slice_from_cstr(e->filename)));
                /* Exactly one thing to start; initrds and extras only where they are used. */
                check(!!e->linux_path + !!e->efi_path + !!e->uki_path == 1);
                check(e->uki_path ? e->n_initrds == 0 : e->n_extras == 0 && e->profile == 0);
                if (e->linux_path)
                        check_names_file(root, e->linux_path);
                if (e->efi_path)
                        check_names_file(root, e->efi_path);
                if (e->uki_path)
                        check_names_file(root, e->uki_path);
                if (e->devicetree)
                        check(path_is_safe(e->devicetree));
                for (size_t i = 0; i < e->n_initrds; i++)
                        check_names_file(root, e->initrds[i]);
        } else {
                char *dir, path[4096];

                check(e->type == ENTRY_TYPE2);
                check(entry_filename_is_type2(slice_from_cstr(e->filename)));
                dir = esp_path_nocase(root, "EFI/Linux");
                check(dir != NULL);
                snprintf(path, sizeof(path), "%s/%s", dir, e->filename);
                check(is_regular(path));
                free(dir);
        }
}

/* Every ref of the file an entry starts (relative to root) is kept. */
static void check_target_kept(const struct content_references *refs, const char *root, const char *target) {
        char *path = esp_path_nocase(root, target), why[256];
        struct thin_file_refs t;

        if (!path || !is_regular(path)) {
                free(path);
                return;
        }
        /* GC read this file too and did not give up: it can be read. */
        check(thin_refs_of_file(path, &t, why, sizeof(why)) == 0);
        for (size_t i = 0; i < t.n; i++)
                check(content_references_contain(refs, t.refs[i].ref.path));
        thin_file_refs_done(&t);
        free(path);
}

static void check_content_references(const struct entry_list *l) {
        const char *volumes[] = { esp_root, xbootldr_root };
        struct content_references refs;

        if (content_references_collect(volumes, 2, &refs) < 0) {
                check(refs.n == 0 && !refs.paths);
                return;
        }
        for (size_t i = 0; i < refs.n; i++)
                check(thin_path_is_valid(refs.paths[i], strlen(refs.paths[i])));
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i];
                const char *root = e->source == ENTRY_SOURCE_XBOOTLDR ? xbootldr_root : esp_root;
                char uki[512];

                if (e->type == ENTRY_TYPE2) {
                        snprintf(uki, sizeof(uki), "EFI/Linux/%s", e->filename);
                        check_target_kept(&refs, root, uki);
                        continue;
                }
                if (e->linux_path)
                        check_target_kept(&refs, root, e->linux_path);
                if (e->efi_path)
                        check_target_kept(&refs, root, e->efi_path);
        }
        content_references_done(&refs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct boot_entry *storage = malloc(CAPACITY * sizeof(struct boot_entry));
        char *arena = malloc(ARENA_SIZE);
        const uint8_t *conf = data;
        size_t conf_len, records = 0, def;
        struct loader_config config;
        struct entry_list l;
        bool any_good = false;
        char path[4096];

        check(storage && arena);
        check(mkdir(esp_root, 0755) == 0 && mkdir(xbootldr_root, 0755) == 0);

        /* The tree. */
        conf_len = find(data, size, SEPARATOR);
        if (conf_len > 0) {
                check(make_path(esp_root, (const uint8_t *) "loader/loader.conf", 18, path, sizeof(path)));
                write_file(path, conf, conf_len);
        }
        data += conf_len;
        size -= conf_len;
        while (size >= strlen(SEPARATOR) && records < RECORDS_MAX) {
                size_t end, nl, name_len;
                const uint8_t *name, *content;
                const char *root = esp_root;

                data += strlen(SEPARATOR);
                size -= strlen(SEPARATOR);
                end = find(data, size, SEPARATOR);
                nl = find(data, end, "\n");
                name = data;
                name_len = nl;
                content = nl < end ? data + nl + 1 : data + end;
                if (name_len >= 2 && name[0] == 'X' && name[1] == ':') {
                        root = xbootldr_root;
                        name += 2;
                        name_len -= 2;
                }
                if (make_path(root, name, name_len, path, sizeof(path))) {
                        size_t content_len = (size_t) (data + end - content);
                        write_file(path, content, content_len);
                        if (is_regular(path) && content_len >= 2 && content[0] == 'M' && content[1] == 'Z')
                                check_uki_metadata(path, content, content_len);
                }
                records++;
                data += end;
                size -= end;
        }

        /* entries_main()'s reading. */
        check_loader_conf(&config);
        entry_list_init(&l, storage, CAPACITY, arena, ARENA_SIZE, entry_warn, NULL);
        arena_base = arena;
        esp_discover_entries(&l, esp_root, ENTRY_SOURCE_ESP);
        esp_discover_entries(&l, xbootldr_root, ENTRY_SOURCE_XBOOTLDR);
        check(l.n_entries <= l.capacity && l.arena_used <= l.arena_size);
        arena_limit = l.arena_used;
        entries_sort(&l);
        for (size_t i = 0; i < l.n_entries; i++)
                check_entry(&l.entries[i]);
        check(entries_in_menu_order(&l, &any_good));
        {
                const struct entry_default_request r = {
                        .config = &config, .saved = l.n_entries > 0 ? l.entries[0].id : NULL };
                def = entries_select_default(&l, &r);
        }
        check(l.n_entries == 0 ? def == SIZE_MAX : def < l.n_entries);
        for (size_t i = 0; verbose && i < l.n_entries; i++)
                fprintf(stderr, "%c %s (%s)\n", i == def ? '*' : ' ', l.entries[i].id,
                        l.entries[i].source == ENTRY_SOURCE_ESP ? "esp" : "xbootldr");
        if (any_good)
                check(!entry_is_bad(&l.entries[def]));
        check_content_references(&l);

        fuzz_empty_dir(base_dir);
        free(storage);
        free(arena);
        return 0;
}
