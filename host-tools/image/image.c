/* SPDX-License-Identifier: MIT */
/* keel image: a bootable GPT disk image from a root directory, a loader and
 * UKIs. Three partitions, typed and named as the Discoverable Partitions
 * Specification says: an ESP (FAT32) with the loader as
 * \EFI\BOOT\BOOTX64.EFI (BOOTAA64.EFI) and the UKIs in \EFI\Linux\, the root
 * (or /usr) file system (erofs or squashfs) and its dm-verity hash tree,
 * typed for the architecture of the loader and the UKIs (which must agree),
 * whose partition UUIDs are the first and last 128 bits of the root hash. The file systems
 * come from the real tools (mkfs.erofs/mksquashfs, sfdisk, mkfs.vfat,
 * mtools), written into a plain file: no root, no loop devices.
 *
 * The same tree gives the same image: file system timestamps and UUIDs are
 * fixed and the verity salt defaults to a digest of the file system image,
 * so `--roothash-only` can tell the root hash to put into the UKIs
 * (`keel uki build --roothash`) before the image is assembled. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/image/image-tools.h"
#include "host-tools/image/root-image.h"
#include "host-tools/core/log.h"
#include "host-tools/verity/verity-tree.h"
#include "host-tools/verity/verity-util.h"
#include "common/error.h"
#include "common/uki.h"

#define MIB (UINT64_C(1) << 20)
#define MAX_UKIS 32
#define MAX_ESP_FILES 64
#define ESP_MIN_MIB 64 /* comfortably above FAT32's minimum cluster count */

/* Discoverable Partitions Specification; the root and /usr types are the
 * architecture's (host-tools/core/arch.c). */
#define TYPE_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"



struct esp_file {
        const char *source;
        char dest[256];
};

struct image_options {
        const char *root_dir;
        const char *fs;
        bool usr;
        const char *loader;
        const char *ukis[MAX_UKIS];
        size_t n_ukis;
        struct esp_file esp_files[MAX_ESP_FILES + MAX_UKIS + 1]; /* extra files, then loader and UKIs */
        size_t n_esp_files;
        uint64_t esp_mib;
        struct verity_tree_options tree;
        bool roothash_only;
        const char *output;
        const struct keel_arch *arch;   /* of the loader and the UKIs */
};

struct layout {
        uint64_t esp_start, esp_size;
        uint64_t data_start, data_size;
        uint64_t hash_start, hash_size;
        uint64_t total;
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel image --root DIR [--fs erofs|squashfs] [--usr] --loader EFI --uki UKI [--uki UKI]...\n"
                "                  [--esp-file SRC:/DEST]... [--esp-size MIB] [--hash ALG] [--data-block-size N]\n"
                "                  [--hash-block-size N] [--salt HEX|-] [--threads N] -o IMAGE\n"
                "       keel image --root DIR [...] --roothash-only\n"
                "Builds a GPT disk image: an ESP with EFI as \\EFI\\BOOT\\BOOTX64.EFI (BOOTAA64.EFI) and the UKIs\n"
                "in \\EFI\\Linux, DIR as a read-only root (or, with --usr, /usr) file system and its dm-verity\n"
                "hash partition, typed for the architecture of EFI and the UKIs (all must be for the same\n"
                "machine), whose partition UUIDs are derived from the root hash. Every UKI that carries a roothash=\n"
                "(usrhash=) must carry this image's. --roothash-only prints the root hash and stops.\n");
}

static uint64_t align_mib(uint64_t v) {
        return (v + MIB - 1) / MIB * MIB;
}

static int add_esp_file(struct image_options *o, const char *source, const char *dest) {
        if (o->n_esp_files == sizeof(o->esp_files) / sizeof(o->esp_files[0]))
                return log_error("image: too many ESP files");
        if (dest[0] != '/' || strstr(dest, "//") || strstr(dest, "/../") || strstr(dest, "/./") ||
            dest[strlen(dest) - 1] == '/' || strlen(dest) >= sizeof(o->esp_files[0].dest))
                return log_error("image: ESP path '%s' must be an absolute file path like /loader/loader.conf", dest);
        for (size_t i = 0; i < o->n_esp_files; i++)
                if (strcasecmp(o->esp_files[i].dest, dest) == 0)
                        return log_error("image: two files for %s on the ESP", dest);
        o->esp_files[o->n_esp_files].source = source;
        snprintf(o->esp_files[o->n_esp_files].dest, sizeof(o->esp_files[0].dest), "%s", dest);
        o->n_esp_files++;
        return 0;
}

