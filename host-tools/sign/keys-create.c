/* SPDX-License-Identifier: MIT */
/* keel keys create: a fresh Secure Boot key hierarchy (PK, KEK, db), the
 * EFI signature lists of their certificates and the authenticated variable
 * payloads that enroll them on firmware in Setup Mode. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "host-tools/core/commands.h"
#include "host-tools/sign/efi-auth.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/keys-create.h"
#include "host-tools/sign/signer.h"

/* RSA-2048: the size the UEFI specification names for PK and KEK, and the
 * one every firmware verifies. */
#define KEY_BITS 2048
#define CERT_DAYS 3650

enum { KEY_PK, KEY_KEK, KEY_DB, _KEY_MAX };

struct key_set {
        const char *name;            /* variable and file name */
        const efi_guid *vendor;
        int parent;                  /* the key that signs this variable's update */
        EVP_PKEY *key;
        X509 *cert;
        uint8_t *esl, *auth;
        size_t esl_size, auth_size;
};

static const char *const file_suffixes[] = { ".key", ".crt", ".esl", ".auth" };
static const char *const set_names[] = { "PK", "KEK", "db" };
#define N_SUFFIXES (sizeof(file_suffixes) / sizeof(file_suffixes[0]))

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel keys create DIR [--cn NAME]\n"
                "Creates RSA-%d Secure Boot keys and self-signed certificates for PK, KEK and db\n"
                "(DIR/{PK,KEK,db}.{key,crt}), their EFI signature lists (.esl) and time-based\n"
                "authenticated variable payloads (.auth: PK signed by PK, KEK by PK, db by KEK)\n"
                "that firmware in Setup Mode accepts, plus DIR/GUID, the signature owner.\n"
                "Certificates are named \"NAME PK\", \"NAME KEK\", \"NAME db\" (NAME defaults to keel).\n"
                "DIR must not exist or be empty; it appears complete or not at all, mode 0700\n"
                "(private keys 0600).\n",
                KEY_BITS);
}

static int set_extension(X509 *cert, int nid, const char *value) {
        X509V3_CTX ctx;
        X509_EXTENSION *ext;
        int ok;

        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        ok = ext && X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
        return ok ? 0 : -1;
}

static int set_random_serial(X509 *cert) {
        uint8_t bytes[16];
        BIGNUM *bn;
        int ok;

        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
                return -1;
        bytes[0] &= 0x7f; /* positive */
        bytes[0] |= 0x40; /* and always 16 bytes long */
        bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
        BN_free(bn);
        return ok ? 0 : -1;
}

/* A self-signed leaf: the key signs variables or images, never other
 * certificates. */
static X509 *make_certificate(EVP_PKEY *key, const char *cn) {
        X509 *cert = X509_new();
        X509_NAME *name = X509_NAME_new();

        if (!cert || !name || !X509_set_version(cert, X509_VERSION_3) || set_random_serial(cert) < 0)
                goto err_free;
        if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0) ||
            !X509_set_subject_name(cert, name) || !X509_set_issuer_name(cert, name))
                goto err_free;
        if (!X509_gmtime_adj(X509_getm_notBefore(cert), 0) ||
            !X509_time_adj_ex(X509_getm_notAfter(cert), CERT_DAYS, 0, NULL) || !X509_set_pubkey(cert, key))
                goto err_free;
        if (set_extension(cert, NID_subject_key_identifier, "hash") < 0 ||
            set_extension(cert, NID_authority_key_identifier, "keyid:always") < 0 ||
            set_extension(cert, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            set_extension(cert, NID_key_usage, "critical,digitalSignature") < 0)
                goto err_free;
        if (X509_sign(cert, key, EVP_sha256()) <= 0)
                goto err_free;
        X509_NAME_free(name);
        return cert;
err_free:
        X509_NAME_free(name);
        X509_free(cert);
        return NULL;
}

