/* SPDX-License-Identifier: MIT */
/* keel sysupdate source: one version of an image-based OS as a
 * systemd-sysupdate url-file source publishes it: NAME_V.root.raw (the
 * root file system exactly as `keel image` builds it), NAME_V.verity.raw
 * (its dm-verity hash partition, superblock at offset 0, as veritysetup
 * format writes it), NAME_V.efi (a UKI bound to that root hash, signed as
 * `keel uki build` signs), SHA256SUMS over every file of the directory and,
 * with --gpg-key, its detached signature SHA256SUMS.gpg, which sysupdate
 * checks against import-pubring.gpg.
 *
 * Everything is built under temporary names in the directory and renamed
 * only once all of it (the signature included) is there: a failure leaves
 * the directory as it was; a crash leaves at most hidden temporaries, or new
 * files the old signed SHA256SUMS does not list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "common/error.h"
#include "common/osrel.h"
#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/core/text-arg.h"
#include "host-tools/image/image-tools.h"
#include "host-tools/image/root-image.h"
#include "host-tools/sysupdate/sysupdate-names.h"
#include "host-tools/uki/uki-build.h"
#include "host-tools/verity/verity-tree.h"
#include "host-tools/verity/verity-util.h"

#define MAX_INITRDS 16
#define MAX_SUMS_FILES 1024
#define OS_RELEASE_VALUE_MAX 256

enum artefact { ART_ROOT, ART_VERITY, ART_UKI, N_ARTEFACTS };
static const char *const artefact_suffix[N_ARTEFACTS] = { "root.raw", "verity.raw", "efi" };

struct source_options {
        const char *name, *version, *root_dir, *fs;
        const char *linux_path, *initrds[MAX_INITRDS];
        size_t n_initrds;
        const char *cmdline_arg, *os_release_arg;
        const char *stub, *key, *cert, *pcrpkey, *pcr_private_key;
        const char *gpg_key, *gpg_homedir;
        const char *output;
};

struct source_build {
        char *temp[N_ARTEFACTS];        /* staged artefacts, renamed last */
        char final[N_ARTEFACTS][4096];
        char *sums_temp, *sig_temp;
        char sums_final[4096], sig_final[4096];
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel sysupdate source --name NAME --version V --root DIR [--fs erofs|squashfs]\n"
                "                             --linux KERNEL [--initrd FILE]... [--cmdline TEXT|@FILE]\n"
                "                             [--os-release TEXT|@FILE] [--stub STUB] [--key KEY --cert CERT]\n"
                "                             [--pcrpkey PUB.pem] [--pcr-private-key KEY.pem]\n"
                "                             [--gpg-key KEYID [--gpg-homedir DIR]] -o DIR\n"
                "Publishes version V of NAME into the systemd-sysupdate source directory DIR (made if missing):\n"
                "NAME_V.root.raw (DIR as keel image builds the root file system), NAME_V.verity.raw (its\n"
                "dm-verity hash partition), NAME_V.efi (a UKI with roothash= of that tree, signed with --key,\n"
                "--cert and --pcr-private-key as keel uki build signs), SHA256SUMS over every file in DIR and,\n"
                "with --gpg-key, its detached OpenPGP signature SHA256SUMS.gpg (gpg --detach-sign).\n"
                "The tree's usr/lib/os-release (or etc/os-release) must say IMAGE_VERSION=V, the version\n"
                "ProtectVersion=%%A protects once it is booted (and IMAGE_ID=NAME, if it has one); the UKI's\n"
                "os-release (--os-release, else the tree's) gets IMAGE_ID=NAME and IMAGE_VERSION=V added if\n"
                "it lacks them, and is refused if it names others. An existing version is never replaced.\n");
}

