/* SPDX-License-Identifier: MIT */
/* keel install: NixOS generations (boot.json) onto the ESP as signed,
 * counted keel UKIs; the keel loader; loader.conf; then GC. Everything is
 * built in a staging directory off the ESP first, so that a generation
 * already installed from the same inputs costs no write at all, and a full
 * ESP is noticed before anything on it changes. The order of the writes is
 * what makes a crash at any point harmless (see write_everything()). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-tools/core/commands.h"
#include "host-tools/core/arch.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/entries/efivars.h"
#include "host-tools/entries/esp.h"
#include "host-tools/install/boot-entry.h"
#include "host-tools/install/bootspec.h"
#include "host-tools/install/content-gc.h"
#include "host-tools/install/esp-writer.h"
#include "host-tools/install/extra-files.h"
#include "host-tools/install/gc.h"
#include "host-tools/install/install.h"
#include "host-tools/sign/keys-create.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/sign/offline-sign.h"
#include "host-tools/sign/pe-sign.h"
#include "host-tools/sign/signer.h"
#include "host-tools/uki/thin-content.h"
#include "host-tools/uki/uki-build.h"
#include "common/error.h"
#include "common/loader-conf.h"
#include "common/pe.h"

#define ENTRIES_DIR "EFI/Linux"
#define CONTENT_DIR "EFI/keel/content"
#define MAX_GENERATIONS 4096
/* Where the loader finds the key set it enrolls by itself (loader.conf
 * `secure-boot-enroll force`), as systemd-boot does. */
#define ENROLL_DIR "loader/keys/auto"
#define ENROLL_CONF_LINE "secure-boot-enroll force\n"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel install --esp DIR [--xbootldr DIR] [--configuration-limit N] [--tries N]\n"
                "                    [--key KEY --cert CERT |\n"
                "                     --keys-dir DIR [--create-keys] [--enroll-keys [--enroll-db-cert CERT]...]]\n"
                "                    [--pcr-private-key KEY [--pcrpkey PUB]\n"
                "                    [--pcr-banks LIST] [--sign-initrd-pcrs]]\n"
                "                    [--layout thin|fat] [--loader-conf FILE] [--sort-key KEY]\n"
                "                    [--booted GENERATION] [--stub STUB] [--no-boot-entry]\n"
                "                    [--extra-file DEST=SRC]... [--extra-entry NAME.conf=SRC]... [--json]\n"
                "                    [--prepare DIR | --join DIR] GENERATION...\n"
                "Installs NixOS generations (profile links .../system-N-link, or their targets, with a\n"
                "boot.json) as keel UKIs \\EFI\\Linux\\nixos-generation-N[-specialisation-NAME].efi, the keel\n"
                "loader as \\EFI\\BOOT\\BOOT<ARCH>.EFI and \\EFI\\keel\\keel<arch>.efi, then removes old entries;\n"
                "last it makes a firmware boot entry (Boot####, \"keel\") for \\EFI\\keel\\keel<arch>.efi the first\n"
                "in BootOrder, as bootctl install does (skipped with one line without EFI variables, or when\n"
                "the ESP is no mounted FAT GPT partition of the ESP type).\n"
                "  --esp DIR                the mounted ESP (the loader goes there)\n"
                "  --xbootldr DIR           put entries and their content on this XBOOTLDR partition instead\n"
                "  --configuration-limit N  keep the newest N generations (0, the default: all); the booted\n"
                "                           and the last known good generation are always kept\n"
                "  --tries N                new entries get a boot counter +N (automatic boot assessment)\n"
                "  --key KEY --cert CERT    sign UKIs and loader for Secure Boot (files or pkcs11: URIs)\n"
                "  --keys-dir DIR           sign with the key set in DIR (keel keys create: DIR/db.key,\n"
                "                           DIR/db.crt); a set missing any of its files is refused\n"
                "  --create-keys            first create the set in DIR when DIR holds none (mode 0700,\n"
                "                           private keys 0600; built aside and renamed into place); an\n"
                "                           existing key is never replaced\n"
                "  --enroll-keys            while the firmware is in Setup Mode (SetupMode=1), put DIR's\n"
                "                           db.auth, KEK.auth, PK.auth in \\loader\\keys\\auto and add\n"
                "                           \"secure-boot-enroll force\" to the --loader-conf FILE (unless it\n"
                "                           sets secure-boot-enroll itself): the loader enrolls them on the\n"
                "                           next boot. Later runs out of Setup Mode remove the files keel\n"
                "                           put there. WARNING: db then holds only DIR's certificate; on\n"
                "                           hardware whose GPU, NIC or storage option ROMs are signed by\n"
                "                           Microsoft's UEFI CA these no longer load (no display, no\n"
                "                           network boot, possibly no boot): enroll only where none are\n"
                "                           needed (VMs, servers booting from on-board devices), or give\n"
                "                           the CAs they need with --enroll-db-cert\n"
                "  --enroll-db-cert CERT    also put certificate CERT (PEM or DER; repeatable) in the staged\n"
                "                           db, e.g. Microsoft's UEFI CA 2011/2023 (the staged db.auth is\n"
                "                           then DIR's db list and CERT's, signed by DIR/KEK.key)\n"
                "  --pcr-private-key KEY    sign each UKI's PCR 11 policy (.pcrsig; --pcrpkey PUB embeds the key)\n"
                "                           as ukify 262 does: in the banks of --pcr-banks LIST (default: all\n"
                "                           four), and with --sign-initrd-pcrs also the phase enter-initrd\n"
                "                           bound to the policy reference \"initrd\" (default: not)\n"
                "  --layout thin|fat        thin (default): kernels and initrds once each under\n"
                "                           \\EFI\\keel\\content, named by SHA-256 in small signed UKIs;\n"
                "                           fat: self-contained UKIs\n"
                "  --loader-conf FILE       install FILE as \\loader\\loader.conf\n"
                "  --sort-key KEY           the entries' sort key (IMAGE_ID; default nixos)\n"
                "  --booted GENERATION      the running generation (default: from LoaderEntrySelected)\n"
                "  --stub STUB              the keel EFI binary (default: the one shipped with keel for the\n"
                "                           first generation's system: keelx64.efi, keelaa64.efi); generations\n"
                "                           for another system are skipped\n"
                "  --no-boot-entry          leave the EFI variables alone (image builds, read-only NVRAM)\n"
                "  --extra-file DEST=SRC    also put file SRC on the ESP at DEST (relative, e.g.\n"
                "                           efi/memtest86/memtest.efi; not one of keel's own paths)\n"
                "  --extra-entry NAME.conf=SRC  also put the Type #1 entry SRC in \\loader\\entries\\NAME.conf\n"
                "                           Extra files and entries keel wrote are recorded in\n"
                "                           \\EFI\\keel\\extra-files and removed when no longer given, unless\n"
                "                           changed since\n"
                "  --prepare DIR            with --cert CERT and/or --pcrpkey PUB and no private key: write\n"
                "                           nothing to the ESP; write DIR/manifest.json and one NNNN-KEY.digest\n"
                "                           file per signature (KEY db: CERT's key, pcr: PUB's), to be signed\n"
                "                           elsewhere: openssl pkeyutl -sign -inkey KEY -pkeyopt digest:sha256\n"
                "                           -in NNNN-KEY.digest -out NNNN-KEY.sig (RSA PKCS#1 v1.5, SHA-256)\n"
                "  --join DIR               the same options again: check every signature in DIR and install;\n"
                "                           with both keys the first --join writes the UKIs' Secure Boot\n"
                "                           requests (they cover the signed PCR policies) and exits 2: sign\n"
                "                           those too and --join again. Refused when DIR does not match\n"
                "                           this run's inputs\n"
                "  --json                   print what was done as JSON\n"
                "  --profiles DIR           where system-N-links live (default /nix/var/nix/profiles), to\n"
                "                           number a GENERATION given as its target\n"
                "A generation whose boot.json is unusable is skipped with one line and its entries are\n"
                "kept; with no usable generation nothing is changed. A second run with the same inputs\n"
                "writes nothing.\n");
}