static int generate(struct key_set keys[_KEY_MAX], const char *cn, const efi_guid *owner) {
        uint8_t timestamp[EFI_TIME_SIZE];

        for (int i = 0; i < _KEY_MAX; i++) {
                char subject[256];

                keys[i].key = EVP_RSA_gen(KEY_BITS);
                if (!keys[i].key)
                        return log_error("cannot generate an RSA key");
                snprintf(subject, sizeof(subject), "%s %s", cn, keys[i].name);
                keys[i].cert = make_certificate(keys[i].key, subject);
                if (!keys[i].cert)
                        return log_error("cannot create the %s certificate", keys[i].name);
                if (efi_signature_list_x509(owner, keys[i].cert, &keys[i].esl, &keys[i].esl_size) < 0)
                        return -1;
        }
        /* One timestamp for the set; firmware only wants it newer than what
         * it holds, and in Setup Mode it holds nothing. */
        efi_time_from_unix((int64_t) time(NULL), timestamp);
        for (int i = 0; i < _KEY_MAX; i++) {
                const struct key_set *p = &keys[keys[i].parent];
                if (efi_auth2_create(keys[i].name, keys[i].vendor, EFI_SECURE_BOOT_VARIABLE_ATTRIBUTES, timestamp,
                                     keys[i].esl, keys[i].esl_size, p->key, p->cert, &keys[i].auth,
                                     &keys[i].auth_size) < 0)
                        return -1;
        }
        return 0;
}

static int write_in(const char *dir, const char *name, const char *suffix, const void *data, size_t size, mode_t mode) {
        char path[PATH_MAX];

        if ((size_t) snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix) >= sizeof(path))
                return log_error("path too long: %s/%s%s", dir, name, suffix);
        return write_file_atomic(path, data, size, mode);
}

typedef int (*pem_writer)(BIO *bio, const void *object);

static int pem_key(BIO *bio, const void *key) {
        return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *) key, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(BIO *bio, const void *cert) {
        return PEM_write_bio_X509(bio, (X509 *) cert);
}

static int write_pem(const char *dir, const char *name, const char *suffix, pem_writer writer, const void *object,
                     mode_t mode) {
        BIO *bio = BIO_new(BIO_s_mem());
        char *data;
        long size;
        int r;

        if (!bio || writer(bio, object) != 1) {
                BIO_free(bio);
                return log_error("cannot encode %s%s", name, suffix);
        }
        size = BIO_get_mem_data(bio, &data);
        r = write_in(dir, name, suffix, data, (size_t) size, mode);
        BIO_free(bio);
        return r;
}

static int write_set(const char *dir, const struct key_set keys[_KEY_MAX], const efi_guid *owner) {
        char guid[38];

        for (int i = 0; i < _KEY_MAX; i++) {
                const struct key_set *k = &keys[i];
                if (write_pem(dir, k->name, ".key", pem_key, k->key, 0600) < 0 ||
                    write_pem(dir, k->name, ".crt", pem_cert, k->cert, 0644) < 0 ||
                    write_in(dir, k->name, ".esl", k->esl, k->esl_size, 0644) < 0 ||
                    write_in(dir, k->name, ".auth", k->auth, k->auth_size, 0644) < 0)
                        return -1;
        }
        efi_guid_to_string(owner, guid);
        guid[36] = '\n';
        return write_in(dir, "GUID", "", guid, 37, 0644);
}

static void remove_set(const char *dir, const struct key_set keys[_KEY_MAX]) {
        char path[PATH_MAX];

        for (int i = 0; i < _KEY_MAX; i++)
                for (size_t j = 0; j < N_SUFFIXES; j++) {
                        snprintf(path, sizeof(path), "%s/%s%s", dir, keys[i].name, file_suffixes[j]);
                        unlink(path);
                }
        snprintf(path, sizeof(path), "%s/GUID", dir);
        unlink(path);
        rmdir(dir);
}

/* DIR may not hold anything yet: keys are never overwritten. */
static int check_target(const char *dir) {
        bool empty;

        if (dir_empty_or_missing(dir, &empty) < 0)
                return -1;
        if (!empty)
                return log_error("%s already exists and is not empty; keys are never overwritten", dir);
        return 0;
}