static int parse_options(int argc, char **argv, struct source_options *o) {
        static const struct option long_options[] = {
                { "name", required_argument, NULL, 'n' },         { "version", required_argument, NULL, 'v' },
                { "root", required_argument, NULL, 'r' },         { "fs", required_argument, NULL, 'f' },
                { "linux", required_argument, NULL, 'l' },        { "initrd", required_argument, NULL, 'i' },
                { "cmdline", required_argument, NULL, 'c' },      { "os-release", required_argument, NULL, 'O' },
                { "stub", required_argument, NULL, 's' },         { "key", required_argument, NULL, 'k' },
                { "cert", required_argument, NULL, 'C' },         { "pcrpkey", required_argument, NULL, 'p' },
                { "pcr-private-key", required_argument, NULL, 'P' }, { "gpg-key", required_argument, NULL, 'g' },
                { "gpg-homedir", required_argument, NULL, 'G' },  { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },               {},
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 'n': o->name = optarg; break;
                case 'v': o->version = optarg; break;
                case 'r': o->root_dir = optarg; break;
                case 'f': o->fs = optarg; break;
                case 'l': o->linux_path = optarg; break;
                case 'i':
                        if (o->n_initrds == MAX_INITRDS)
                                return log_error("sysupdate source: too many --initrd (at most %d)", MAX_INITRDS);
                        o->initrds[o->n_initrds++] = optarg;
                        break;
                case 'c': o->cmdline_arg = optarg; break;
                case 'O': o->os_release_arg = optarg; break;
                case 's': o->stub = optarg; break;
                case 'k': o->key = optarg; break;
                case 'C': o->cert = optarg; break;
                case 'p': o->pcrpkey = optarg; break;
                case 'P': o->pcr_private_key = optarg; break;
                case 'g': o->gpg_key = optarg; break;
                case 'G': o->gpg_homedir = optarg; break;
                case 'o': o->output = optarg; break;
                case 'h': usage(stdout); return 1;
                case ':': return log_error("sysupdate source: option %s needs a value", argv[optind - 1]);
                default: return log_error("sysupdate source: unknown option %s", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return log_error("sysupdate source: unexpected argument %s", argv[optind]);
        if (!o->name || !o->version)
                return log_error("sysupdate source: --name NAME and --version V are required");
        if (sysupdate_check_name("sysupdate source", o->name) < 0 ||
            sysupdate_check_version("sysupdate source", o->version) < 0 ||
            sysupdate_check_label("sysupdate source", o->name, o->version) < 0)
                return -1;
        if (!o->root_dir)
                return log_error("sysupdate source: --root DIR is required");
        if (!o->linux_path)
                return log_error("sysupdate source: --linux KERNEL is required");
        if (!o->output)
                return log_error("sysupdate source: -o DIR is required");
        if (!o->fs)
                o->fs = "erofs";
        if (strcmp(o->fs, "erofs") != 0 && strcmp(o->fs, "squashfs") != 0)
                return log_error("sysupdate source: --fs %s: expected erofs or squashfs", o->fs);
        if (!o->key != !o->cert)
                return log_error("sysupdate source: --key and --cert go together");
        if (o->gpg_homedir && !o->gpg_key)
                return log_error("sysupdate source: --gpg-homedir needs --gpg-key");
        if (!o->stub) {
                /* As keel uki build: the keel stub for the kernel's architecture. */
                const struct keel_arch *arch;
                if (keel_arch_of_pe_file("kernel", o->linux_path, &arch) < 0)
                        return -1;
                if (!(o->stub = keel_shipped_file(arch->keel_binary)))
                        return log_error("sysupdate source: no --stub, and no %s next to the keel binary",
                                         arch->keel_binary);
        }
        return 0;
}

/* Checks one os-release key against the expected value: returns 1 when it
 * is there and matches, 0 when it is missing, -1 (logged) otherwise. */
static int osrel_expect(const char *what, const char *text, size_t len, const char *key, const char *want) {
        char value[OS_RELEASE_VALUE_MAX];
        bool found;
        int r = osrel_get(text, len, key, value, sizeof(value), &found);

        if (r != KEEL_OK)
                return log_error("%s: %s: %s", what, key, keel_strerror(r));
        if (!found)
                return 0;
        if (strcmp(value, want) != 0)
                return log_error("%s says %s=%s, but this is %s", what, key, value, want);
        return 1;
}

/* The tree's os-release file, as the booted system finds it:
 * usr/lib/os-release, else etc/os-release; a symbolic link may point out
 * of the tree (to the host's), so only a regular file counts. NULL when
 * neither is one. */
static const char *tree_os_release(const struct source_options *o, char ret_path[4096]) {
        static const char *const candidates[] = { "usr/lib/os-release", "etc/os-release" };

        for (size_t i = 0; i < 2; i++) {
                struct stat st;

                snprintf(ret_path, 4096, "%s/%s", o->root_dir, candidates[i]);
                if (lstat(ret_path, &st) == 0 && S_ISREG(st.st_mode))
                        return candidates[i];
        }
        return NULL;
}

/* The tree's os-release is what the booted system reports as %A; a tree
 * without IMAGE_VERSION=V would leave the booted version unprotected. */
static int check_tree_os_release(const struct source_options *o) {
        char path[4096], what[4200];
        const char *name = tree_os_release(o, path);
        uint8_t *data;
        size_t size;
        int r;

        if (!name)
                return log_error("--root %s has no usr/lib/os-release or etc/os-release file (ProtectVersion=%%A needs "
                                 "IMAGE_VERSION=%s there)",
                                 o->root_dir, o->version);
        if (read_file(path, 1 << 20, &data, &size) < 0)
                return -1;
        snprintf(what, sizeof(what), "the tree's %s", name);
        r = osrel_expect(what, (const char *) data, size, "IMAGE_VERSION", o->version);
        if (r == 0)
                r = log_error("the tree's %s has no IMAGE_VERSION=%s (ProtectVersion=%%A needs it)", name, o->version);
        if (r > 0)
                r = osrel_expect(what, (const char *) data, size, "IMAGE_ID", o->name);
        free(data);
        return r < 0 ? -1 : 0;
}

/* The UKI's .osrel: --os-release (else the tree's), IMAGE_ID and
 * IMAGE_VERSION checked and added when missing. */
static int uki_os_release(const struct source_options *o, char **ret) {
        char *text = NULL, *out;
        size_t size = 0;
        int has_id, has_version;

        if (o->os_release_arg) {
                if (text_arg_load("--os-release", o->os_release_arg, &text, &size) < 0)
                        return -1;
        } else {
                char path[4096];
                if (!tree_os_release(o, path))
                        snprintf(path, sizeof(path), "%s/etc/os-release", o->root_dir);
                if (read_file(path, 1 << 20, (uint8_t **) &text, &size) < 0)
                        return -1;
                if (memchr(text, 0, size)) {
                        free(text);
                        return log_error("%s contains a NUL byte", path);
                }
        }
        has_id = osrel_expect("--os-release", text, size, "IMAGE_ID", o->name);
        has_version = has_id < 0 ? -1 : osrel_expect("--os-release", text, size, "IMAGE_VERSION", o->version);
        if (has_id < 0 || has_version < 0) {
                free(text);
                return -1;
        }
        if (asprintf(&out, "%.*s%s%s%s%s%s%s%s", (int) size, text, size && text[size - 1] != '\n' ? "\n" : "",
                     has_id ? "" : "IMAGE_ID=", has_id ? "" : o->name, has_id ? "" : "\n",
                     has_version ? "" : "IMAGE_VERSION=", has_version ? "" : o->version, has_version ? "" : "\n") < 0)
                out = NULL;
        free(text);
        if (!out)
                return log_error("out of memory");
        *ret = out;
        return 0;
}

static bool listed_file(const struct dirent *d) {
        return d->d_name[0] != '.' && strcmp(d->d_name, "SHA256SUMS") != 0 && strcmp(d->d_name, "SHA256SUMS.gpg") != 0;
}

/* SHA256SUMS (sha256sum(1) format, which sysupdate reads) for every file of
 * the directory and the staged artefacts under their final names. */
static int write_sums(const struct source_options *o, struct source_build *b) {
        struct dirent **list = NULL;
        struct atomic_file out = { .fd = -1 };
        /* The artefacts' names in order: NAME_V.efi, .root.raw, .verity.raw. */
        static const enum artefact by_name[N_ARTEFACTS] = { ART_UKI, ART_ROOT, ART_VERITY };
        char hex[65], line[600];
        uint8_t digest[32];
        uint64_t size;
        int n, r = 0;

        n = scandir(o->output, &list, NULL, alphasort);
        if (n < 0)
                return log_errno(errno, "cannot list %s", o->output);
        if (n > MAX_SUMS_FILES)
                r = log_error("%s: more than %d files", o->output, MAX_SUMS_FILES);
        if (r == 0)
                r = root_image_temp_file(o->output, "SHA256SUMS", &b->sums_temp);
        if (r >= 0) {
                close(r);
                r = atomic_file_open(b->sums_temp, &out);
        }
        /* Existing files and the new ones, in one name order. */
        for (int i = 0, a = 0; r == 0 && (i < n || a < N_ARTEFACTS);) {
                const char *new_name = a < N_ARTEFACTS ? strrchr(b->final[by_name[a]], '/') + 1 : NULL;
                const char *old_name = i < n ? list[i]->d_name : NULL;
                const char *name, *path;
                char old_path[4096];
                struct stat st;

                if (old_name && !listed_file(list[i])) {
                        i++;
                        continue;
                }
                if (old_name && (!new_name || strcmp(old_name, new_name) < 0)) {
                        snprintf(old_path, sizeof(old_path), "%s/%s", o->output, old_name);
                        i++;
                        if (lstat(old_path, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        name = old_name;
                        path = old_path;
                } else {
                        name = new_name;
                        path = b->temp[by_name[a++]];
                }
                if (strchr(name, '\n') || strchr(name, '\\')) {
                        r = log_error("%s: a file name with a line break or backslash cannot be listed", o->output);
                        break;
                }
                if ((r = file_sha256(path, digest, &size)) < 0)
                        break;
                verity_hex_encode(digest, sizeof(digest), hex);
                snprintf(line, sizeof(line), "%s  %s\n", hex, name);
                r = atomic_file_write(&out, line, strlen(line));
        }
        if (r == 0)
                r = atomic_file_commit(&out, 0644);
        atomic_file_abort(&out);
        for (int i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r < 0 ? -1 : 0;
}

/* gpg --detach-sign with the caller's gpg home (--gpg-homedir, else
 * $GNUPGHOME or gpg's default). */
static int sign_sums(const struct source_options *o, struct source_build *b) {
        const char *gpg = image_tool_find("gpg", "gpg"), *argv[16];
        size_t n = 0;
        int fd;

        if (!gpg)
                return -1;
        fd = root_image_temp_file(o->output, "SHA256SUMS.gpg", &b->sig_temp);
        if (fd < 0)
                return -1;
        close(fd);
        argv[n++] = gpg;
        argv[n++] = "--batch";
        argv[n++] = "--yes";
        argv[n++] = "--quiet";
        if (o->gpg_homedir) {
                argv[n++] = "--homedir";
                argv[n++] = o->gpg_homedir;
        }
        argv[n++] = "--local-user";
        argv[n++] = o->gpg_key;
        argv[n++] = "--detach-sign";
        argv[n++] = "--output";
        argv[n++] = b->sig_temp;
        argv[n++] = b->sums_temp;
        argv[n] = NULL;
        return image_tool_run(argv, NULL);
}

/* The artefacts first, then the manifest and its signature: until both of
 * those are renamed the old signed manifest does not list the new files
 * (or the new manifest does not match its signature), so sysupdate sees the
 * old version or refuses; never a half-published one. */
static int commit(const struct source_options *o, struct source_build *b) {
        /* Temporaries are made private (0600); what is published is readable. */
        for (int a = 0; a < N_ARTEFACTS; a++)
                if (chmod(b->temp[a], 0644) < 0 || fsync_path(b->temp[a]) < 0)
                        return log_errno(errno, "cannot finish %s", b->temp[a]);
        if (b->sig_temp && (chmod(b->sig_temp, 0644) < 0 || fsync_path(b->sig_temp) < 0))
                return log_errno(errno, "cannot finish %s", b->sig_temp);
        for (int a = 0; a < N_ARTEFACTS; a++) {
                if (rename(b->temp[a], b->final[a]) < 0)
                        return log_errno(errno, "cannot rename to %s", b->final[a]);
                free(b->temp[a]);
                b->temp[a] = NULL;
        }
        if (rename(b->sums_temp, b->sums_final) < 0)
                return log_errno(errno, "cannot rename to %s", b->sums_final);
        free(b->sums_temp);
        b->sums_temp = NULL;
        if (b->sig_temp) {
                if (rename(b->sig_temp, b->sig_final) < 0)
                        return log_errno(errno, "cannot rename to %s", b->sig_final);
                free(b->sig_temp);
                b->sig_temp = NULL;
        }
        if (fsync_path(o->output) < 0)
                return log_errno(errno, "cannot sync %s", o->output);
        return 0;
}

static int build_root(const struct source_options *o, struct source_build *b, char root_hex[2 * VERITY_DIGEST_MAX + 1]) {
        struct verity_tree t = { .data_fd = -1, .hash_fd = -1, .superblock = true };
        struct verity_tree_options defaults = {};
        uint8_t root[VERITY_DIGEST_MAX];
        int fs_fd, hash_fd, r;

        if (root_image_tree_init("sysupdate source", &defaults, &t) < 0)
                return -1;
        fs_fd = root_image_build(o->root_dir, o->fs, b->final[ART_ROOT], false, &t, &b->temp[ART_ROOT]);
        if (fs_fd < 0)
                return -1;
        hash_fd = root_image_temp_file(b->final[ART_VERITY], "verity", &b->temp[ART_VERITY]);
        if (hash_fd < 0) {
                close(fs_fd);
                return -1;
        }
        t.hash_fd = hash_fd;
        t.hash_name = b->temp[ART_VERITY];
        t.hash_offset = 0;
        r = verity_tree_plan(&t);
        if (r == 0)
                r = verity_tree_build(&t, root);
        if (r == 0)
                verity_hex_encode(root, t.geometry.digest_size, root_hex);
        close(fs_fd);
        close(hash_fd);
        return r < 0 ? -1 : 0;
}

static int build_uki(const struct source_options *o, struct source_build *b, const char *root_hex) {
        char *cmdline = NULL, *os_release = NULL;
        size_t cmdline_size = 0;
        struct uki_build_request req = {};
        int r = -1;

        if (o->cmdline_arg) {
                if (text_arg_load("--cmdline", o->cmdline_arg, &cmdline, &cmdline_size) < 0)
                        goto out;
                cmdline_size = fold_line_breaks(cmdline, cmdline_size);
                cmdline_size = strip_trailing_whitespace(cmdline, cmdline_size);
        }
        if (uki_os_release(o, &os_release) < 0)
                goto out;
        /* uki_build() renames onto its output: a hidden name, renamed again
         * with the others. */
        if (asprintf(&b->temp[ART_UKI], "%s/.keel-sysupdate-%s_%s.efi", o->output, o->name, o->version) < 0) {
                b->temp[ART_UKI] = NULL;
                log_error("out of memory");
                goto out;
        }
        req = (struct uki_build_request) {
                .stub_path = o->stub,
                .linux_path = o->linux_path,
                .initrd_paths = o->initrds,
                .n_initrds = o->n_initrds,
                .cmdline = cmdline,
                .os_release = os_release,
                .roothash = root_hex,
                .sign_key_path = o->key,
                .sign_cert_path = o->cert,
                .pcrpkey_path = o->pcrpkey,
                .pcr_private_key_path = o->pcr_private_key,
                .output_path = b->temp[ART_UKI],
        };
        r = uki_build(&req);
out:
        free(cmdline);
        free(os_release);
        return r;
}

static int prepare_output(const struct source_options *o, struct source_build *b) {
        struct stat st;

        if (mkdir(o->output, 0755) < 0 && errno != EEXIST)
                return log_errno(errno, "cannot create %s", o->output);
        if (stat(o->output, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error("-o %s: not a directory", o->output);
        for (int a = 0; a < N_ARTEFACTS; a++) {
                snprintf(b->final[a], sizeof(b->final[a]), "%s/%s_%s.%s", o->output, o->name, o->version,
                         artefact_suffix[a]);
                if (lstat(b->final[a], &st) == 0)
                        return log_error("%s exists: version %s of %s is published already", b->final[a], o->version,
                                         o->name);
        }
        snprintf(b->sums_final, sizeof(b->sums_final), "%s/SHA256SUMS", o->output);
        snprintf(b->sig_final, sizeof(b->sig_final), "%s/SHA256SUMS.gpg", o->output);
        if (!o->gpg_key && lstat(b->sig_final, &st) == 0)
                return log_error("%s exists: give --gpg-key to sign the new SHA256SUMS", b->sig_final);
        return 0;
}

static void discard(struct source_build *b) {
        for (int a = 0; a < N_ARTEFACTS; a++) {
                if (b->temp[a])
                        unlink(b->temp[a]);
                free(b->temp[a]);
        }
        if (b->sums_temp)
                unlink(b->sums_temp);
        if (b->sig_temp)
                unlink(b->sig_temp);
        free(b->sums_temp);
        free(b->sig_temp);
}

int sysupdate_source_main(int argc, char **argv) {
        struct source_options o = {};
        struct source_build b = {};
        char root_hex[2 * VERITY_DIGEST_MAX + 1];
        bool created;
        struct stat st;
        int r;

        r = parse_options(argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;
        if (stat(o.root_dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error("--root %s: not a directory", o.root_dir), 1;
        if (check_tree_os_release(&o) < 0)
                return 1;
        if (o.gpg_key && !image_tool_find("gpg", "gpg"))
                return 1;
        created = stat(o.output, &st) < 0;
        r = prepare_output(&o, &b);
        if (r == 0)
                r = build_root(&o, &b, root_hex);
        if (r == 0)
                r = build_uki(&o, &b, root_hex);
        if (r == 0)
                r = write_sums(&o, &b);
        if (r == 0 && o.gpg_key)
                r = sign_sums(&o, &b);
        if (r == 0)
                r = commit(&o, &b);
        discard(&b);
        if (r < 0 && created)
                rmdir(o.output); /* only if still empty: ours */
        if (r == 0) {
                printf("Root hash:      \t%s\n", root_hex);
                for (int a = 0; a < N_ARTEFACTS; a++)
                        printf("%-16s\t%s\n", artefact_suffix[a], b.final[a]);
        }
        return r < 0 ? 1 : 0;
}