/* The architecture the image boots: that of the loader and of every UKI,
 * which must agree (firmware starts \EFI\BOOT\BOOT<ARCH>.EFI of its own
 * architecture only, and the loader hides UKIs of another). Without any of
 * them (--roothash-only) the host's, for the partition names printed. */
static int image_arch(struct image_options *o) {
        const char *first = NULL;

        o->arch = NULL;
        for (size_t i = 0; i <= o->n_ukis; i++) {
                const char *path = i == 0 ? o->loader : o->ukis[i - 1];
                const struct keel_arch *a;

                if (!path)
                        continue;
                if (keel_arch_of_pe_file(i == 0 ? "loader" : "UKI", path, &a) < 0)
                        return -1;
                if (o->arch && a != o->arch)
                        return log_error("image: %s is for %s, %s for %s; an image boots one architecture", path,
                                         a->name, first, o->arch->name);
                if (!o->arch) {
                        o->arch = a;
                        first = path;
                }
        }
        if (!o->arch && !(o->arch = keel_arch_host()))
                o->arch = &keel_arches[0];
        return 0;
}

static int parse_options(int argc, char **argv, struct image_options *o) {
        static const struct option long_options[] = {
                { "root", required_argument, NULL, 'r' },     { "fs", required_argument, NULL, 'f' },
                { "usr", no_argument, NULL, 'U' },            { "loader", required_argument, NULL, 'l' },
                { "uki", required_argument, NULL, 'k' },      { "esp-file", required_argument, NULL, 'e' },
                { "esp-size", required_argument, NULL, 'E' }, VERITY_TREE_LONG_OPTIONS,
                { "roothash-only", no_argument, NULL, 'R' },  { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },           {},
        };
        const char *extra[MAX_ESP_FILES];
        size_t n_extra = 0;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                int handled = verity_tree_option("image", c, optarg, &o->tree);
                if (handled < 0)
                        return -1;
                if (handled > 0)
                        continue;
                switch (c) {
                case 'r': o->root_dir = optarg; break;
                case 'f': o->fs = optarg; break;
                case 'U': o->usr = true; break;
                case 'l': o->loader = optarg; break;
                case 'k':
                        if (o->n_ukis == MAX_UKIS)
                                return log_error("image: too many --uki (at most %d)", MAX_UKIS);
                        o->ukis[o->n_ukis++] = optarg;
                        break;
                case 'e':
                        if (n_extra == MAX_ESP_FILES)
                                return log_error("image: too many --esp-file (at most %d)", MAX_ESP_FILES);
                        extra[n_extra++] = optarg;
                        break;
                case 'E':
                        if (parse_size_arg("--esp-size", optarg, &o->esp_mib) < 0)
                                return -1;
                        if (o->esp_mib < ESP_MIN_MIB || o->esp_mib > 1024 * 1024)
                                return log_error("--esp-size %s: must be from %d to 1048576 MiB", optarg, ESP_MIN_MIB);
                        break;
                case 'R': o->roothash_only = true; break;
                case 'o': o->output = optarg; break;
                case 'h': usage(stdout); return 1;
                case ':': return log_error("image: option %s needs a value", argv[optind - 1]);
                default: return log_error("image: unknown option %s", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return log_error("image: unexpected argument %s", argv[optind]);
        if (!o->root_dir)
                return log_error("image: --root DIR is required");
        if (!o->fs)
                o->fs = "erofs";
        if (strcmp(o->fs, "erofs") != 0 && strcmp(o->fs, "squashfs") != 0)
                return log_error("image: --fs %s: expected erofs or squashfs", o->fs);
        if (o->roothash_only)
                return image_arch(o);
        if (!o->output)
                return log_error("image: -o IMAGE is required");
        if (!o->loader)
                return log_error("image: --loader EFI is required");
        if (o->n_ukis == 0)
                return log_error("image: at least one --uki is required");

        for (size_t i = 0; i < n_extra; i++) {
                char *colon = strrchr(extra[i], ':');
                if (!colon || colon == extra[i])
                        return log_error("image: --esp-file %s: expected SOURCE:/DEST", extra[i]);
                *colon = '\0';
                if (add_esp_file(o, extra[i], colon + 1) < 0)
                        return -1;
        }
        if (image_arch(o) < 0)
                return -1;
        {
                char dest[256];
                snprintf(dest, sizeof(dest), "/%s", o->arch->removable_path);
                if (add_esp_file(o, o->loader, dest) < 0)
                        return -1;
        }
        for (size_t i = 0; i < o->n_ukis; i++) {
                char dest[256], *copy = strdup(o->ukis[i]);
                int r;
                if (!copy)
                        return log_error("out of memory");
                snprintf(dest, sizeof(dest), "/EFI/Linux/%s", basename(copy));
                free(copy);
                r = add_esp_file(o, o->ukis[i], dest);
                if (r < 0)
                        return -1;
        }
        return 0;
}

/* The value of the UKI's roothash= (usrhash=) word, lower case, or "" when
 * it has none. Two different values are an error. */
static int uki_bound_hash(const char *path, const char *key, char ret[2 * VERITY_DIGEST_MAX + 1]) {
        struct mapped_file f;
        struct pe_image pe;
        struct uki_sections u;
        const struct pe_section *s;
        size_t key_len = strlen(key), size;
        char *text;
        int r;

        ret[0] = '\0';
        if (map_pe_file(path, &f) < 0)
                return -1;
        r = pe_parse_headers(f.data, f.size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, f.size);
        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, f.data, f.size, PE_VIEW_FILE);
        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &u);
        if (r == KEEL_OK && !uki_is_uki(&u))
                r = KEEL_E_UKI_NO_LINUX;
        if (r != KEEL_OK) {
                unmap_file(&f);
                return log_error("UKI %s: %s", path, keel_strerror(r));
        }
        s = u.section[UKI_SECTION_CMDLINE];
        size = s ? pe_section_file_size(s) : 0;
        text = malloc(size + 1);
        if (!text) {
                unmap_file(&f);
                return log_error("out of memory");
        }
        if (size)
                memcpy(text, f.data + s->raw_offset, size);
        text[size] = '\0';
        unmap_file(&f);

        r = 0;
        for (char *p = text; *p && r == 0;) {
                char *w, *end;
                while (*p && isspace((unsigned char) *p))
                        p++;
                w = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                end = p;
                while (w < end && *w == '"')
                        w++;
                while (end > w && end[-1] == '"')
                        end--;
                if ((size_t) (end - w) <= key_len || strncmp(w, key, key_len) != 0 || w[key_len] != '=')
                        continue;
                w += key_len + 1;
                if ((size_t) (end - w) > 2 * VERITY_DIGEST_MAX)
                        r = log_error("UKI %s: %s= value is too long", path, key);
                else if (ret[0] && (strlen(ret) != (size_t) (end - w) || strncasecmp(ret, w, (size_t) (end - w)) != 0))
                        r = log_error("UKI %s: two different %s= values", path, key);
                else {
                        for (size_t i = 0; w + i < end; i++)
                                ret[i] = (char) tolower((unsigned char) w[i]);
                        ret[end - w] = '\0';
                }
        }
        free(text);
        return r;
}

