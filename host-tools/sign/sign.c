/* SPDX-License-Identifier: MIT */
/* keel sign / keel verify: Authenticode signatures on UEFI images. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "host-tools/sign/authenticode.h"
#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/pe-sign.h"
#include "host-tools/sign/signer.h"
#include "common/error.h"
#include "common/uki.h"

#define MAX_TRUSTED 16

static void sign_usage(FILE *f) {
        fprintf(f,
                "Usage: keel sign --key KEY --cert CERT [--passphrase-file FILE] [--replace] [-o OUTPUT] IMAGE\n"
                "Adds an Authenticode signature (SHA-256, PKCS#7) to a UEFI PE image. Without -o the image\n"
                "is replaced. Existing signatures are kept unless --replace is given.\n"
                "KEY and CERT are files (PEM or DER) or PKCS#11 URIs (RFC 7512) of objects in a token, e.g.\n"
                "  --key 'pkcs11:token=fleet;object=db;type=private?pin-source=file:/run/keys/pin'\n"
                "  --cert 'pkcs11:token=fleet;object=db;type=cert'\n"
                "The PKCS#11 module is the URI's module-path=, else $KEEL_PKCS11_MODULE, else p11-kit-proxy.\n"
                "--passphrase-file FILE: the first line of FILE decrypts an encrypted KEY file.\n");
}

int sign_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "key", required_argument, NULL, 'k' },
                { "cert", required_argument, NULL, 'c' },
                { "passphrase-file", required_argument, NULL, 'p' },
                { "replace", no_argument, NULL, 'r' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *key = NULL, *cert = NULL, *passphrase = NULL, *output = NULL, *input;
        struct signer s;
        bool replace = false;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 'k': key = optarg; break;
                case 'c': cert = optarg; break;
                case 'p': passphrase = optarg; break;
                case 'r': replace = true; break;
                case 'o': output = optarg; break;
                case 'h': sign_usage(stdout); return 0;
                case ':': return -log_error("sign: option %s needs a value", argv[optind - 1]);
                default: return -log_error("sign: unknown option %s", argv[optind - 1]);
                }
        }
        if (!key || !cert)
                return -log_error("sign: --key and --cert are required");
        if (optind + 1 != argc)
                return -log_error("sign: expected exactly one IMAGE (try 'keel sign --help')");
        input = argv[optind];

        if (signer_load(key, cert, passphrase, &s) < 0)
                return 1;
        r = pe_sign_file(input, output ? output : input, &s, replace);
        signer_free(&s);
        return r < 0 ? 1 : 0;
}

static void verify_usage(FILE *f) {
        fprintf(f,
                "Usage: keel verify --cert CERT [--cert CERT]... IMAGE\n"
                "Checks that a UEFI PE image carries a valid Authenticode signature by one of the\n"
                "certificates (or by a certificate they issued), as UEFI firmware checks it against db.\n"
                "CERT is a file (PEM or DER) or a PKCS#11 URI (see keel sign --help).\n");
}

/* Hashes the image and tries each signature; 0 when one is valid. The
 * verdicts go to stdout when one is, into the one error line otherwise. */
static int verify_image(const char *path, X509_STORE *trusted) {
        struct win_certificate entries[WIN_CERT_MAX_ENTRIES];
        struct authenticode_layout l;
        uint8_t digest[AUTHENTICODE_DIGEST_SIZE];
        struct image_file m;
        enum authenticode_verdict verdicts[WIN_CERT_MAX_ENTRIES];
        char *signers[WIN_CERT_MAX_ENTRIES] = {};
        char why[1024] = "";
        size_t n = 0, len = 0;
        bool ok = false, any = false;
        int r;

        if (image_file_open(path, &m) < 0)
                return -1;
        r = authenticode_layout(m.data, m.size, m.size, &l);
        /* A good signature on an image whose file view hides what the
         * firmware loads is no reason to call it valid. */
        if (r == KEEL_OK)
                r = uki_check_image_file(m.data, m.size);
        if (r == KEEL_OK && l.cert_table_size > 0)
                r = win_certificate_parse(m.data + l.cert_table_offset, l.cert_table_size, entries, ARRAY_SIZE(entries), &n);
        if (r != KEEL_OK) {
                image_file_close(&m);
                return log_error("%s: %s", path, keel_strerror(r));
        }
        if (authenticode_hash_fd(m.fd, &l, 0, digest, NULL) < 0) {
                image_file_close(&m);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                if (entries[i].type != WIN_CERT_TYPE_PKCS_SIGNED_DATA)
                        continue;
                verdicts[i] = authenticode_verify_blob(entries[i].data, entries[i].data_size, digest, trusted, &signers[i]);
                ok = ok || verdicts[i] == AUTHENTICODE_OK;
                if (len < sizeof(why))
                        len += (size_t) snprintf(why + len, sizeof(why) - len, "%ssignature %zu: %s", any ? "; " : "",
                                                 i + 1, authenticode_verdict_text(verdicts[i]));
                any = true;
        }
        image_file_close(&m);

        if (ok)
                for (size_t i = 0; i < n; i++)
                        if (entries[i].type == WIN_CERT_TYPE_PKCS_SIGNED_DATA)
                                printf("signature %zu: %s: %s\n", i + 1, signers[i] ? signers[i] : "(unknown signer)",
                                       authenticode_verdict_text(verdicts[i]));
        for (size_t i = 0; i < n; i++)
                OPENSSL_free(signers[i]);
        if (ok)
                return 0;
        if (!any)
                return log_error("%s: not signed", path);
        return log_error("%s: no valid signature (%s)", path, why);
}

int verify_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "cert", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *cert_paths[MAX_TRUSTED];
        X509 *certs[MAX_TRUSTED];
        size_t n_certs = 0;
        X509_STORE *store = NULL;
        int c, r = -1;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'c':
                        if (n_certs == MAX_TRUSTED)
                                return -log_error("verify: too many --cert (at most %d)", MAX_TRUSTED);
                        cert_paths[n_certs++] = optarg;
                        break;
                case 'h': verify_usage(stdout); return 0;
                case ':': return -log_error("verify: option %s needs a value", argv[optind - 1]);
                default: return -log_error("verify: unknown option %s", argv[optind - 1]);
                }
        }
        if (n_certs == 0)
                return -log_error("verify: --cert is required");
        if (optind + 1 != argc)
                return -log_error("verify: expected exactly one IMAGE (try 'keel verify --help')");

        for (size_t i = 0; i < n_certs; i++)
                certs[i] = NULL;
        for (size_t i = 0; i < n_certs; i++)
                if (!(certs[i] = certificate_load(cert_paths[i])))
                        goto err_free;
        store = authenticode_trust_store(certs, n_certs);
        if (!store) {
                log_error("out of memory");
                goto err_free;
        }
        r = verify_image(argv[optind], store);
err_free:
        X509_STORE_free(store);
        for (size_t i = 0; i < n_certs; i++)
                X509_free(certs[i]);
        return r < 0 ? 1 : 0;
}
