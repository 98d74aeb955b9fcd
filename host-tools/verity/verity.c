/* SPDX-License-Identifier: MIT */
/* keel verity format / verify: dm-verity hash trees that are byte for byte
 * what `veritysetup format` writes, computed on all cores. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/verity/verity-tree.h"
#include "host-tools/verity/verity-util.h"
#include "common/error.h"

#define DEFAULT_SALT_SIZE 32 /* veritysetup's */

struct verity_options {
        struct verity_tree_options tree;
        const char *uuid;
        bool no_superblock;
        uint64_t hash_offset;
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel verity format DATA HASH [OPTIONS]\n"
                "       keel verity verify DATA HASH ROOTHASH [OPTIONS]\n"
                "Options: [--hash sha256|sha1|sha224|sha384|sha512] [--data-block-size N] [--hash-block-size N]\n"
                "         [--salt HEX|-] [--uuid UUID] [--no-superblock] [--hash-offset BYTES] [--threads N]\n"
                "format writes the hash tree (and superblock) exactly as veritysetup format does and prints\n"
                "the root hash; verify checks every block against ROOTHASH and names the first bad one.\n");
}

/* Returns 1 when done (help), 0 to go on, -1 on error. */
static int parse_options(const char *command, int argc, char **argv, struct verity_options *o) {
        static const struct option long_options[] = {
                VERITY_TREE_LONG_OPTIONS,
                { "uuid", required_argument, NULL, 'u' },
                { "no-superblock", no_argument, NULL, 'n' },
                { "hash-offset", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        char label[32];
        int c;

        optind = 1;
        opterr = 0;
        snprintf(label, sizeof(label), "verity %s", command);
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                int handled = verity_tree_option(label, c, optarg, &o->tree);
                if (handled < 0)
                        return -1;
                if (handled > 0)
                        continue;
                switch (c) {
                case 'u': o->uuid = optarg; break;
                case 'n': o->no_superblock = true; break;
                case 'o':
                        if (parse_size_arg("--hash-offset", optarg, &o->hash_offset) < 0)
                                return -1;
                        break;
                case 'h': usage(stdout); return 1;
                case ':': return log_error("verity %s: option %s needs a value", command, argv[optind - 1]);
                default: return log_error("verity %s: unknown option %s", command, argv[optind - 1]);
                }
        }
        return 0;
}

/* The parameters given on the command line, checked; defaults where none. */
static int options_to_superblock(const struct verity_options *o, bool random_salt, struct verity_superblock *sb) {
        memset(sb, 0, sizeof(*sb));
        sb->version = 1;
        sb->hash_type = 1;
        if (verity_algorithm_arg(o->tree.algorithm ? o->tree.algorithm : "sha256", sb->algorithm) < 0)
                return -1;
        /* Given sizes were checked by verity_tree_option(). */
        sb->data_block_size = o->tree.data_block_size ? (uint32_t) o->tree.data_block_size : 4096;
        sb->hash_block_size = o->tree.hash_block_size ? (uint32_t) o->tree.hash_block_size : 4096;
        if (o->tree.salt) {
                if (verity_salt_arg(o->tree.salt, sb->salt, &sb->salt_size) < 0)
                        return -1;
        } else if (random_salt) {
                if (getrandom(sb->salt, DEFAULT_SALT_SIZE, 0) != DEFAULT_SALT_SIZE)
                        return log_errno(errno, "cannot get random bytes for the salt");
                sb->salt_size = DEFAULT_SALT_SIZE;
        }
        if (o->uuid) {
                int r = verity_uuid_parse(o->uuid, strlen(o->uuid), sb->uuid);
                if (r != KEEL_OK)
                        return log_error("--uuid %s: %s", o->uuid, keel_strerror(r));
        } else if (random_salt && verity_random_uuid(sb->uuid) < 0)
                return -1;
        return 0;
}

static void print_header(const struct verity_tree *t, const char *hash_path, const uint8_t *root_hash) {
        const struct verity_geometry *g = &t->geometry;
        char uuid[VERITY_UUID_STRING_SIZE] = "", salt[2 * VERITY_SALT_MAX + 1] = "-", root[2 * VERITY_DIGEST_MAX + 1];

        if (t->superblock)
                verity_uuid_format(t->sb.uuid, uuid);
        if (t->sb.salt_size > 0)
                verity_hex_encode(t->sb.salt, t->sb.salt_size, salt);
        verity_hex_encode(root_hash, g->digest_size, root);
        printf("VERITY header information for %s\n", hash_path);
        printf("UUID:            \t%s\n", uuid);
        printf("Hash type:       \t%u\n", t->sb.hash_type);
        printf("Data blocks:     \t%llu\n", (unsigned long long) t->sb.data_blocks);
        printf("Data block size: \t%u\n", t->sb.data_block_size);
        printf("Hash blocks:     \t%llu\n", (unsigned long long) (g->hash_end_block - g->hash_start_block));
        printf("Hash block size: \t%u\n", t->sb.hash_block_size);
        printf("Hash algorithm:  \t%s\n", t->sb.algorithm);
        printf("Salt:            \t%s\n", salt);
        printf("Root hash:      \t%s\n", root);
        if (t->hash_offset == 0)
                printf("Hash device size: \t%llu [bytes]\n",
                       (unsigned long long) (g->hash_end_block * t->sb.hash_block_size));
}

int verity_format_main(int argc, char **argv) {
        struct verity_options o = {};
        struct verity_tree t = { .data_fd = -1, .hash_fd = -1 };
        struct verity_device data = { .fd = -1 };
        struct verity_output hash = { .fd = -1 };
        uint8_t root[VERITY_DIGEST_MAX];
        uint64_t data_size, hash_end;
        int r;

        r = parse_options("format", argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;
        if (argc - optind != 2)
                return log_error("verity format: expected DATA HASH (see 'keel verity format --help')"), 1;
        if (options_to_superblock(&o, true, &t.sb) < 0)
                return 1;
        t.superblock = !o.no_superblock;
        t.hash_offset = o.hash_offset;
        t.threads = (unsigned) o.tree.threads;

        if (verity_device_open(argv[optind], true, &data) < 0)
                return 1;
        data_size = data.size;
        if (data_size == 0)
                r = log_error("data device %s is empty", data.path);
        else if (data_size % t.sb.data_block_size != 0)
                r = log_error("data device %s: size %llu is not a multiple of the data block size %u", data.path,
                              (unsigned long long) data_size, t.sb.data_block_size);
        if (r < 0)
                goto out;
        t.sb.data_blocks = data_size / t.sb.data_block_size;
        t.data_fd = data.fd;
        t.data_name = data.path;
        t.hash_name = argv[optind + 1];
        if ((r = verity_tree_plan(&t)) < 0)
                goto out;
        hash_end = t.geometry.hash_end_block * t.sb.hash_block_size;

        r = verity_output_open(argv[optind + 1], &data, data_size, t.hash_offset, hash_end, &hash);
        if (r < 0)
                goto out;
        t.hash_fd = hash.fd;
        r = verity_tree_build(&t, root);
        /* veritysetup writes the superblock as a whole hash block, so a new
         * file is at least that long even when no tree follows it. */
        if (r == 0 && t.superblock)
                r = verity_output_extend(&hash, t.geometry.hash_start_block * t.sb.hash_block_size);
        if (r == 0)
                r = verity_output_commit(&hash);
        if (r == 0)
                print_header(&t, argv[optind + 1], root);
out:
        verity_output_close(&hash);
        verity_device_close(&data);
        return r < 0 ? 1 : 0;
}

/* With a superblock, options only restate it: a different value is an error
 * rather than silently ignored. */
static int check_against_superblock(const struct verity_options *o, const struct verity_superblock *sb,
                                    const char *hash_path) {
        struct verity_superblock given;

        if (options_to_superblock(o, false, &given) < 0)
                return -1;
        if (o->tree.algorithm && strcmp(given.algorithm, sb->algorithm) != 0)
                return log_error("--hash %s does not match the superblock of %s (%s)", o->tree.algorithm, hash_path,
                                 sb->algorithm);
        if (o->tree.data_block_size && given.data_block_size != sb->data_block_size)
                return log_error("--data-block-size %u does not match the superblock of %s (%u)",
                                 given.data_block_size, hash_path, sb->data_block_size);
        if (o->tree.hash_block_size && given.hash_block_size != sb->hash_block_size)
                return log_error("--hash-block-size %u does not match the superblock of %s (%u)",
                                 given.hash_block_size, hash_path, sb->hash_block_size);
        if (o->tree.salt && (given.salt_size != sb->salt_size || memcmp(given.salt, sb->salt, sb->salt_size) != 0))
                return log_error("--salt does not match the superblock of %s", hash_path);
        if (o->uuid && memcmp(given.uuid, sb->uuid, VERITY_UUID_SIZE) != 0)
                return log_error("--uuid does not match the superblock of %s", hash_path);
        return 0;
}

int verity_verify_main(int argc, char **argv) {
        struct verity_options o = {};
        struct verity_tree t = { .data_fd = -1, .hash_fd = -1 };
        struct verity_device data = { .fd = -1 }, hash = { .fd = -1 };
        uint8_t root[VERITY_DIGEST_MAX];
        size_t root_size;
        const char *root_arg;
        int r;

        r = parse_options("verify", argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;
        if (argc - optind != 3)
                return log_error("verity verify: expected DATA HASH ROOTHASH (see 'keel verity verify --help')"), 1;
        root_arg = argv[optind + 2];
        t.superblock = !o.no_superblock;
        t.hash_offset = o.hash_offset;
        t.threads = (unsigned) o.tree.threads;

        if (verity_device_open(argv[optind], false, &data) < 0 || verity_device_open(argv[optind + 1], false, &hash) < 0)
                goto fail;
        t.data_fd = data.fd;
        t.data_name = data.path;
        t.hash_fd = hash.fd;
        t.hash_name = hash.path;

        if (t.superblock) {
                if (verity_read_superblock(&hash, t.hash_offset, &t.sb) < 0 ||
                    check_against_superblock(&o, &t.sb, hash.path) < 0)
                        goto fail;
                if (data.size / t.sb.data_block_size < t.sb.data_blocks) {
                        log_error("data device %s too small: %llu bytes, the superblock says %llu blocks of %u",
                                  data.path, (unsigned long long) data.size, (unsigned long long) t.sb.data_blocks,
                                  t.sb.data_block_size);
                        goto fail;
                }
        } else {
                if (options_to_superblock(&o, false, &t.sb) < 0)
                        goto fail;
                if (data.size == 0 || data.size % t.sb.data_block_size != 0) {
                        log_error("data device %s: size %llu is not a positive multiple of the data block size %u",
                                  data.path, (unsigned long long) data.size, t.sb.data_block_size);
                        goto fail;
                }
                t.sb.data_blocks = data.size / t.sb.data_block_size;
        }
        if (verity_tree_plan(&t) < 0)
                goto fail;
        if (verity_hex_decode(root_arg, strlen(root_arg), root, sizeof(root), &root_size) != KEEL_OK ||
            root_size != t.geometry.digest_size) {
                log_error("invalid root hash string specified: expected %u hex digits for %s", 2 * t.geometry.digest_size,
                          t.sb.algorithm);
                goto fail;
        }
        if (hash.size / t.sb.hash_block_size < t.geometry.hash_end_block) {
                log_error("hash device %s too small: %llu bytes, the hash tree needs %llu", hash.path,
                          (unsigned long long) hash.size,
                          (unsigned long long) (t.geometry.hash_end_block * t.sb.hash_block_size));
                goto fail;
        }
        r = verity_tree_verify(&t, root);
        verity_device_close(&hash);
        verity_device_close(&data);
        return r < 0 ? 1 : 0;
fail:
        verity_device_close(&hash);
        verity_device_close(&data);
        return 1;
}