/* One bootable configuration of one generation, made into a UKI in staging. */
struct planned_entry {
        unsigned long generation;
        char stem[256];                 /* nixos-generation-N[-specialisation-NAME] */
        char *staged_uki;               /* path in staging */
        uint64_t uki_size;
        char *existing;                 /* file name in EFI/Linux with this ID, NULL if none */
        bool unchanged;
        struct thin_ref linux_ref, initrd_ref;
        bool has_initrd;
        char *linux_content, *initrd_content; /* source files of the content (thin) */
        char *installed_name;           /* the file name it has on the ESP after this run */
        bool dropped;                   /* GC would remove it: not written at all */
};

struct install {
        struct install_options o;
        const struct keel_arch *arch;   /* the stub's; NULL until known (no --stub: the first generation's) */
        char staging[256];
        struct bootspec *specs;
        size_t n_specs;
        unsigned long unreadable[MAX_GENERATIONS];
        size_t n_unreadable;
        bool gc_blind;                  /* a generation could not even be numbered: no GC */
        struct gc_policy gc;
        unsigned long live[MAX_GENERATIONS];
        struct planned_entry *entries;
        size_t n_entries;
        char *staged_loader;
        uint64_t loader_size;
        struct signer signer;           /* --key/--cert, loaded once */
        bool has_signer;
        struct esp_write_log log;
        struct esp_writer esp, xbootldr;
        struct esp_writer *entries_volume;
        json_object *report;
        unsigned long staged_files;
        struct extras extras;           /* --extra-file, --extra-entry */
        char *keys_key, *keys_cert;     /* --keys-dir's db key and certificate */
        char *enroll_options[3];        /* the staged .auth files, as --extra-file options */
        char db_auth_path[4096];        /* --enroll-db-cert: the db.auth made for it (a temporary) */
        bool keys_staged;               /* they go onto the ESP in this run */
        struct offline_signing offline; /* --prepare, --join */
        bool has_offline;
        char offline_context[320];      /* what is being signed, for the requests */
};


static void report_add(struct install *in, const char *key, json_object *value) {
        json_object *array;

        if (!json_object_object_get_ex(in->report, key, &array)) {
                array = json_object_new_array();
                json_object_object_add(in->report, key, array);
        }
        json_object_array_add(array, value);
}

static void report_string(struct install *in, const char *key, const char *value) {
        report_add(in, key, json_object_new_string(value));
        if (!in->o.json && strcmp(key, "skipped") != 0)
                printf("%s %s\n", key, value);
}

static void note_unreadable(struct install *in, const char *path, const char *reason) {
        unsigned long g;
        char error[256];
        json_object *o = json_object_new_object();

        log_warning("skipping %s: %s", path, reason);
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "reason", json_object_new_string(reason));
        report_add(in, "skipped", o);
        if (bootspec_generation_number(path, in->o.profiles_dir, &g, error, sizeof(error)) < 0) {
                log_warning("%s: %s; no entries are removed in this run", path, error);
                in->gc_blind = true;
        } else if (in->n_unreadable < MAX_GENERATIONS)
                in->unreadable[in->n_unreadable++] = g;
        else
                in->gc_blind = true;
}

static int load_generations(struct install *in) {
        in->specs = calloc(in->o.n_generations, sizeof(*in->specs));
        if (!in->specs)
                return log_error("out of memory");
        for (size_t i = 0; i < in->o.n_generations; i++) {
                const char *path = in->o.generations[i];
                struct bootspec *b = &in->specs[in->n_specs];
                char error[512];
                const struct keel_arch *arch;

                if (bootspec_load_generation(path, in->o.profiles_dir, b, error, sizeof(error)) < 0) {
                        note_unreadable(in, path, error);
                        continue;
                }
                arch = keel_arch_from_nix_system(b->config.system);
                /* Without --stub the first generation keel has a stub for
                 * decides; generations for another machine are skipped. */
                if (!in->arch && arch)
                        in->arch = arch;
                if (!arch || arch != in->arch) {
                        if (in->arch)
                                snprintf(error, sizeof(error), "system %s does not match the %s stub",
                                         b->config.system, in->arch->name);
                        else
                                snprintf(error, sizeof(error), "system %s: keel has no stub for it",
                                         b->config.system);
                        bootspec_free(b);
                        note_unreadable(in, path, error);
                        continue;
                }
                for (size_t k = 0; k < in->n_specs; k++)
                        if (in->specs[k].generation == b->generation) {
                                snprintf(error, sizeof(error), "generation %lu is given twice", b->generation);
                                bootspec_free(b);
                                return log_error("%s: %s", path, error);
                        }
                in->n_specs++;
        }
        if (in->n_specs == 0)
                return log_error("no installable generation among the %zu given; the ESP is left as it is",
                                 in->o.n_generations);
        return 0;
}

/* A staging file name, unique within this run. */
static char *staging_path(struct install *in, const char *what) {
        char *p = NULL;

        if (asprintf(&p, "%s/%lu-%s", in->staging, in->staged_files++, what) < 0)
                return NULL;
        return p;
}

static int copy_to(const char *from, const char *to) {
        uint8_t *data = NULL;
        size_t size = 0;
        int r;

        if (from && read_file(from, THIN_CONTENT_MAX, &data, &size) < 0)
                return -1;
        r = write_file_atomic(to, data ? data : (uint8_t *) "", size, 0600);
        free(data);
        return r;
}

/* initrdSecrets: `PROGRAM COPY` appends the secrets to a private copy of
 * the initrd (what NixOS's append-initrd-secrets does). */
static int append_initrd_secrets(const char *program, const char *copy) {
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return log_errno(errno, "cannot start %s", program);
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                }
                execl(program, program, copy, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error("initrd secrets program %s failed", program);
        return 0;
}

static size_t file_size_or_zero(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 ? (size_t) st.st_size : 0;
}

/* The initrd this entry boots: the bootspec's, or a private copy with the
 * secrets appended (thin and fat UKIs carry or name that one file as it
 * is, so both measure the same bytes). NULL: no initrd. */
static int prepare_initrd(struct install *in, const struct bootspec_config *c, char **ret) {
        char *copy;

        *ret = NULL;
        if (!c->initrd && !c->initrd_secrets)
                return 0;
        if (!c->initrd_secrets) {
                *ret = strdup(c->initrd);
                return *ret ? 0 : log_error("out of memory");
        }
        copy = staging_path(in, "initrd");
        if (!copy || copy_to(c->initrd, copy) < 0)
                goto fail;
        if (c->initrd_secrets && append_initrd_secrets(c->initrd_secrets, copy) < 0)
                goto fail;
        *ret = copy;
        return 0;
fail:
        free(copy);
        return -1;
}

/* os-release of an entry: what bootctl and the menu show and sort by. */
static char *os_release_text(const struct install *in, const struct bootspec *b, const struct bootspec_config *c) {
        char *text = NULL, *label = malloc(2 * strlen(c->label) + 1), *q = label;

        if (!label)
                return NULL;
        for (const char *p = c->label; *p; p++) {
                if (*p == '"' || *p == '\\' || *p == '$' || *p == '`')
                        *q++ = '\\';
                *q++ = *p;
        }
        *q = '\0';
        if (asprintf(&text, "NAME=NixOS\nID=nixos\nPRETTY_NAME=\"%s\"\nIMAGE_ID=%s\nVERSION_ID=%lu\n", label,
                     in->o.sort_key_given || !c->sort_key ? in->o.sort_key : c->sort_key, b->generation) < 0)
                text = NULL;
        free(label);
        return text;
}