static void free_set(struct key_set keys[_KEY_MAX]) {
        for (int i = 0; i < _KEY_MAX; i++) {
                EVP_PKEY_free(keys[i].key);
                X509_free(keys[i].cert);
                free(keys[i].esl);
                free(keys[i].auth);
        }
}

int keys_state(const char *dir, enum keys_state *ret, const char **ret_missing) {
        static char missing[16];
        size_t present = 0, total = 0;
        struct stat st;

        *ret_missing = NULL;
        *ret = KEYS_NONE;
        if (stat(dir, &st) < 0)
                return errno == ENOENT ? 0 : log_errno(errno, "cannot read %s", dir);
        if (!S_ISDIR(st.st_mode))
                return log_error("%s is not a directory", dir);
        for (size_t i = 0; i < _KEY_MAX; i++)
                for (size_t j = 0; j < N_SUFFIXES; j++) {
                        char path[PATH_MAX];
                        if ((size_t) snprintf(path, sizeof(path), "%s/%s%s", dir, set_names[i], file_suffixes[j]) >=
                            sizeof(path))
                                return log_error("path too long: %s", dir);
                        total++;
                        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
                                present++;
                        else if (!*ret_missing) {
                                snprintf(missing, sizeof(missing), "%s%s", set_names[i], file_suffixes[j]);
                                *ret_missing = missing;
                        }
                }
        *ret = present == 0 ? KEYS_NONE : present == total ? KEYS_COMPLETE : KEYS_PARTIAL;
        return 0;
}