static int esp_size_auto(const struct image_options *o, uint64_t *ret) {
        uint64_t sum = 0;
        struct stat st;

        for (size_t i = 0; i < o->n_esp_files; i++) {
                if (stat(o->esp_files[i].source, &st) < 0)
                        return log_errno(errno, "cannot read %s", o->esp_files[i].source);
                if (!S_ISREG(st.st_mode))
                        return log_error("%s: not a regular file", o->esp_files[i].source);
                sum += (uint64_t) st.st_size + 4096;
        }
        if (o->esp_mib) {
                if (sum > o->esp_mib * MIB / 100 * 95)
                        return log_error("--esp-size %llu MiB is too small for %llu bytes of files",
                                         (unsigned long long) o->esp_mib, (unsigned long long) sum);
                *ret = o->esp_mib * MIB;
                return 0;
        }
        *ret = align_mib(sum + sum / 10 + 16 * MIB);
        if (*ret < ESP_MIN_MIB * MIB)
                *ret = ESP_MIN_MIB * MIB;
        return 0;
}

static int write_partition_table(const char *path, const struct layout *l, const struct keel_arch *arch, bool usr,
                                 const uint8_t *root_hash, size_t root_hash_size) {
        uint8_t data_uuid[16], hash_uuid[16], disk_uuid[16], esp_uuid[16];
        char d[VERITY_UUID_STRING_SIZE], h[VERITY_UUID_STRING_SIZE], disk[VERITY_UUID_STRING_SIZE],
                esp[VERITY_UUID_STRING_SIZE], script[2048];
        const char *tool = image_tool_find("sfdisk", "fdisk");
        char name[32];

        if (!tool)
                return -1;
        snprintf(name, sizeof(name), "%s-%s", usr ? "usr" : "root", arch->dps_name);
        verity_partition_uuids(root_hash, root_hash_size, data_uuid, hash_uuid);
        root_image_derive_uuid("keel image disk\n", root_hash, root_hash_size, disk_uuid);
        root_image_derive_uuid("keel image esp\n", root_hash, root_hash_size, esp_uuid);
        verity_uuid_format(data_uuid, d);
        verity_uuid_format(hash_uuid, h);
        verity_uuid_format(disk_uuid, disk);
        verity_uuid_format(esp_uuid, esp);
        /* GUID:60 is the read-only flag the specification asks for. */
        snprintf(script, sizeof(script),
                 "label: gpt\nlabel-id: %s\n"
                 "start=%llu, size=%llu, type=%s, uuid=%s, name=\"esp\"\n"
                 "start=%llu, size=%llu, type=%s, uuid=%s, name=\"%s\", attrs=\"GUID:60\"\n"
                 "start=%llu, size=%llu, type=%s, uuid=%s, name=\"%s-verity\", attrs=\"GUID:60\"\n",
                 disk, (unsigned long long) (l->esp_start / 512), (unsigned long long) (l->esp_size / 512), TYPE_ESP,
                 esp, (unsigned long long) (l->data_start / 512), (unsigned long long) (l->data_size / 512),
                 usr ? arch->usr_type : arch->root_type, d, name, (unsigned long long) (l->hash_start / 512),
                 (unsigned long long) (l->hash_size / 512), usr ? arch->usr_verity_type : arch->root_verity_type, h, name);
        const char *argv[] = { tool, "--quiet", "--no-reread", "--no-tell-kernel", path, NULL };
        return image_tool_run(argv, script);
}