static int plan_entry(struct install *in, const struct bootspec *b, const struct bootspec_config *c,
                      const char *specialisation) {
        struct planned_entry *e = &in->entries[in->n_entries];
        char *cmdline = NULL, *osrel = NULL, *initrd = NULL;
        const char *initrds[1];
        struct uki_build_request req = {};
        int r = -1;

        memset(e, 0, sizeof(*e));
        e->generation = b->generation;
        if (specialisation)
                snprintf(e->stem, sizeof(e->stem), GENERATION_ENTRY_PREFIX "%lu-specialisation-%s", b->generation,
                         specialisation);
        else
                snprintf(e->stem, sizeof(e->stem), GENERATION_ENTRY_PREFIX "%lu", b->generation);

        snprintf(in->offline_context, sizeof(in->offline_context), ENTRIES_DIR "/%s", e->stem);
        if (prepare_initrd(in, c, &initrd) < 0)
                goto out;
        cmdline = bootspec_cmdline(c);
        osrel = os_release_text(in, b, c);
        e->staged_uki = staging_path(in, "uki.efi");
        if (!cmdline || !osrel || !e->staged_uki) {
                log_error("out of memory");
                goto out;
        }
        req = (struct uki_build_request) {
                .stub_path = in->o.stub_path,
                .linux_path = c->kernel,
                .cmdline = cmdline,
                .os_release = osrel,
                .signer = in->has_signer ? &in->signer : NULL,
                .pcrpkey_path = in->o.pcrpkey,
                .pcr_private_key_path = in->o.pcr_private_key,
                .pcr_options = &in->o.pcr,
                .output_path = e->staged_uki,
        };
        if (initrd) {
                initrds[0] = initrd;
                req.initrd_paths = initrds;
                req.n_initrds = 1;
        }
        if (in->o.layout_thin) {
                if (thin_ref_for_file(c->kernel, "linux", &e->linux_ref) < 0)
                        goto out;
                req.thin_linux = &e->linux_ref;
                e->linux_content = strdup(c->kernel);
                if (initrd) {
                        if (thin_ref_for_file(initrd, "initrd", &e->initrd_ref) < 0)
                                goto out;
                        req.thin_initrd = &e->initrd_ref;
                        e->has_initrd = true;
                        e->initrd_content = strdup(initrd);
                }
        }
        if (uki_build(&req) < 0)
                goto out;
        e->uki_size = file_size_or_zero(e->staged_uki);
        in->n_entries++;
        r = 0;
out:
        if (r < 0) {
                free(e->staged_uki);
                free(e->linux_content);
                free(e->initrd_content);
        }
        free(cmdline);
        free(osrel);
        free(initrd);
        return r;
}

static void free_planned(struct planned_entry *e) {
        free(e->staged_uki);
        free(e->linux_content);
        free(e->initrd_content);
        free(e->installed_name);
        memset(e, 0, sizeof(*e));
}

/* The kernels and initrds of all generations hashed up front on both
 * cores: the refs of every entry need them (an idempotent run is mostly
 * these hashes), and the UKI build finds them again. */
static void prefetch_digests(struct install *in) {
        size_t n = 0, cap = 2 * in->n_specs * 8;
        const char **paths = calloc(cap ? cap : 1, sizeof(*paths));

        if (!paths)
                return;
        for (size_t i = 0; i < in->n_specs; i++) {
                const struct bootspec *b = &in->specs[i];
                const struct bootspec_config *configs[1 + 7];
                size_t n_configs = 0;
                configs[n_configs++] = &b->config;
                for (size_t k = 0; k < b->n_specialisations && n_configs < 8; k++)
                        configs[n_configs++] = &b->specialisations[k].config;
                for (size_t k = 0; k < n_configs && n + 2 < cap; k++) {
                        paths[n++] = configs[k]->kernel;
                        if (configs[k]->initrd && !configs[k]->initrd_secrets)
                                paths[n++] = configs[k]->initrd;
                }
        }
        /* Duplicates (generations sharing a kernel) would be hashed twice. */
        for (size_t i = 0; i < n; i++)
                for (size_t k = i + 1; k < n; k++)
                        if (strcmp(paths[i], paths[k]) == 0)
                                paths[k--] = paths[--n];
        thin_digest_prefetch(paths, n);
        free(paths);
}

/* A generation whose UKI cannot be built (a kernel gone from the store, a
 * command line the kernel would cut) is skipped like an unreadable one:
 * its entries stay, the others are installed. */
static int plan_entries(struct install *in) {
        size_t n = 0, kept = 0;

        for (size_t i = 0; i < in->n_specs; i++)
                n += 1 + in->specs[i].n_specialisations;
        in->entries = calloc(n, sizeof(*in->entries));
        if (!in->entries)
                return log_error("out of memory");
        for (size_t i = 0; i < in->n_specs; i++) {
                struct bootspec *b = &in->specs[i];
                size_t first = in->n_entries;
                bool ok = plan_entry(in, b, &b->config, NULL) == 0;

                for (size_t k = 0; ok && k < b->n_specialisations; k++)
                        ok = plan_entry(in, b, &b->specialisations[k].config, b->specialisations[k].name) == 0;
                if (ok) {
                        in->specs[kept++] = *b;
                        continue;
                }
                log_warning("skipping generation %lu: its UKI cannot be built; its entries are kept", b->generation);
                while (in->n_entries > first)
                        free_planned(&in->entries[--in->n_entries]);
                if (in->n_unreadable < MAX_GENERATIONS)
                        in->unreadable[in->n_unreadable++] = b->generation;
                else
                        in->gc_blind = true;
                bootspec_free(b);
        }
        in->n_specs = kept;
        if (kept == 0)
                return log_error("no installable generation; the ESP is left as it is");
        return 0;
}

static int stage_loader(struct install *in) {
        if (!in->has_signer) {
                in->staged_loader = strdup(in->o.stub_path);
                in->loader_size = file_size_or_zero(in->o.stub_path);
                return in->staged_loader ? 0 : log_error("out of memory");
        }
        in->staged_loader = staging_path(in, "loader.efi");
        if (!in->staged_loader)
                return log_error("out of memory");
        snprintf(in->offline_context, sizeof(in->offline_context), "the loader (EFI/keel/%s, %s)",
                 in->arch->keel_binary, in->arch->removable_path);
        if (pe_sign_file(in->o.stub_path, in->staged_loader, &in->signer, true) < 0)
                return -1;
        in->loader_size = file_size_or_zero(in->staged_loader);
        return 0;
}

/* The generation entries on the entries volume, as files. */
/* Whether the file's stub is keel's: its .sdmagic section starts with
 * keel's LoaderInfo marker (efi/sdmagic.c). False for anything unreadable. */
static bool stub_is_keels(const char *path) {
        static const char marker[] = "#### LoaderInfo: keel ";
        uint8_t headers[4096], magic[sizeof(marker) - 1];
        const struct pe_section *s;
        struct pe_image pe;
        ssize_t n;
        bool keels = false;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return false;
        n = pread(fd, headers, sizeof(headers), 0);
        if (n > 0 && pe_parse_headers(headers, (size_t) n, &pe) == KEEL_OK &&
            (s = pe_find_section(&pe, ".sdmagic")) && s->raw_size >= sizeof(magic))
                keels = pread(fd, magic, sizeof(magic), s->raw_offset) == (ssize_t) sizeof(magic) &&
                        memcmp(magic, marker, sizeof(magic)) == 0;
        close(fd);
        return keels;
}

/* A file under keel's entry name that keel wrote. The name alone says so
 * for nixos-generation-N.efi, but lanzaboote names a specialisation
 * nixos-generation-N-specialisation-NAME-HASH.efi, which reads as keel's
 * specialisation "NAME-HASH": such a name is keel's only when its stub is
 * (keel writes .sdmagic since issue 21; an older keel's specialisation
 * entry is then left in place, never another installer's removed). */
static bool installed_entry_is_keels(struct install *in, const char *name) {
        char *rel, *path;
        bool keels;

        if (!strstr(name, "-specialisation-"))
                return true;
        if (asprintf(&rel, ENTRIES_DIR "/%s", name) < 0)
                return false;
        path = esp_writer_path(in->entries_volume, rel);
        free(rel);
        keels = path && stub_is_keels(path);
        free(path);
        return keels;
}

