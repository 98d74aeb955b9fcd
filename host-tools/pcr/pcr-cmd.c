/* SPDX-License-Identifier: MIT */
/* keel pcr predict / keel pcr sign: PCR 11 of a UKI as keel's stub (and
 * systemd-stub) will measure it, in systemd-measure's formats. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/pcr/pcr-addon.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/pcr/pcr.h"
#include "host-tools/uki/thin-content.h"
#include "common/error.h"

#define MAX_PHASES 64

struct pcr_options {
        const char *uki_path;
        unsigned bank_mask;
        char *phases[MAX_PHASES];
        size_t n_phases;
        const char *private_key_path;
        const char *public_key_path;
        const char *output_path;
        const char *root;       /* --root: the volume of a thin UKI's content */
        unsigned profile;       /* --profile N (predict): a multi-profile UKI's profile, 0 by default */
        const char *addons[128]; /* --addon FILE (predict): PCR 12 with these addons */
        size_t n_addons;
        const char *policyref;  /* --policyref (sign): the phases' policy reference */
        bool sign_initrd;       /* --sign-initrd-pcrs (sign): ukify 262's initrd signature too */
};

static void options_free(struct pcr_options *o) {
        for (size_t i = 0; i < o->n_phases; i++)
                free(o->phases[i]);
}

