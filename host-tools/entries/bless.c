/* SPDX-License-Identifier: MIT */
/* keel bless good|bad|indeterminate|status: the booted system's verdict on
 * a counted boot, with systemd-bless-boot's semantics. LoaderBootCountPath
 * names the entry file as the loader renamed it ("x+2-1.conf"); good drops
 * the counter ("x.conf"), bad sets LEFT to 0 ("x+0-1.conf"), indeterminate
 * restores the loader's name. Works after systemd-boot as after keel. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host-tools/core/commands.h"
#include "host-tools/entries/efivars.h"
#include "host-tools/core/log.h"
#include "common/bootcount.h"

#define NAME_MAX_BYTES 512

struct counted_paths {
        char dir[PATH_MAX];     /* relative to the partition root, '/' separated, no trailing '/' */
        char current[NAME_MAX_BYTES]; /* as the loader left it */
        char good[NAME_MAX_BYTES];
        char bad[NAME_MAX_BYTES];
};

static void usage(FILE *f) {
        fprintf(f, "Usage: keel bless good|bad|indeterminate|status [--esp DIR]...\n"
                   "Marks the current boot as good or bad for automatic boot assessment.\n"
                   "Without --esp, the ESP/XBOOTLDR is looked for at /efi, /boot and /boot/efi.\n");
}

/* LoaderBootCountPath ("\loader\entries\x+2-1.conf") split and turned into
 * the three names a counted entry can have. */
static int parse_count_path(const char *value, struct counted_paths *ret) {
        char path[PATH_MAX];
        struct bootcount_name n;
        const char *slash;
        size_t len = strlen(value);

        if (len == 0 || len >= sizeof(path) || (value[0] != '\\' && value[0] != '/'))
                return log_error("LoaderBootCountPath '%s' is not an absolute path", value);
        for (size_t i = 0; i <= len; i++)
                path[i] = value[i] == '\\' ? '/' : value[i];
        if (strstr(path, "/../") || strstr(path, "/./"))
                return log_error("LoaderBootCountPath '%s' is not a plain path", value);
        slash = strrchr(path, '/');
        snprintf(ret->dir, sizeof(ret->dir), "%.*s", (int) (slash - path), path);
        snprintf(ret->current, sizeof(ret->current), "%s", slash + 1);
        if (bootcount_parse(slice_from_cstr(ret->current), &n) != 0 || n.tries_left == BOOTCOUNT_UNKNOWN)
                return log_error("LoaderBootCountPath '%s' has no boot counter", value);
        if (!bootcount_format(n.stem, BOOTCOUNT_UNKNOWN, BOOTCOUNT_UNKNOWN, n.extension, ret->good, sizeof(ret->good)) ||
            !bootcount_format(n.stem, 0, n.tries_done == BOOTCOUNT_UNKNOWN ? 0 : n.tries_done, n.extension, ret->bad,
                              sizeof(ret->bad)))
                return log_error("LoaderBootCountPath '%s' is too long", value);
        return 0;
}

static bool exists_at(int dirfd, const char *name) {
        return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The directory holding the counted file under one of the candidate roots. */
static int open_entry_dir(char **roots, size_t n_roots, const struct counted_paths *p, const char **ret_root) {
        for (size_t i = 0; i < n_roots; i++) {
                char dir[PATH_MAX * 2];
                int fd;

                snprintf(dir, sizeof(dir), "%s%s", roots[i], p->dir);
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (exists_at(fd, p->current) || exists_at(fd, p->good) || exists_at(fd, p->bad)) {
                        *ret_root = roots[i];
                        return fd;
                }
                close(fd);
        }
        return -1;
}

static int rename_noreplace(int dirfd, const char *from, const char *to) {
        if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* File systems without RENAME_NOREPLACE: check, then rename. */
        if (exists_at(dirfd, to))
                return -EEXIST;
        return renameat(dirfd, from, dirfd, to) == 0 ? 0 : -errno;
}

static int set_state(int dirfd, const char *root, const struct counted_paths *p, const char *verb) {
        const char *target, *source1, *source2;
        int r;

        if (strcmp(verb, "good") == 0) {
                target = p->good;
                source1 = p->current;
                source2 = p->bad;
        } else if (strcmp(verb, "bad") == 0) {
                target = p->bad;
                source1 = p->current;
                source2 = p->good;
        } else {
                target = p->current;
                source1 = p->good;
                source2 = p->bad;
        }
        if (exists_at(dirfd, target)) {
                printf("already %s: %s%s/%s\n", verb, root, p->dir, target);
                return 0;
        }
        r = rename_noreplace(dirfd, source1, target);
        if (r == -ENOENT)
                r = rename_noreplace(dirfd, source2, target);
        if (r < 0)
                return log_errno(-r, "cannot rename %s%s/%s to %s", root, p->dir, source1, target);
        if (fsync(dirfd) < 0)
                return log_errno(errno, "cannot flush %s%s", root, p->dir);
        printf("%s%s/%s\n", root, p->dir, target);
        return 0;
}

static void print_status(int dirfd, const struct counted_paths *p) {
        if (exists_at(dirfd, p->current))
                puts("indeterminate");
        else if (exists_at(dirfd, p->good))
                puts("good");
        else
                puts("bad");
}

int bless_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "esp", required_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static char *default_roots[] = { "/efi", "/boot", "/boot/efi" };
        char *roots[8];
        size_t n_roots = 0;
        struct counted_paths paths;
        const char *verb, *root = NULL;
        char *count_path;
        int c, fd, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'e':
                        if (n_roots == sizeof(roots) / sizeof(roots[0]))
                                return log_error("bless: too many --esp"), 1;
                        roots[n_roots++] = optarg;
                        break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("bless: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("bless: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (argc - optind != 1)
                return log_error("bless: expected one of good, bad, indeterminate, status"), 1;
        verb = argv[optind];
        if (strcmp(verb, "good") != 0 && strcmp(verb, "bad") != 0 && strcmp(verb, "indeterminate") != 0 &&
            strcmp(verb, "status") != 0)
                return log_error("bless: unknown verb '%s' (good, bad, indeterminate, status)", verb), 1;
        if (n_roots == 0) {
                memcpy(roots, default_roots, sizeof(default_roots));
                n_roots = sizeof(default_roots) / sizeof(default_roots[0]);
        }

        count_path = efivar_read_string("LoaderBootCountPath", LOADER_GUID_STR);
        if (!count_path) {
                /* Not booted with a counted entry: nothing to judge. */
                puts("clean");
                return 0;
        }
        r = parse_count_path(count_path, &paths);
        free(count_path);
        if (r < 0)
                return 1;
        fd = open_entry_dir(roots, n_roots, &paths, &root);
        if (fd < 0)
                return log_error("bless: cannot find %s/%s on %s%s", paths.dir, paths.current, roots[0],
                                 n_roots > 1 ? " or the other boot partitions" : ""), 1;
        if (strcmp(verb, "status") == 0) {
                print_status(fd, &paths);
                r = 0;
        } else
                r = set_state(fd, root, &paths, verb);
        close(fd);
        return r < 0 ? 1 : 0;
}