static int scan_installed(struct install *in, struct generation_entry **ret, char ***ret_names, size_t *ret_n) {
        char *dir = esp_writer_path(in->entries_volume, ENTRIES_DIR);
        size_t n = 0, cap = 0;
        struct generation_entry *list = NULL;
        char **names = NULL;
        DIR *d;
        struct dirent *de;

        *ret = NULL;
        *ret_names = NULL;
        *ret_n = 0;
        if (!dir)
                return -1;
        d = opendir(dir);
        free(dir);
        while (d && (de = readdir(d))) {
                struct generation_entry e;
                if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                        continue;
                if (!generation_entry_parse(de->d_name, &e) || !installed_entry_is_keels(in, de->d_name))
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 64;
                        list = realloc(list, cap * sizeof(*list));
                        names = realloc(names, cap * sizeof(*names));
                        if (!list || !names) {
                                closedir(d);
                                return log_error("out of memory");
                        }
                }
                list[n] = e;
                names[n] = strdup(de->d_name);
                n++;
        }
        if (d)
                closedir(d);
        *ret = list;
        *ret_names = names;
        *ret_n = n;
        return 0;
}

/* The file names keel install writes (FAT: ignoring case): only a
 * temporary of one of them, in atomic_file_open()'s form, is a leftover of
 * an interrupted run that may be removed. */
static bool keel_owned_name(const char *name) {
        struct generation_entry e;

        if (generation_entry_parse(name, &e) || content_file_name_is_keels(name) ||
            strcasecmp(name, "loader.conf") == 0)
                return true;
        for (unsigned i = 0; i < keel_n_arches; i++) {
                const char *removable = strrchr(keel_arches[i].removable_path, '/');
                if (strcasecmp(name, keel_arches[i].keel_binary) == 0 ||
                    (removable && strcasecmp(name, removable + 1) == 0))
                        return true;
        }
        return false;
}

static void content_path(const struct thin_ref *ref, char *out, size_t size) {
        /* ref->path is absolute on the volume: drop the leading '/'. */
        snprintf(out, size, "%s", ref->path + 1);
}

/* What each planned entry becomes on disk; identical ones are left alone. */
static void match_existing(struct install *in, struct generation_entry *installed, char **names, size_t n) {
        for (size_t i = 0; i < in->n_entries; i++) {
                struct planned_entry *e = &in->entries[i];
                char id[300], rel[600];

                snprintf(id, sizeof(id), "%s.efi", e->stem);
                for (size_t k = 0; k < n; k++)
                        if (strcmp(installed[k].id, id) == 0) {
                                e->existing = names[k];
                                break;
                        }
                if (e->existing) {
                        snprintf(rel, sizeof(rel), ENTRIES_DIR "/%s", e->existing);
                        e->unchanged = esp_writer_same(in->entries_volume, rel, NULL, e->staged_uki, e->uki_size);
                        /* Rewritten entries keep their counter state: a
                         * new stub must not make every good generation
                         * untested again. */
                        e->installed_name = strdup(e->existing);
                } else if (in->o.tries > 0) {
                        if (asprintf(&e->installed_name, "%s+%lu.efi", e->stem, in->o.tries) < 0)
                                e->installed_name = NULL;
                } else if (asprintf(&e->installed_name, "%s.efi", e->stem) < 0)
                        e->installed_name = NULL;
        }
}

/* Whether the content a ref names is on the ESP: hashed for an entry
 * written now (a new UKI must never name a damaged file); for an unchanged
 * entry its size is enough to notice a deleted or cut file, which is then
 * written again (`keel entries --check` hashes everything). */
static bool content_present(struct install *in, const struct thin_ref *ref, bool verify) {
        char *volume = in->entries_volume->root;
        struct thin_content c;
        bool ok;

        if (!verify) {
                char rel[THIN_PATH_MAX + 1];
                struct stat st;
                char *path;
                content_path(ref, rel, sizeof(rel));
                path = esp_writer_path(in->entries_volume, rel);
                ok = path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size == ref->size;
                free(path);
                return ok;
        }
        if (thin_content_check(volume, ref, &c) < 0)
                return false;
        ok = c.state == THIN_CONTENT_OK;
        thin_content_done(&c);
        return ok;
}

/* A file rounded up to the allocation unit, plus one unit for its
 * directory entries: FAT allocates whole clusters. */
static uint64_t allocated(uint64_t size) {
        const uint64_t unit = 64 * 1024;
        return (size + unit - 1) / unit * unit + unit;
}

static int check_space(struct install *in, bool write_loader, bool write_conf, uint64_t conf_size) {
        uint64_t need_entries = 0, need_esp = 0, free_entries, free_esp;
        bool same_volume = in->entries_volume == &in->esp;

        for (size_t i = 0; i < in->n_entries; i++) {
                const struct planned_entry *e = &in->entries[i];
                bool counted_linux = false, counted_initrd = false;
                if (e->dropped)
                        continue;
                if (!e->unchanged)
                        need_entries += allocated(e->uki_size);
                if (!in->o.layout_thin)
                        continue;
                for (size_t k = 0; k < i; k++) {
                        if (in->entries[k].dropped)
                                continue;
                        counted_linux |= memcmp(in->entries[k].linux_ref.sha256, e->linux_ref.sha256, 32) == 0;
                        counted_initrd |= e->has_initrd && in->entries[k].has_initrd &&
                                          memcmp(in->entries[k].initrd_ref.sha256, e->initrd_ref.sha256, 32) == 0;
                }
                if (!counted_linux && !content_present(in, &e->linux_ref, !e->unchanged))
                        need_entries += allocated(e->linux_ref.size);
                if (e->has_initrd && !counted_initrd && !content_present(in, &e->initrd_ref, !e->unchanged))
                        need_entries += allocated(e->initrd_ref.size);
        }
        if (write_loader)
                need_esp += 2 * allocated(in->loader_size);
        if (write_conf)
                need_esp += allocated(conf_size);
        need_esp += extras_space_needed(&in->extras, allocated);
        if (same_volume) {
                need_esp += need_entries;
                need_entries = 0;
        }
        if (esp_writer_free_bytes(&in->esp, &free_esp) < 0)
                return -1;
        if (need_esp > free_esp)
                return log_error("not enough space on %s: %llu KiB needed, %llu KiB free; nothing was changed",
                                 in->esp.root, (unsigned long long) (need_esp / 1024),
                                 (unsigned long long) (free_esp / 1024));
        if (!same_volume) {
                if (esp_writer_free_bytes(in->entries_volume, &free_entries) < 0)
                        return -1;
                if (need_entries > free_entries)
                        return log_error("not enough space on %s: %llu KiB needed, %llu KiB free; nothing was changed",
                                         in->entries_volume->root, (unsigned long long) (need_entries / 1024),
                                         (unsigned long long) (free_entries / 1024));
        }
        return 0;
}

static int put_if_changed(struct esp_writer *w, struct install *in, const char *rel, const char *source,
                          uint64_t size, const char *what) {
        if (esp_writer_same(w, rel, NULL, source, size))
                return 0;
        if (esp_writer_put(w, rel, NULL, source, size) < 0)
                return -1;
        report_string(in, what, rel);
        return 0;
}

static int install_content(struct install *in) {
        for (size_t i = 0; in->o.layout_thin && i < in->n_entries; i++) {
                const struct planned_entry *e = &in->entries[i];
                char rel[THIN_PATH_MAX + 1];

                if (e->dropped)
                        continue;
                content_path(&e->linux_ref, rel, sizeof(rel));
                if (!content_present(in, &e->linux_ref, !e->unchanged) &&
                    (thin_content_verify_source(e->linux_content, &e->linux_ref) < 0 ||
                     esp_writer_put(in->entries_volume, rel, NULL, e->linux_content, e->linux_ref.size) < 0))
                        return -1;
                if (!e->has_initrd)
                        continue;
                content_path(&e->initrd_ref, rel, sizeof(rel));
                if (!content_present(in, &e->initrd_ref, !e->unchanged) &&
                    (thin_content_verify_source(e->initrd_content, &e->initrd_ref) < 0 ||
                     esp_writer_put(in->entries_volume, rel, NULL, e->initrd_content, e->initrd_ref.size) < 0))
                        return -1;
        }
        return 0;
}