static int compare_phases(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* systemd-measure's defaults and its order: every bank and, without
 * --phase, the four phases from initrd to a running system; phases sorted
 * and without duplicates. */
static int finish_options(struct pcr_options *o) {
        size_t kept = 0;

        if (o->bank_mask == 0)
                o->bank_mask = PCR_BANK_MASK_ALL;
        if (o->n_phases == 0)
                for (size_t i = 0; i < sizeof(pcr_default_phases) / sizeof(pcr_default_phases[0]); i++)
                        if (!(o->phases[o->n_phases++] = strdup(pcr_default_phases[i])))
                                return log_error("out of memory");
        qsort(o->phases, o->n_phases, sizeof(o->phases[0]), compare_phases);
        for (size_t i = 0; i < o->n_phases; i++) {
                if (kept > 0 && strcmp(o->phases[kept - 1], o->phases[i]) == 0) {
                        free(o->phases[i]);
                        continue;
                }
                o->phases[kept++] = o->phases[i];
        }
        o->n_phases = kept;
        return 0;
}

static int parse_options(const char *command, int argc, char **argv, bool sign, struct pcr_options *o) {
        static const struct option long_options[] = {
                { "bank", required_argument, NULL, 'b' },        { "phase", required_argument, NULL, 'p' },
                { "private-key", required_argument, NULL, 'k' }, { "public-key", required_argument, NULL, 'K' },
                { "output", required_argument, NULL, 'o' },      { "help", no_argument, NULL, 'h' },
                { "root", required_argument, NULL, 'R' },
                { "profile", required_argument, NULL, 'N' },
                { "addon", required_argument, NULL, 'A' },
                { "policyref", required_argument, NULL, 'r' },
                { "sign-initrd-pcrs", no_argument, NULL, 'I' },
                { "no-sign-initrd-pcrs", no_argument, NULL, 'i' },
                {},
        };
        int c, index = -1;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, &index)) != -1) {
                switch (c) {
                case 'b':
                        if (pcr_bank_mask_parse(optarg, &o->bank_mask) < 0)
                                return -1;
                        break;
                case 'p':
                        if (o->n_phases == MAX_PHASES)
                                return log_error("%s: too many --phase (at most %d)", command, MAX_PHASES);
                        if (!(o->phases[o->n_phases] = pcr_phase_normalize(optarg)))
                                return log_error("out of memory");
                        o->n_phases++;
                        break;
                case 'k':
                case 'K':
                case 'o':
                        if (!sign)
                                return log_error("%s: unknown option %s%s", command, index >= 0 ? "--" : "-",
                                                 index >= 0 ? long_options[index].name : "o");
                        if (c == 'k')
                                o->private_key_path = optarg;
                        else if (c == 'K')
                                o->public_key_path = optarg;
                        else
                                o->output_path = optarg;
                        break;
                case 'R':
                        o->root = optarg;
                        break;
                case 'N': {
                        /* Decimal, as the stub reads "@N"; a profile the UKI lacks is refused by predict(). */
                        char *end;
                        unsigned long v;
                        if (sign)
                                return log_error("%s: unknown option --profile", command);
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (optarg[0] < '0' || optarg[0] > '9' || *end || errno || v >= UKI_PROFILES_MAX)
                                return log_error("%s: --profile %s: not a profile number (0..%d)", command, optarg,
                                                 UKI_PROFILES_MAX - 1);
                        o->profile = (unsigned) v;
                        break;
                }
                case 'A':
                        if (sign)
                                return log_error("%s: unknown option --addon", command);
                        if (o->n_addons == ARRAY_SIZE(o->addons))
                                return log_error("%s: too many --addon (at most %zu)", command, ARRAY_SIZE(o->addons));
                        o->addons[o->n_addons++] = optarg;
                        break;
                case 'r':
                case 'I':
                case 'i':
                        if (!sign)
                                return log_error("%s: unknown option --%s", command, long_options[index].name);
                        if (c == 'r') {
                                if (pcr_policyref_check("--policyref", optarg) < 0)
                                        return -1;
                                o->policyref = optarg;
                        } else
                                o->sign_initrd = c == 'I';
                        break;
                case 'h':
                        return 1;
                case ':':
                        return log_error("%s: option %s needs a value", command, argv[optind - 1]);
                default:
                        return log_error("%s: unknown option %s", command, argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return log_error("%s: a UKI file is required", command);
        o->uki_path = argv[optind++];
        if (optind < argc)
                return log_error("%s: unexpected argument %s", command, argv[optind]);
        if (sign && !o->private_key_path)
                return log_error("%s: --private-key KEY is required", command);
        return finish_options(o);
}

/* A thin UKI (common/thin.h) is predicted with the content its refs name on
 * its volume: the fat twin's PCR 11, or one line saying what is missing. */
static int predict(const struct pcr_options *o, struct pcr_value pcr11[_PCR_BANK_MAX]) {
        struct thin_mapped thin = {};
        struct uki_thin_refs refs;
        struct mapped_file m;
        struct uki_sections u;
        struct pe_image *pe;
        char *volume = NULL;
        bool is_thin = false;
        int fd, r;

        if (map_pe_file(o->uki_path, &m) < 0)
                return -1;
        pe = malloc(sizeof(*pe));
        if (!pe) {
                unmap_file(&m);
                return log_error("out of memory");
        }
        /* Malformed images are left to pcr11_predict_file_thin() to name. */
        if (pe_parse_headers(m.data, m.size, pe) == KEEL_OK && pe_check_file_layout(pe, m.size) == KEEL_OK &&
            uki_find_profile_sections(pe, o->profile, &u) == KEEL_OK && uki_is_thin(&u)) {
                is_thin = true;
                r = uki_read_thin_refs(&u, m.data, m.size, &refs);
                if (r != KEEL_OK)
                        r = log_error("%s: %s", o->uki_path, keel_strerror(r));
                else if (!(volume = thin_volume_for(o->uki_path, o->uki_path, o->root)))
                        r = -1;
                else
                        r = thin_content_map(o->uki_path, volume, &refs, &thin);
                if (r < 0)
                        goto out;
        }
        /* The headers are read through the mapping, the sections with pread(). */
        fd = open(o->uki_path, O_RDONLY | O_CLOEXEC);
        r = pcr11_predict_file_profile(o->uki_path, fd, m.data, m.size, is_thin ? &thin.content : NULL, o->profile,
                                       o->bank_mask, pcr11);
        if (fd >= 0)
                close(fd);
out:
        thin_mapped_done(&thin);
        free(volume);
        free(pe);
        unmap_file(&m);
        return r;
}

int pcr_predict_main(int argc, char **argv) {
        struct pcr_options o = {};
        struct pcr_value pcr11[_PCR_BANK_MAX];
        struct pcr_value pcr12[_PCR_BANK_MAX];
        int r;

        r = parse_options("pcr predict", argc, argv, false, &o);
        if (r > 0) {
                printf("Usage: keel pcr predict UKI [--bank sha1,sha256,sha384,sha512] [--phase PHASE]... [--root DIR]\n"
                       "                        [--profile N]\n"
                       "Prints PCR 11 after booting UKI, as systemd-measure calculate does: one line\n"
                       "11:BANK=HEX per bank and phase. --phase= is the value before any systemd-pcrphase\n"
                       "word; the default phases are those systemd-measure uses.\n"
                       "A thin UKI is predicted with the content it names (the fat UKI's PCR 11), found on\n"
                       "DIR, or on the volume the UKI is in when it is in .../EFI/Linux/.\n"
                       "--profile N: the PCR 11 of a multi-profile UKI booted as \"@N\" (default 0).\n"
                       "--addon FILE (repeatable, in the order the stub finds them: \\loader\\addons\\ by name,\n"
                       "then <uki>.efi.extra.d\\ by name) also prints 12:BANK=HEX: PCR 12 after booting UKI\n"
                       "directly (its own command line) with these addons and no other PCR 12 input.\n");
                options_free(&o);
                return 0;
        }
        if (r == 0)
                r = predict(&o, pcr11);
        /* Computed before anything is printed: a bad addon gives one line and no output. */
        if (r == 0 && o.n_addons > 0)
                r = pcr12_predict_addons(o.uki_path, o.profile, o.addons, o.n_addons, o.bank_mask, pcr12);
        for (size_t p = 0; r == 0 && p < o.n_phases; p++) {
                if (isatty(STDERR_FILENO))
                        fprintf(stderr, "# PCR[11] Phase <%s>\n", o.phases[p][0] ? o.phases[p] : ":");
                for (size_t b = 0; r == 0 && b < _PCR_BANK_MAX; b++) {
                        struct pcr_value v = pcr11[b];

                        if (!(o.bank_mask & (1u << b)))
                                continue;
                        r = pcr_extend_phase(&v, o.phases[p]);
                        printf("11:%s=", pcr_bank_name(v.bank));
                        for (size_t i = 0; i < v.size; i++)
                                printf("%02x", v.digest[i]);
                        printf("\n");
                }
        }
        if (r == 0 && o.n_addons > 0) {
                for (size_t b = 0; r == 0 && b < _PCR_BANK_MAX; b++) {
                        if (!(o.bank_mask & (1u << b)))
                                continue;
                        printf("12:%s=", pcr_bank_name(pcr12[b].bank));
                        for (size_t i = 0; i < pcr12[b].size; i++)
                                printf("%02x", pcr12[b].digest[i]);
                        printf("\n");
                }
        }
        if (r == 0 && (fflush(stdout) != 0 || ferror(stdout)))
                r = log_error("cannot write to standard output");
        options_free(&o);
        return r < 0 ? 1 : 0;
}

int pcr_sign_main(int argc, char **argv) {
        struct pcr_options o = {};
        struct pcr_value pcr11[_PCR_BANK_MAX];
        struct pcr_signer signer = {};
        char *json = NULL;
        size_t json_size = 0;
        int r;

        r = parse_options("pcr sign", argc, argv, true, &o);
        if (r > 0) {
                printf("Usage: keel pcr sign UKI --private-key KEY.pem [--public-key PUB.pem]\n"
                       "                     [--bank LIST] [--phase PHASE]... [--policyref REF]\n"
                       "                     [--sign-initrd-pcrs] [--root DIR] [-o SIG.json]\n"
                       "Signs PCR 11 of UKI for each bank and phase, as systemd-measure 262 sign: the JSON\n"
                       "that systemd-stub finds in .pcrsig and systemd-cryptenroll --tpm2-public-key /\n"
                       "systemd-cryptsetup accept. --policyref REF binds these signatures to the policy\n"
                       "reference REF (systemd-cryptenroll --tpm2-public-key-policyref=REF).\n"
                       "--sign-initrd-pcrs adds what ukify 262 --sign-initrd-pcrs adds: the phase\n"
                       "enter-initrd bound to the reference \"initrd\" (systemd-tpm2-setup's NvPCRs,\n"
                       "disks that open only in the initrd); --no-sign-initrd-pcrs (the default) does not.\n"
                       "KEY.pem may be a PKCS#11 URI of an RSA key in a token (see keel sign --help).\n");
                options_free(&o);
                return 0;
        }
        if (r == 0)
                r = pcr_signer_load(o.private_key_path, o.public_key_path, &signer);
        if (r == 0)
                r = predict(&o, pcr11);
        if (r == 0) {
                /* The phases as systemd-measure sign --policyref, then ukify's initrd group. */
                struct pcr_policy_group groups[2] = {
                        { (const char *const *) o.phases, o.n_phases, o.policyref },
                        { pcr_initrd_phases, ARRAY_SIZE(pcr_initrd_phases), PCR_INITRD_POLICYREF },
                };
                r = pcr_sign_json(&signer, pcr11, o.bank_mask, groups, o.sign_initrd ? 2 : 1, &json, &json_size);
        }
        if (r == 0 && json_size > 0)
                json[json_size++] = '\n'; /* replaces the NUL: the buffer is not used as a string afterwards */
        if (r == 0 && o.output_path)
                r = write_file_atomic(o.output_path, json, json_size, 0644);
        else if (r == 0 && (fwrite(json, 1, json_size, stdout) != json_size || fflush(stdout) != 0))
                r = log_error("cannot write to standard output");
        free(json);
        pcr_signer_done(&signer);
        options_free(&o);
        return r < 0 ? 1 : 0;
}