static int create(const char *dir, const char *cn) {
        struct key_set keys[_KEY_MAX] = {
                [KEY_PK] = { .name = "PK", .vendor = &efi_global_variable_guid, .parent = KEY_PK },
                [KEY_KEK] = { .name = "KEK", .vendor = &efi_global_variable_guid, .parent = KEY_PK },
                [KEY_DB] = { .name = "db", .vendor = &efi_image_security_database_guid, .parent = KEY_KEK },
        };
        char temp[PATH_MAX], parent[PATH_MAX];
        efi_guid owner;
        int r = -1;

        if (check_target(dir) < 0)
                return -1;
        if ((size_t) snprintf(temp, sizeof(temp), "%s.XXXXXX", dir) >= sizeof(temp))
                return log_error("path too long: %s", dir);
        if (RAND_bytes(owner.b, sizeof(owner.b)) != 1)
                return log_error("no random numbers");
        owner.b[7] = (uint8_t) ((owner.b[7] & 0x0f) | 0x40);  /* version 4 (Data3's high nibble) */
        owner.b[8] = (uint8_t) ((owner.b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */

        if (generate(keys, cn, &owner) < 0)
                goto err_free;
        if (!mkdtemp(temp)) {
                log_errno(errno, "cannot create a directory next to %s", dir);
                goto err_free;
        }
        /* mkdtemp() made it 0700; said again, as this is what keeps the
         * private keys private whatever the umask. */
        if (chmod(temp, 0700) < 0) {
                log_errno(errno, "cannot set the mode of %s", temp);
                remove_set(temp, keys);
                goto err_free;
        }
        if (write_set(temp, keys, &owner) < 0) {
                remove_set(temp, keys);
                goto err_free;
        }
        (void) fsync_path(temp);
        /* rename() replaces an empty directory, never a full one. */
        if (rename(temp, dir) < 0) {
                if (errno == ENOTEMPTY || errno == EEXIST)
                        log_error("%s already exists and is not empty; keys are never overwritten", dir);
                else
                        log_errno(errno, "cannot rename %s to %s", temp, dir);
                remove_set(temp, keys);
                goto err_free;
        }
        snprintf(parent, sizeof(parent), "%s", dir);
        (void) fsync_path(dirname(parent));
        r = 0;
err_free:
        free_set(keys);
        return r;
}

/* Bytes of the set's own db.esl and db.auth: the first signature's owner
 * and the timestamp (EFI_VARIABLE_AUTHENTICATION_2 begins with it). */
#define ESL_HEADER_SIZE 28
#define SET_FILE_MAX (64u * 1024)

static int read_in(const char *dir, const char *name, size_t min, uint8_t **ret, size_t *ret_size) {
        char path[PATH_MAX];

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return log_error("path too long: %s/%s", dir, name);
        if (read_file(path, SET_FILE_MAX, ret, ret_size) < 0)
                return -1;
        if (*ret_size < min) {
                free(*ret);
                return log_error("%s is too short for its kind", path);
        }
        return 0;
}

static int append(uint8_t **buf, size_t *size, const uint8_t *data, size_t n) {
        uint8_t *grown = realloc(*buf, *size + n);

        if (!grown)
                return log_error("out of memory");
        memcpy(grown + *size, data, n);
        *buf = grown;
        *size += n;
        return 0;
}

int keys_db_auth_with_certs(const char *dir, const char *const *cert_paths, size_t n, uint8_t **ret, size_t *ret_size) {
        uint8_t *esl = NULL, *auth = NULL, *extra;
        size_t esl_size, auth_size, extra_size;
        char key_path[PATH_MAX], cert_path[PATH_MAX];
        EVP_PKEY *kek = NULL;
        X509 *kek_cert = NULL;
        efi_guid owner;
        int r = -1;

        *ret = NULL;
        if (read_in(dir, "db.esl", ESL_HEADER_SIZE + sizeof(owner.b), &esl, &esl_size) < 0)
                return -1;
        if (read_in(dir, "db.auth", EFI_TIME_SIZE, &auth, &auth_size) < 0)
                goto out;
        memcpy(owner.b, esl + ESL_HEADER_SIZE, sizeof(owner.b));
        for (size_t i = 0; i < n; i++) {
                X509 *cert = certificate_load(cert_paths[i]);
                int a;
                if (!cert)
                        goto out;
                a = efi_signature_list_x509(&owner, cert, &extra, &extra_size);
                X509_free(cert);
                if (a < 0)
                        goto out;
                a = append(&esl, &esl_size, extra, extra_size);
                free(extra);
                if (a < 0)
                        goto out;
        }
        snprintf(key_path, sizeof(key_path), "%s/KEK.key", dir);
        snprintf(cert_path, sizeof(cert_path), "%s/KEK.crt", dir);
        kek = private_key_load(key_path, NULL);
        kek_cert = kek ? certificate_load(cert_path) : NULL;
        if (!kek_cert)
                goto out;
        r = efi_auth2_create("db", &efi_image_security_database_guid, EFI_SECURE_BOOT_VARIABLE_ATTRIBUTES, auth, esl,
                             esl_size, kek, kek_cert, ret, ret_size);
out:
        EVP_PKEY_free(kek);
        X509_free(kek_cert);
        free(esl);
        free(auth);
        return r;
}

int keys_create(const char *path, const char *cn) {
        char dir[PATH_MAX];
        size_t len = strlen(path);

        /* "DIR/" names DIR: the temporary must go next to it, not inside. */
        while (len > 1 && path[len - 1] == '/')
                len--;
        if (len == 0 || len >= sizeof(dir) - sizeof(".XXXXXX"))
                return log_error("keys create: invalid DIR '%s'", path);
        memcpy(dir, path, len);
        dir[len] = '\0';
        return create(dir, cn);
}

int keys_create_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "cn", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *cn = "keel";
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
                switch (c) {
                case 'n': cn = optarg; break;
                case 'h': usage(stdout); return 0;
                case ':': return -log_error("keys create: option %s needs a value", argv[optind - 1]);
                default: return -log_error("keys create: unknown option %s", argv[optind - 1]);
                }
        }
        if (optind + 1 != argc)
                return -log_error("keys create: expected exactly one DIR (try 'keel keys create --help')");
        if (cn[0] == '\0' || strlen(cn) > 200)
                return -log_error("keys create: --cn must be 1 to 200 characters");
        if (keys_create(argv[optind], cn) < 0)
                return 1;
        printf("%s: PK, KEK and db keys, certificates, .esl and .auth (enroll db, then KEK, then PK)\n", argv[optind]);
        return 0;
}