static int install_entries(struct install *in) {
        /* Oldest first: the newest, the menu's default, comes last, once
         * everything older it could fall back to is in place. */
        for (size_t i = in->n_entries; i-- > 0;) {
                struct planned_entry *e = &in->entries[i];
                char rel[600];

                if (e->dropped)
                        continue;
                if (e->unchanged) {
                        report_string(in, "kept", e->installed_name);
                        continue;
                }
                snprintf(rel, sizeof(rel), ENTRIES_DIR "/%s", e->installed_name);
                if (esp_writer_put(in->entries_volume, rel, NULL, e->staged_uki, e->uki_size) < 0)
                        return -1;
                report_string(in, e->existing ? "updated" : "installed", e->installed_name);
        }
        return 0;
}

static unsigned long booted_generation(struct install *in, bool *ret_known) {
        unsigned long g = 0;
        char *selected;

        *ret_known = false;
        if (in->o.booted) {
                *ret_known = true;
                return in->o.booted_generation;
        }
        selected = efivar_read_string("LoaderEntrySelected", LOADER_GUID_STR);
        if (selected && generation_of_entry_id(selected, &g))
                *ret_known = true;
        free(selected);
        return g;
}

static void report_content_removed(const char *name, void *userdata) {
        report_string(userdata, "removed-content", name);
}

/* Content any entry on the ESP or XBOOTLDR names stays: keel's generations,
 * and thin UKIs made by hand that Type #1 entries start. */
static int collect_content(struct install *in) {
        const char *volumes[] = { in->esp.root, in->o.xbootldr ? in->xbootldr.root : NULL };

        return content_gc(in->entries_volume, volumes, 2, CONTENT_DIR, report_content_removed, in);
}

/* What GC keeps, decided before anything is written: a generation GC
 * would remove at the end is not written in the first place. The last
 * known good generation is judged on the state before this run. */
/* loader.conf's `default` (the one installed now, else the one on the ESP). */
static bool default_generation(struct install *in, const uint8_t *conf, size_t conf_size, unsigned long *ret) {
        struct loader_config c;
        bool found = false;

        loader_config_init(&c);
        if (conf)
                loader_config_parse(&c, (const char *) conf, conf_size, NULL, NULL);
        else
                esp_read_loader_conf(&c, in->esp.root);
        if (c.default_pattern[0])
                found = generation_of_entry_id(c.default_pattern, ret);
        return found;
}

static void decide_policy(struct install *in, const struct generation_entry *before, size_t n_before,
                          const uint8_t *conf, size_t conf_size) {
        in->gc = (struct gc_policy) {
                .live = in->live,
                .n_live = in->n_specs,
                .unreadable = in->unreadable,
                .n_unreadable = in->n_unreadable,
                .limit = in->o.configuration_limit,
        };
        for (size_t i = 0; i < in->n_specs; i++)
                in->live[i] = in->specs[i].generation;
        in->gc.booted = booted_generation(in, &in->gc.has_booted);
        in->gc.has_last_good = gc_last_good(before, n_before, &in->gc.last_good);
        in->gc.has_default = default_generation(in, conf, conf_size, &in->gc.default_generation);
        for (size_t i = 0; i < in->n_entries; i++) {
                struct planned_entry *e = &in->entries[i];
                e->dropped = !in->gc_blind && !e->existing && !gc_keeps(&in->gc, e->generation);
        }
}

/* Removes what GC does not keep: entries first, then content nothing
 * references any more, so that no entry ever names a missing file. */
static int collect_garbage(struct install *in) {
        struct generation_entry *now;
        char **names;
        size_t n;
        bool *remove;
        int r = 0;

        if (in->gc_blind)
                return 0;
        if (scan_installed(in, &now, &names, &n) < 0)
                return -1;
        remove = calloc(n ? n : 1, sizeof(*remove));
        if (!remove)
                r = log_error("out of memory");
        if (r == 0)
                gc_decide(&in->gc, now, n, remove);
        for (size_t i = 0; r == 0 && i < n; i++) {
                char rel[600];
                if (!remove[i])
                        continue;
                snprintf(rel, sizeof(rel), ENTRIES_DIR "/%s", names[i]);
                r = esp_writer_remove(in->entries_volume, rel);
                if (r == 0)
                        report_string(in, "removed", names[i]);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        free(now);
        free(remove);
        if (r == 0)
                r = collect_content(in);
        return r;
}

static int make_staging(struct install *in) {
        const char *tmp = getenv("TMPDIR");

        if (!tmp || !*tmp)
                tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(in->staging, sizeof(in->staging), "%s/keel-install.XXXXXX", tmp);
        if (!mkdtemp(in->staging))
                return log_errno(errno, "cannot create a staging directory in %s", tmp);
        return 0;
}

static void remove_staging(struct install *in) {
        char *p;

        if (!in->staging[0])
                return;
        for (unsigned long i = 0; i < in->staged_files; i++) {
                static const char *const kinds[] = { "uki.efi", "initrd", "loader.efi" };
                for (size_t k = 0; k < 3; k++)
                        if (asprintf(&p, "%s/%lu-%s", in->staging, i, kinds[k]) >= 0) {
                                unlink(p);
                                free(p);
                        }
        }
        rmdir(in->staging);
}

static int read_loader_conf(const struct install *in, uint8_t **ret, size_t *ret_size) {
        *ret = NULL;
        *ret_size = 0;
        if (!in->o.loader_conf)
                return 0;
        return read_file(in->o.loader_conf, 64 * 1024, ret, ret_size);
}

static void report_extra(const char *what, const char *path, void *userdata) {
        struct install *in = userdata;

        if (in->keys_staged && strcmp(what, "extra-file") == 0 &&
            strncmp(path, ENROLL_DIR "/", strlen(ENROLL_DIR "/")) == 0)
                what = "enroll-keys";
        report_string(in, what, path);
}

/* The order that keeps every crash state bootable:
 *  1. temporaries of an earlier, interrupted run go (never referenced);
 *  2. content files, before any UKI that names them;
 *  3. the loader and loader.conf (each replaced by one rename);
 *  4. the UKIs, oldest first; each appears complete under its final name;
 *  5. GC: entries first, then the content only they referenced;
 *  6. extra files and entries, then those no longer given (extra-files.h).
 * A crash before 4 leaves the old entries untouched; during 4 every entry
 * present is complete; during 5 the booted and the last known good entry
 * are never among the removed. */
static int write_everything(struct install *in, const uint8_t *conf, size_t conf_size) {
        char loader_rel[64];
        const char *boot_rel = in->arch->removable_path;
        static const char *const dirs[] = { ENTRIES_DIR, CONTENT_DIR };

        snprintf(loader_rel, sizeof(loader_rel), "EFI/keel/%s", in->arch->keel_binary);

        for (size_t i = 0; i < (in->o.layout_thin ? 2u : 1u); i++)
                if (esp_writer_mkdirs(in->entries_volume, dirs[i]) < 0 ||
                    esp_writer_remove_stale_temporaries(in->entries_volume, dirs[i], keel_owned_name) < 0)
                        return -1;
        if (esp_writer_mkdirs(&in->esp, "EFI/BOOT") < 0 || esp_writer_mkdirs(&in->esp, "EFI/keel") < 0 ||
            esp_writer_remove_stale_temporaries(&in->esp, "EFI/BOOT", keel_owned_name) < 0 ||
            esp_writer_remove_stale_temporaries(&in->esp, "EFI/keel", keel_owned_name) < 0)
                return -1;
        if (install_content(in) < 0)
                return -1;
        if (put_if_changed(&in->esp, in, loader_rel, in->staged_loader, in->loader_size, "loader") < 0 ||
            put_if_changed(&in->esp, in, boot_rel, in->staged_loader, in->loader_size, "loader") < 0)
                return -1;
        if (conf) {
                if (esp_writer_mkdirs(&in->esp, "loader") < 0 ||
                    esp_writer_remove_stale_temporaries(&in->esp, "loader", keel_owned_name) < 0)
                        return -1;
                if (!esp_writer_same(&in->esp, "loader/loader.conf", conf, NULL, conf_size)) {
                        if (esp_writer_put(&in->esp, "loader/loader.conf", conf, NULL, conf_size) < 0)
                                return -1;
                        report_string(in, "loader-conf", "loader/loader.conf");
                }
        }
        if (install_entries(in) < 0 || collect_garbage(in) < 0)
                return -1;
        return extras_install(&in->extras, &in->esp, report_extra, in);
}

/* $KEEL_CACHE_DIR, else /var/cache/keel (made 0700 when missing); NULL
 * when neither can be used (the run just hashes everything). */
static const char *digest_cache_path(void) {
        static char path[4096];
        const char *dir = getenv("KEEL_CACHE_DIR");
        struct stat st;

        if (!dir || !*dir) {
                dir = "/var/cache/keel";
                (void) mkdir(dir, 0700);
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) < 0)
                return NULL;
        snprintf(path, sizeof(path), "%s/install-digests", dir);
        return path;
}

