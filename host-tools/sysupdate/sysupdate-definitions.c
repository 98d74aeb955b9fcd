/* SPDX-License-Identifier: MIT */
/* keel sysupdate definitions: the sysupdate.d(5) transfer files that install
 * what `keel sysupdate source` publishes, as systemd-sysupdate 257 reads
 * them, and the drop-in that lets systemd-sysupdate.service run only from a
 * blessed boot.
 *
 * Transfers run in the order of their file names and the UKI's comes last,
 * so that an interrupted update never leaves an entry whose root is not
 * there yet. ProtectVersion=%A keeps the booted version (IMAGE_VERSION= of
 * the running os-release) from being removed to make room; the ordering
 * after boot-complete.target keeps a boot that is still on trial (and may be
 * rolled back) from replacing the last known good version. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sysupdate/sysupdate-names.h"

#define TRANSFER_DIR "sysupdate.d"
#define DROPIN_DIR "systemd/system/systemd-sysupdate.service.d"
#define DROPIN_NAME "keel-blessed-boot.conf"

struct definitions_options {
        const char *name;
        char url[2 * SYSUPDATE_URL_MAX + 1]; /* as Path= takes it */
        const struct keel_arch *arch;
        unsigned long instances_max;
        unsigned long tries_left;
        const char *output;
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel sysupdate definitions --name NAME --url URL [--arch x64|aa64] [--instances-max N]\n"
                "                                  [--tries-left N] -o DIR\n"
                "Writes the systemd-sysupdate transfer files for the updates 'keel sysupdate source' publishes\n"
                "at URL (http://, https:// or file://) into DIR/" TRANSFER_DIR "/ (DIR: usr/lib of the image):\n"
                "  10-NAME-root.transfer    NAME_@v.root.raw   -> a root-ARCH partition labelled NAME_@v\n"
                "  20-NAME-verity.transfer  NAME_@v.verity.raw -> a root-ARCH-verity partition labelled NAME_@v_verity\n"
                "  90-NAME-uki.transfer     NAME_@v.efi        -> $BOOT/EFI/Linux/NAME_@v+N.efi (--tries-left N, 3)\n"
                "each with InstancesMax=N (--instances-max, 2), ProtectVersion=%%A (the booted IMAGE_VERSION is\n"
                "never removed) and Verify=yes (SHA256SUMS.gpg against import-pubring.gpg); and\n"
                "DIR/" DROPIN_DIR "/" DROPIN_NAME ", which runs\n"
                "systemd-sysupdate.service only after boot-complete.target: from a blessed boot.\n");
}

static int parse_count(const char *option, const char *arg, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(arg, &end, 10);
        if (errno != 0 || end == arg || *end || arg[0] == '-' || v < min || v > max)
                return log_error("sysupdate definitions: %s %s: expected a number from %lu to %lu", option, arg, min,
                                 max);
        *ret = v;
        return 0;
}