/* The ESP is made in a file of its own (exactly the partition's size) and
 * then copied into the image: mtools 4.0.32 addressing a FAT inside a larger
 * file ("IMAGE@@OFFSET") fails once the file is a few hundred MiB ("No
 * directory slots" on the first mmd), so a real root file system could not
 * get an ESP. */
static int populate_esp(const struct image_options *o, const char *path, const struct layout *l,
                        const uint8_t *root_hash, size_t root_hash_size) {
        const char *mkfs = image_tool_find("mkfs.vfat", "dosfstools");
        const char *mmd = mkfs ? image_tool_find("mmd", "mtools") : NULL;
        const char *mcopy = mmd ? image_tool_find("mcopy", "mtools") : NULL;
        char blocks[64], volid[16], made[256][264];
        size_t n_made = 0;
        uint8_t id[16];

        if (!mcopy)
                return -1;
        root_image_derive_uuid("keel image esp volume id\n", root_hash, root_hash_size, id);
        snprintf(volid, sizeof(volid), "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
        snprintf(blocks, sizeof(blocks), "%llu", (unsigned long long) (l->esp_size / 1024));
        {
                const char *argv[] = { mkfs, "--invariant", "-F", "32", "-n", "ESP", "-i", volid, path, blocks, NULL };
                if (image_tool_run(argv, NULL) < 0)
                        return -1;
        }
        const char *image = path;
        setenv("MTOOLS_SKIP_CHECK", "1", 1);
        /* File and directory times on the ESP: fixed (1980-01-01, FAT's
         * epoch) unless the caller chose a SOURCE_DATE_EPOCH. */
        setenv("SOURCE_DATE_EPOCH", "315532800", 0);
        for (size_t i = 0; i < o->n_esp_files; i++) {
                const struct esp_file *e = &o->esp_files[i];
                char dest[300];

                /* Each parent directory once, outermost first. */
                for (const char *slash = strchr(e->dest + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                        char dir[260];
                        bool known = false;
                        snprintf(dir, sizeof(dir), "::%.*s", (int) (slash - e->dest), e->dest);
                        for (size_t k = 0; k < n_made && !known; k++)
                                known = strcasecmp(made[k], dir) == 0;
                        if (known)
                                continue;
                        if (n_made == sizeof(made) / sizeof(made[0]))
                                return log_error("image: too many directories on the ESP");
                        const char *argv[] = { mmd, "-i", image, dir, NULL };
                        if (image_tool_run(argv, NULL) < 0)
                                return -1;
                        snprintf(made[n_made++], sizeof(made[0]), "%s", dir);
                }
                snprintf(dest, sizeof(dest), "::%s", e->dest);
                const char *argv[] = { mcopy, "-i", image, e->source, dest, NULL };
                if (image_tool_run(argv, NULL) < 0)
                        return -1;
        }
        return 0;
}

/* Root hash checks before anything is written: every UKI that names a root
 * hash must name this one. */
static int check_ukis(const struct image_options *o, const char *root_hex) {
        const char *key = o->usr ? "usrhash" : "roothash";
        char bound[2 * VERITY_DIGEST_MAX + 1];

        for (size_t i = 0; i < o->n_ukis; i++) {
                if (uki_bound_hash(o->ukis[i], key, bound) < 0)
                        return -1;
                if (!bound[0])
                        log_warning("UKI %s carries no %s=: it will boot any root file system", o->ukis[i], key);
                else if (strcmp(bound, root_hex) != 0)
                        return log_error("UKI %s is bound to %s=%s, but the image's root hash is %s (build the UKI "
                                         "with 'keel uki build --%s %s')",
                                         o->ukis[i], key, bound, root_hex, key, root_hex);
        }
        return 0;
}

static void print_result(const struct image_options *o, const uint8_t *root, size_t size, const char *root_hex) {
        uint8_t data_uuid[16], hash_uuid[16];
        char d[VERITY_UUID_STRING_SIZE], h[VERITY_UUID_STRING_SIZE];

        verity_partition_uuids(root, size, data_uuid, hash_uuid);
        verity_uuid_format(data_uuid, d);
        verity_uuid_format(hash_uuid, h);
        printf("Root hash:      \t%s\n", root_hex);
        printf("Data partition: \t%s (%s-%s)\n", d, o->usr ? "usr" : "root", o->arch->dps_name);
        printf("Hash partition: \t%s (%s-%s-verity)\n", h, o->usr ? "usr" : "root", o->arch->dps_name);
        if (o->output)
                printf("Image:          \t%s\n", o->output);
}

int image_main(int argc, char **argv) {
        struct image_options o = {};
        struct verity_tree t = { .data_fd = -1, .hash_fd = -1, .superblock = true };
        struct atomic_file out = { .fd = -1 };
        struct layout l = {};
        char *fs_path = NULL, *hash_path = NULL, *esp_path = NULL, root_hex[2 * VERITY_DIGEST_MAX + 1];
        uint8_t root[VERITY_DIGEST_MAX];
        int fs_fd = -1, hash_fd = -1, esp_fd = -1, r;

        r = parse_options(argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;

        /* Everything that can be checked cheaply, before the file system is built. */
        if (root_image_tree_init("image", &o.tree, &t) < 0)
                return 1;
        if (!o.roothash_only) {
                if (esp_size_auto(&o, &l.esp_size) < 0)
                        return 1;
                for (size_t i = 0; i < o.n_ukis; i++) {
                        char bound[2 * VERITY_DIGEST_MAX + 1];
                        if (uki_bound_hash(o.ukis[i], o.usr ? "usrhash" : "roothash", bound) < 0)
                                return 1;
                }
                if (!image_tool_find("sfdisk", "fdisk") || !image_tool_find("mkfs.vfat", "dosfstools") ||
                    !image_tool_find("mcopy", "mtools"))
                        return 1;
        }

        fs_fd = root_image_build(o.root_dir, o.fs, o.output, o.tree.salt != NULL, &t, &fs_path);
        if (fs_fd < 0) {
                r = -1;
                goto out;
        }
        l.data_size = t.sb.data_blocks * t.sb.data_block_size;
        t.threads = (unsigned) o.tree.threads;

        l.esp_start = MIB;
        l.data_start = align_mib(l.esp_start + l.esp_size);
        l.hash_start = align_mib(l.data_start + l.data_size);
        t.hash_offset = o.roothash_only ? 0 : l.hash_start;
        if ((r = verity_tree_plan(&t)) < 0)
                goto out;
        l.hash_size = t.geometry.hash_end_block * t.sb.hash_block_size - t.hash_offset;
        l.total = align_mib(l.hash_start + l.hash_size) + MIB;

        if (o.roothash_only) {
                hash_fd = root_image_temp_file(NULL, "hash", &hash_path);
                if (hash_fd < 0) {
                        r = -1;
                        goto out;
                }
                t.hash_fd = hash_fd;
                t.hash_name = hash_path;
                if ((r = verity_tree_build(&t, root)) < 0)
                        goto out;
                verity_hex_encode(root, t.geometry.digest_size, root_hex);
                print_result(&o, root, t.geometry.digest_size, root_hex);
                goto out;
        }

        if ((r = atomic_file_open(o.output, &out)) < 0)
                goto out;
        if (ftruncate(out.fd, (off_t) l.total) < 0) {
                r = log_errno(errno, "cannot size %s", o.output);
                goto out;
        }
        if (lseek(out.fd, (off_t) l.data_start, SEEK_SET) < 0 ||
            (r = atomic_file_append_file(&out, fs_fd, l.data_size, NULL, NULL)) < 0) {
                r = r < 0 ? r : log_errno(errno, "cannot write %s", o.output);
                goto out;
        }
        t.hash_fd = out.fd;
        t.hash_name = o.output;
        if ((r = verity_tree_build(&t, root)) < 0)
                goto out;
        verity_hex_encode(root, t.geometry.digest_size, root_hex);
        if ((r = check_ukis(&o, root_hex)) < 0)
                goto out;
        if ((r = write_partition_table(out.temp_path, &l, o.arch, o.usr, root, t.geometry.digest_size)) < 0)
                goto out;
        if ((esp_fd = root_image_temp_file(o.output, "esp", &esp_path)) < 0) {
                r = -1;
                goto out;
        }
        if (ftruncate(esp_fd, (off_t) l.esp_size) < 0) {
                r = log_errno(errno, "cannot size %s", esp_path);
                goto out;
        }
        if ((r = populate_esp(&o, esp_path, &l, root, t.geometry.digest_size)) < 0)
                goto out;
        if (lseek(out.fd, (off_t) l.esp_start, SEEK_SET) < 0 ||
            (r = atomic_file_append_file(&out, esp_fd, l.esp_size, NULL, NULL)) < 0) {
                r = r < 0 ? r : log_errno(errno, "cannot write %s", o.output);
                goto out;
        }
        if ((r = atomic_file_commit(&out, 0644)) < 0)
                goto out;
        print_result(&o, root, t.geometry.digest_size, root_hex);
out:
        atomic_file_abort(&out);
        if (fs_fd >= 0)
                close(fs_fd);
        if (hash_fd >= 0)
                close(hash_fd);
        if (esp_fd >= 0)
                close(esp_fd);
        if (esp_path)
                unlink(esp_path);
        free(esp_path);
        if (fs_path)
                unlink(fs_path);
        if (hash_path)
                unlink(hash_path);
        free(fs_path);
        free(hash_path);
        return r < 0 ? 1 : 0;
}