/* After the ESP holds the loader: the firmware's own entry for it, so that a
 * machine coming from another loader starts keel. A failed variable write
 * fails the run, as in `bootctl install` (without --graceful); the files
 * written stay, consistent. */
static int install_boot_entry(struct install *in) {
        struct boot_entry_result result;
        char loader_rel[64], name[16];

        snprintf(loader_rel, sizeof(loader_rel), "EFI/keel/%s", in->arch->keel_binary);
        if (boot_entry_install(in->o.esp, loader_rel, &result) < 0)
                return -1;
        snprintf(name, sizeof(name), "Boot%04X", result.number);
        if (result.entry_written)
                report_string(in, "boot-entry", name);
        if (result.order_written)
                report_string(in, "boot-order-first", name);
        return 0;
}

/* The directories above dir that are missing (/var/lib/keel on a fresh
 * system), 0700: only root needs to look into them. */
static int make_parents(const char *dir) {
        char path[4096];
        size_t len = strlen(dir);

        if (len >= sizeof(path))
                return log_error("install: --keys-dir %s: path too long", dir);
        memcpy(path, dir, len + 1);
        while (len > 1 && path[len - 1] == '/')
                path[--len] = '\0';
        return mkdir_parents_below("", path, 0700);
}

/* --keys-dir: a complete set, made first with --create-keys when there is
 * none; the run signs with its db key. Never completes a partial set: a
 * half-made set of somebody else's is not keel's to finish. */
static int prepare_keys(struct install *in) {
        const char *dir = in->o.keys_dir, *missing;
        enum keys_state state;
        struct stat st;

        if (keys_state(dir, &state, &missing) < 0)
                return -1;
        if (state == KEYS_PARTIAL)
                return log_error("install: %s holds a partial key set (no %s); keel never completes or replaces keys",
                                 dir, missing);
        if (state == KEYS_NONE) {
                if (!in->o.create_keys)
                        return log_error("install: %s holds no key set (--create-keys makes one)", dir);
                if (make_parents(dir) < 0 || keys_create(dir, "keel") < 0)
                        return -1;
                report_string(in, "keys-created", dir);
        }
        if (asprintf(&in->keys_key, "%s/db.key", dir) < 0 || asprintf(&in->keys_cert, "%s/db.crt", dir) < 0)
                return log_error("out of memory");
        if (stat(in->keys_key, &st) == 0 && (st.st_mode & 077))
                log_warning("%s can be read by others than its owner (mode %03o)", in->keys_key,
                            (unsigned) (st.st_mode & 0777));
        in->o.key = in->keys_key;
        in->o.cert = in->keys_cert;
        return 0;
}

/* A key set at \loader\keys\auto that is not this one and that keel did
 * not stage (another tool's, or the user's) is not replaced: nothing is
 * staged. option: DEST=SRC. */
static bool foreign_auth_file(struct install *in, const char *option) {
        const char *eq = strchr(option, '=');
        char dest[64], *path;
        struct stat st;
        bool foreign;

        snprintf(dest, sizeof(dest), "%.*s", (int) (eq - option), option);
        path = esp_writer_path(&in->esp, dest);
        foreign = path && lstat(path, &st) == 0 &&
                  (!S_ISREG(st.st_mode) || !esp_writer_same(&in->esp, dest, NULL, eq + 1, file_size_or_zero(eq + 1))) &&
                  !extras_wrote(&in->esp, dest, 1024 * 1024);
        if (foreign)
                log_warning("%s on the ESP is not %s; no keys are staged for enrollment", dest, eq + 1);
        free(path);
        return foreign;
}

/* --enroll-db-cert: the staged db.auth holds them too; made in $TMPDIR,
 * removed when the run ends. */