static int parse_options(int argc, char **argv, struct definitions_options *o) {
        static const struct option long_options[] = {
                { "name", required_argument, NULL, 'n' },          { "url", required_argument, NULL, 'u' },
                { "arch", required_argument, NULL, 'a' },          { "instances-max", required_argument, NULL, 'i' },
                { "tries-left", required_argument, NULL, 't' },    { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },                {},
        };
        const char *url = NULL;
        int c;

        o->instances_max = 2;
        o->tries_left = 3;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 'n': o->name = optarg; break;
                case 'u': url = optarg; break;
                case 'a':
                        if (!(o->arch = keel_arch_from_name(optarg)))
                                return log_error("sysupdate definitions: --arch %s: expected %s", optarg,
                                                 keel_arch_names());
                        break;
                case 'i':
                        /* sysupdate.d(5): "equal to or greater than 2". */
                        if (parse_count("--instances-max", optarg, 2, 64, &o->instances_max) < 0)
                                return -1;
                        break;
                case 't':
                        if (parse_count("--tries-left", optarg, 1, 99, &o->tries_left) < 0)
                                return -1;
                        break;
                case 'o': o->output = optarg; break;
                case 'h': usage(stdout); return 1;
                case ':': return log_error("sysupdate definitions: option %s needs a value", argv[optind - 1]);
                default: return log_error("sysupdate definitions: unknown option %s", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return log_error("sysupdate definitions: unexpected argument %s", argv[optind]);
        if (!o->name)
                return log_error("sysupdate definitions: --name NAME is required");
        if (sysupdate_check_name("sysupdate definitions", o->name) < 0)
                return -1;
        if (!url)
                return log_error("sysupdate definitions: --url URL is required");
        if (sysupdate_url_escape("sysupdate definitions", url, o->url) < 0)
                return -1;
        if (!o->output)
                return log_error("sysupdate definitions: -o DIR is required");
        if (!o->arch && !(o->arch = keel_arch_host()))
                return log_error("sysupdate definitions: this machine is none of %s: give --arch", keel_arch_names());
        return 0;
}

static const char *transfer_header(void) {
        return "# Written by keel sysupdate definitions.\n"
               "[Transfer]\n"
               "ProtectVersion=%A\n"
               "Verify=yes\n\n";
}

static char *partition_transfer(const struct definitions_options *o, bool verity) {
        char *text;

        if (asprintf(&text,
                     "%s[Source]\nType=url-file\nPath=%s\nMatchPattern=%s_@v.%s.raw\n\n"
                     "[Target]\nType=partition\nPath=auto\nMatchPattern=%s_@v%s\nMatchPartitionType=root-%s%s\n"
                     "ReadOnly=yes\nInstancesMax=%lu\n",
                     transfer_header(), o->url, o->name, verity ? "verity" : "root", o->name, verity ? "_verity" : "",
                     o->arch->dps_name, verity ? "-verity" : "", o->instances_max) < 0)
                return NULL;
        return text;
}

static char *uki_transfer(const struct definitions_options *o) {
        char *text;

        /* The first target pattern names new files: NAME_V+3.efi, a UKI
         * on trial as the Boot Loader Specification counts it (with @d
         * first, sysupdate 257 would write NAME_V+3-0.efi); the others
         * match it once the loader has counted (+2-1) or it was blessed. */
        if (asprintf(&text,
                     "%s[Source]\nType=url-file\nPath=%s\nMatchPattern=%s_@v.efi\n\n"
                     "[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\n"
                     "MatchPattern=%s_@v+@l.efi %s_@v+@l-@d.efi %s_@v.efi\nMode=0444\nTriesLeft=%lu\n"
                     "InstancesMax=%lu\n",
                     transfer_header(), o->url, o->name, o->name, o->name, o->name, o->tries_left,
                     o->instances_max) < 0)
                return NULL;
        return text;
}

/* Requires= as well as After=: a boot whose boot-complete.target fails (a
 * check before it failed: the boot is bad and will be rolled back) never
 * starts an update. */
static const char dropin_text[] =
        "# Written by keel sysupdate definitions: update only from a blessed boot.\n"
        "[Unit]\n"
        "Requires=boot-complete.target\n"
        "After=boot-complete.target\n";

/* top/sub and the directories on the way (top exists: main checked it),
 * all before the first file is written. */
static int make_dirs(const char *top, const char *sub) {
        char relative[256];

        snprintf(relative, sizeof(relative), "/%s/", sub);
        return mkdir_parents_below(top, relative, 0755);
}

static int write_text(const char *dir, const char *sub, const char *name, const char *text) {
        char path[4096];

        if (snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name) >= (int) sizeof(path))
                return log_error("%s: path too long", dir);
        if (write_file_atomic(path, text, strlen(text), 0644) < 0)
                return -1;
        printf("%s\n", path);
        return 0;
}

int sysupdate_definitions_main(int argc, char **argv) {
        struct definitions_options o = {};
        char *root = NULL, *verity = NULL, *uki = NULL, names[3][64];
        struct stat st;
        int r;

        r = parse_options(argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;
        if (stat(o.output, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error("sysupdate definitions: -o %s: not a directory", o.output), 1;
        root = partition_transfer(&o, false);
        verity = partition_transfer(&o, true);
        uki = uki_transfer(&o);
        r = root && verity && uki ? 0 : log_error("out of memory");
        snprintf(names[0], sizeof(names[0]), "10-%s-root.transfer", o.name);
        snprintf(names[1], sizeof(names[1]), "20-%s-verity.transfer", o.name);
        snprintf(names[2], sizeof(names[2]), "90-%s-uki.transfer", o.name);
        if (r == 0)
                r = make_dirs(o.output, TRANSFER_DIR);
        if (r == 0)
                r = make_dirs(o.output, DROPIN_DIR);
        if (r == 0)
                r = write_text(o.output, TRANSFER_DIR, names[0], root);
        if (r == 0)
                r = write_text(o.output, TRANSFER_DIR, names[1], verity);
        if (r == 0)
                r = write_text(o.output, TRANSFER_DIR, names[2], uki);
        if (r == 0)
                r = write_text(o.output, DROPIN_DIR, DROPIN_NAME, dropin_text);
        free(root);
        free(verity);
        free(uki);
        return r < 0 ? 1 : 0;
}