static int make_db_auth(struct install *in) {
        const char *tmp = getenv("TMPDIR");
        uint8_t *auth;
        size_t size;
        int fd, r;

        if (keys_db_auth_with_certs(in->o.keys_dir, in->o.db_certs, in->o.n_db_certs, &auth, &size) < 0)
                return -1;
        snprintf(in->db_auth_path, sizeof(in->db_auth_path), "%s/keel-db.auth.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        fd = mkstemp(in->db_auth_path);
        if (fd < 0) {
                in->db_auth_path[0] = '\0';
                free(auth);
                return log_errno(errno, "cannot create a temporary file");
        }
        close(fd);
        r = write_file_atomic(in->db_auth_path, auth, size, 0600);
        free(auth);
        return r;
}

/* --enroll-keys in Setup Mode: the set's .auth files become extra files at
 * \loader\keys\auto, so that the record of extra files makes a later run
 * (out of Setup Mode, or without --enroll-keys) remove exactly what keel
 * put there. PK last: the loader looks for PK.auth first, so that a set
 * cut short by a crash is never started. */
static int plan_enrollment(struct install *in) {
        static const char *const names[] = { "db", "KEK", "PK" };

        if (!in->o.enroll_keys)
                return 0;
        if (!efivar_setup_mode()) {
                if (!in->o.json)
                        printf("enroll-keys skipped: the firmware is not in Setup Mode\n");
                return 0;
        }
        if (in->o.n_db_certs > 0 && make_db_auth(in) < 0)
                return -1;
        for (size_t i = 0; i < 3; i++) {
                /* db.auth is the one made for --enroll-db-cert, if any. */
                int n = i == 0 && in->db_auth_path[0]
                                ? asprintf(&in->enroll_options[i], ENROLL_DIR "/%s.auth=%s", names[i], in->db_auth_path)
                                : asprintf(&in->enroll_options[i], ENROLL_DIR "/%s.auth=%s/%s.auth", names[i],
                                           in->o.keys_dir, names[i]);
                if (n < 0) {
                        in->enroll_options[i] = NULL;
                        return log_error("out of memory");
                }
        }
        for (size_t i = 0; i < 3; i++)
                if (foreign_auth_file(in, in->enroll_options[i]))
                        return 0;
        for (size_t i = 0; i < 3; i++)
                if (extras_add_option(&in->extras, in->enroll_options[i], false) < 0)
                        return -1;
        in->keys_staged = true;
        return 0;
}

/* Whether loader.conf text sets secure-boot-enroll itself (its first word
 * on a line). */
static bool conf_sets_enroll(const uint8_t *conf, size_t size) {
        static const char key[] = "secure-boot-enroll";
        size_t n = sizeof(key) - 1;

        for (size_t at = 0; at < size;) {
                const uint8_t *nl = memchr(conf + at, '\n', size - at);
                size_t len = nl ? (size_t) (nl - (conf + at)) : size - at, skip = 0;
                while (skip < len && (conf[at + skip] == ' ' || conf[at + skip] == '\t'))
                        skip++;
                if (len - skip > n && memcmp(conf + at + skip, key, n) == 0 &&
                    (conf[at + skip + n] == ' ' || conf[at + skip + n] == '\t'))
                        return true;
                at += len + 1;
        }
        return false;
}

/* While keys are staged the loader must enroll them unattended; the
 * user's own secure-boot-enroll line wins (as lanzaboote's settings do). */
static int add_enroll_line(uint8_t **conf, size_t *size) {
        size_t need_newline = *size > 0 && (*conf)[*size - 1] != '\n', n = sizeof(ENROLL_CONF_LINE) - 1;
        uint8_t *grown;

        if (conf_sets_enroll(*conf, *size))
                return 0;
        grown = realloc(*conf, *size + need_newline + n);
        if (!grown)
                return log_error("out of memory");
        if (need_newline)
                grown[(*size)++] = '\n';
        memcpy(grown + *size, ENROLL_CONF_LINE, n);
        *size += n;
        *conf = grown;
        return 0;
}

/* --prepare/--join: the certificate and the PCR public key stand in for
 * the private keys, and every signature goes through in->offline. */
static int offline_setup(struct install *in) {
        EVP_PKEY *pcr_key = NULL;
        X509 *cert = NULL;
        uint8_t *pem = NULL;
        size_t pem_size = 0;
        int r = -1;

        if (in->o.cert && !(cert = certificate_load(in->o.cert)))
                return -1;
        if (cert && !X509_get0_pubkey(cert)) {
                log_error("%s: the certificate's public key cannot be read", in->o.cert);
                goto out;
        }
        if (in->o.pcrpkey && (read_file(in->o.pcrpkey, 1024 * 1024, &pem, &pem_size) < 0 ||
                              pcr_public_pem_check(in->o.pcrpkey, pem, pem_size, &pcr_key) < 0))
                goto out;
        if (offline_signing_init(&in->offline, in->o.offline_dir, in->o.joining, cert ? X509_get0_pubkey(cert) : NULL,
                                 pcr_key) < 0)
                goto out;
        in->offline.context = in->offline_context;
        in->has_offline = true;
        if (cert) {
                in->signer = (struct signer) { .cert = cert, .offline = &in->offline };
                in->has_signer = true;
                cert = NULL;
        }
        if (in->o.pcrpkey)
                in->o.pcr.offline = &in->offline;
        r = 0;
out:
        X509_free(cert);
        EVP_PKEY_free(pcr_key);
        free(pem);
        return r;
}

static size_t count_requests(const struct offline_signing *o, enum signing_key key) {
        size_t n = 0;

        for (size_t i = o->n_known; i < o->n_entries; i++)
                n += o->entries[i].request.key == key;
        return n;
}

/* After every UKI was built and signed in staging: 0 when every
 * signature came back (install), 1 when requests were written (stop
 * here: --prepare always). */
static int offline_round(struct install *in) {
        struct offline_signing *o = &in->offline;
        enum offline_outcome outcome;

        if (offline_signing_finish(o, &outcome) < 0)
                return -1;
        if (outcome == OFFLINE_COMPLETE && in->o.joining)
                return 0;
        if (in->o.json) {
                json_object *r = json_object_new_object();
                json_object_object_add(r, "directory", json_object_new_string(o->dir));
                json_object_object_add(r, "new", json_object_new_int64((int64_t) (o->n_entries - o->n_known)));
                json_object_object_add(r, "db", json_object_new_int64((int64_t) count_requests(o, SIGNING_KEY_DB)));
                json_object_object_add(r, "pcr", json_object_new_int64((int64_t) count_requests(o, SIGNING_KEY_PCR)));
                json_object_object_add(r, "deferred", json_object_new_int64((int64_t) o->n_deferred));
                json_object_object_add(in->report, "signing-requests", r);
        } else if (!in->o.joining)
                printf("%zu signing requests in %s (db: %zu, pcr: %zu); nothing was written to the ESP%s\n",
                       o->n_entries, o->dir, count_requests(o, SIGNING_KEY_DB), count_requests(o, SIGNING_KEY_PCR),
                       o->n_deferred ? "; the UKIs' Secure Boot signatures cover their signed PCR policies and are "
                                       "requested by the first --join" : "");
        else
                printf("%zu more signing requests in %s (the UKIs' Secure Boot signatures, which cover the signed "
                       "PCR policies): sign them and --join again; nothing was written to the ESP\n",
                       o->n_entries - o->n_known, o->dir);
        return 1;
}

static int run(struct install *in) {
        struct generation_entry *before = NULL;
        char **names = NULL;
        size_t n_before = 0;
        uint8_t *conf = NULL;
        size_t conf_size = 0;
        bool write_loader;
        int r;

        if (in->o.stub_path && keel_arch_of_pe_file("stub", in->o.stub_path, &in->arch) < 0)
                return -1;
        if (load_generations(in) < 0)
                return -1;
        if (!in->o.stub_path && !(in->o.stub_path = keel_shipped_file(in->arch->keel_binary)))
                return log_error("install: the generations are for %s and no --stub was given, but keel ships no %s",
                                 in->arch->name, in->arch->keel_binary);
        esp_write_log_init(&in->log);
        if (esp_writer_init(&in->esp, in->o.esp, &in->log) < 0)
                return -1;
        in->entries_volume = &in->esp;
        if (in->o.xbootldr) {
                if (esp_writer_init(&in->xbootldr, in->o.xbootldr, &in->log) < 0)
                        return -1;
                in->entries_volume = &in->xbootldr;
        }
        if (in->o.keys_dir && prepare_keys(in) < 0)
                return -1;
        if (plan_enrollment(in) < 0 || read_loader_conf(in, &conf, &conf_size) < 0 ||
            (in->keys_staged && add_enroll_line(&conf, &conf_size) < 0) || extras_plan(&in->extras, &in->esp) < 0) {
                free(conf);
                return -1;
        }
        if (in->o.offline_dir) {
                if (offline_setup(in) < 0)
                        return -1;
        } else if (in->o.key) {
                if (signer_load(in->o.key, in->o.cert, NULL, &in->signer) < 0)
                        return -1;
                in->has_signer = true;
        }
        r = make_staging(in);
        if (r == 0)
                r = stage_loader(in);
        if (r == 0 && in->o.layout_thin) {
                if (digest_cache_path())
                        thin_digest_cache_load(digest_cache_path());
                prefetch_digests(in);
        }
        if (r == 0)
                r = plan_entries(in);
        if (r == 0 && in->has_offline && (r = offline_round(in)) != 0) {
                free(conf);
                return r;
        }
        if (r == 0)
                r = scan_installed(in, &before, &names, &n_before);
        if (r == 0) {
                char loader_rel[64];
                snprintf(loader_rel, sizeof(loader_rel), "EFI/keel/%s", in->arch->keel_binary);
                match_existing(in, before, names, n_before);
                decide_policy(in, before, n_before, conf, conf_size);
                write_loader = !esp_writer_same(&in->esp, loader_rel, NULL, in->staged_loader, in->loader_size);
                r = check_space(in, write_loader, conf != NULL, conf_size);
        }
        if (r == 0)
                r = write_everything(in, conf, conf_size);
        if (r == 0 && in->o.layout_thin && digest_cache_path())
                thin_digest_cache_save(digest_cache_path());
        if (r == 0 && !in->o.no_boot_entry)
                r = install_boot_entry(in);
        for (size_t i = 0; i < n_before; i++)
                free(names[i]);
        free(names);
        free(before);
        free(conf);
        return r;
}

static void free_install(struct install *in) {
        remove_staging(in);
        for (size_t i = 0; i < in->n_entries; i++)
                free_planned(&in->entries[i]);
        free(in->entries);
        for (size_t i = 0; i < in->n_specs; i++)
                bootspec_free(&in->specs[i]);
        free(in->specs);
        free(in->staged_loader);
        if (in->has_signer)
                signer_free(&in->signer);
        if (in->has_offline)
                offline_signing_done(&in->offline);
        esp_writer_done(&in->esp);
        esp_writer_done(&in->xbootldr);
        extras_done(&in->extras);
        free(in->keys_key);
        free(in->keys_cert);
        for (size_t i = 0; i < 3; i++)
                free(in->enroll_options[i]);
        if (in->db_auth_path[0])
                unlink(in->db_auth_path);
        free(in->o.db_certs);
        json_object_put(in->report);
}

static int parse_number(const char *option, const char *value, unsigned long *ret) {
        char *end;

        errno = 0;
        *ret = strtoul(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-')
                return log_error("install: %s needs a number, not '%s'", option, value);
        return 0;
}

int install_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "esp", required_argument, NULL, 'e' },         { "xbootldr", required_argument, NULL, 'x' },
                { "configuration-limit", required_argument, NULL, 'l' },
                { "tries", required_argument, NULL, 't' },       { "key", required_argument, NULL, 'S' },
                { "cert", required_argument, NULL, 'C' },        { "pcr-private-key", required_argument, NULL, 'K' },
                { "pcrpkey", required_argument, NULL, 'P' },     { "layout", required_argument, NULL, 'L' },
                { "loader-conf", required_argument, NULL, 'c' }, { "sort-key", required_argument, NULL, 's' },
                { "booted", required_argument, NULL, 'b' },      { "stub", required_argument, NULL, 'u' },
                { "json", no_argument, NULL, 'j' },              { "profiles", required_argument, NULL, 'p' },
                { "pcr-banks", required_argument, NULL, 'B' },   { "sign-initrd-pcrs", no_argument, NULL, 'I' },
                { "no-sign-initrd-pcrs", no_argument, NULL, 'N' },
                { "no-boot-entry", no_argument, NULL, 'E' },
                { "extra-file", required_argument, NULL, 'F' }, { "extra-entry", required_argument, NULL, 'T' },
                { "keys-dir", required_argument, NULL, 'D' },   { "create-keys", no_argument, NULL, 'G' },
                { "enroll-keys", no_argument, NULL, 'R' },      { "enroll-db-cert", required_argument, NULL, 'M' },
                { "prepare", required_argument, NULL, 'Q' },    { "join", required_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },              {},
        };
        struct install *in = calloc(1, sizeof(*in));
        bool in_joining;
        int c, r;

        if (!in)
                return log_error("out of memory"), 1;
        in->o.layout_thin = true;
        in->o.sort_key = "nixos";
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                r = 0;
                switch (c) {
                case 'e': in->o.esp = optarg; break;
                case 'x': in->o.xbootldr = optarg; break;
                case 'l': r = parse_number("--configuration-limit", optarg, &in->o.configuration_limit); break;
                case 't': r = parse_number("--tries", optarg, &in->o.tries); break;
                case 'S': in->o.key = optarg; break;
                case 'C': in->o.cert = optarg; break;
                case 'K': in->o.pcr_private_key = optarg; break;
                case 'P': in->o.pcrpkey = optarg; break;
                case 'B':
                        in->o.pcr.bank_mask = 0; /* the last one wins */
                        r = pcr_bank_mask_parse(optarg, &in->o.pcr.bank_mask);
                        break;
                case 'I': in->o.pcr.sign_initrd = true; break;
                case 'N': in->o.pcr.sign_initrd = false; break;
                case 'L':
                        if (strcmp(optarg, "thin") == 0 || strcmp(optarg, "fat") == 0)
                                in->o.layout_thin = strcmp(optarg, "thin") == 0;
                        else
                                r = log_error("install: --layout is thin or fat, not '%s'", optarg);
                        break;
                case 'c': in->o.loader_conf = optarg; break;
                case 's':
                        in->o.sort_key = optarg;
                        in->o.sort_key_given = true;
                        break;
                case 'b':
                        in->o.booted = true;
                        r = parse_number("--booted", optarg, &in->o.booted_generation);
                        break;
                case 'u': in->o.stub_path = optarg; break;
                case 'j': in->o.json = true; break;
                case 'E': in->o.no_boot_entry = true; break;
                case 'F': r = extras_add_option(&in->extras, optarg, false); break;
                case 'T': r = extras_add_option(&in->extras, optarg, true); break;
                case 'p': in->o.profiles_dir = optarg; break;
                case 'D': in->o.keys_dir = optarg; break;
                case 'G': in->o.create_keys = true; break;
                case 'R': in->o.enroll_keys = true; break;
                case 'M': {
                        const char **grown = realloc(in->o.db_certs, (in->o.n_db_certs + 1) * sizeof(*grown));
                        if (!grown)
                                r = log_error("out of memory");
                        else {
                                in->o.db_certs = grown;
                                in->o.db_certs[in->o.n_db_certs++] = optarg;
                        }
                        break;
                }
                case 'Q':
                case 'J':
                        if (in->o.offline_dir)
                                r = log_error("install: --prepare and --join are given once, and not together");
                        in->o.offline_dir = optarg;
                        in->o.joining = c == 'J';
                        break;
                case 'h': usage(stdout); free(in); return 0;
                case ':': r = log_error("install: option %s needs a value", argv[optind - 1]); break;
                default: r = log_error("install: unknown option %s", argv[optind - 1]); break;
                }
                if (r < 0) {
                        extras_done(&in->extras);
                        free(in->o.db_certs);
                        free(in);
                        return 1;
                }
        }
        in->o.generations = (const char *const *) argv + optind;
        in->o.n_generations = (size_t) (argc - optind);
        r = 0;
        if (!in->o.esp)
                r = log_error("install: --esp DIR is required");
        else if (in->o.n_generations == 0)
                r = log_error("install: no GENERATION given");
        else if (in->o.n_generations > MAX_GENERATIONS)
                r = log_error("install: at most %d generations", MAX_GENERATIONS);
        else if (in->o.tries > 2147483647ul)
                r = log_error("install: --tries %lu is more than a boot counter holds", in->o.tries);
        else if (in->o.keys_dir && (in->o.key || in->o.cert))
                r = log_error("install: --keys-dir signs with its own db key; not with --key or --cert");
        else if ((in->o.create_keys || in->o.enroll_keys) && !in->o.keys_dir)
                r = log_error("install: %s needs --keys-dir DIR", in->o.create_keys ? "--create-keys" : "--enroll-keys");
        else if (in->o.n_db_certs > 0 && !in->o.enroll_keys)
                r = log_error("install: --enroll-db-cert needs --enroll-keys");
        else if (in->o.enroll_keys && !in->o.loader_conf)
                r = log_error("install: --enroll-keys needs --loader-conf FILE (it adds secure-boot-enroll force)");
        else if (in->o.keys_dir && !in->o.keys_dir[0])
                r = log_error("install: --keys-dir needs a directory");
        else if (in->o.keys_dir && in->o.offline_dir)
                r = log_error("install: --keys-dir signs with keys on this machine; not with --prepare or --join");
        else if (in->o.offline_dir && (in->o.key || in->o.pcr_private_key))
                r = log_error("install: --prepare and --join keep the private keys elsewhere: give --cert and "
                              "--pcrpkey, not --key or --pcr-private-key");
        else if (in->o.offline_dir && !in->o.cert && !in->o.pcrpkey)
                r = log_error("install: %s needs --cert CERT and/or --pcrpkey PUB: nothing would be signed",
                              in->o.joining ? "--join" : "--prepare");
        else if (!in->o.offline_dir && pe_sign_check_options(in->o.key, in->o.cert) < 0)
                r = -1;
        else if (!in->o.no_boot_entry && boot_entry_check_override() < 0)
                r = -1;
        else if ((in->o.pcr.sign_initrd || in->o.pcr.bank_mask) && !in->o.pcr_private_key &&
                 !(in->o.offline_dir && in->o.pcrpkey))
                r = log_error("install: %s needs --pcr-private-key",
                              in->o.pcr.sign_initrd ? "--sign-initrd-pcrs" : "--pcr-banks");
        else if (strspn(in->o.sort_key, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(in->o.sort_key) ||
                 !in->o.sort_key[0])
                r = log_error("install: --sort-key may only have a-z, 0-9, '.', '_' and '-'");
        if (r < 0) {
                extras_done(&in->extras);
                free(in->o.db_certs);
                free(in);
                return 1;
        }
        in->report = json_object_new_object();
        in_joining = in->o.joining;
        r = run(in);
        if (r >= 0 && in->o.json) {
                json_object_object_add(in->report, "operations", json_object_new_int64((int64_t) in->log.operations));
                json_object_object_add(in->report, "bytes_written",
                                       json_object_new_int64((int64_t) in->log.bytes_written));
                puts(json_object_to_json_string_ext(in->report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
        free_install(in);
        /* --join that wrote the second round's requests: installed nothing. */
        return r < 0 ? 1 : r == 1 && in_joining ? 2 : 0;
}
