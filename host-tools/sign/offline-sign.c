/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/offline-sign.h"

static const char *const key_option[_SIGNING_KEY_MAX] = {
        [SIGNING_KEY_DB] = "--cert",
        [SIGNING_KEY_PCR] = "--pcrpkey",
};

static char *dir_path(const struct offline_signing *o, const char *name) {
        char *p = NULL;

        if (asprintf(&p, "%s/%s", o->dir, name) < 0)
                return NULL;
        return p;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 over the digest: what `openssl pkeyutl
 * -sign -pkeyopt digest:sha256` makes and what EVP_DigestSign() with
 * SHA-256 (keel's online signing) makes of the digested bytes. */
static bool signature_verifies(EVP_PKEY *key, const uint8_t digest[SIGNING_DIGEST_SIZE], const uint8_t *sig,
                               size_t sig_size) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                  EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
                  EVP_PKEY_verify(ctx, sig, sig_size, digest, SIGNING_DIGEST_SIZE) == 1;

        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
        return ok;
}

/* Reads and checks the signature of a request from the manifest. */
static int read_signature(struct offline_signing *o, int dir_fd, struct offline_entry *e) {
        const struct signing_request *q = &e->request;
        EVP_PKEY *key = o->public_key[q->key];
        size_t expected = key ? (size_t) EVP_PKEY_get_size(key) : 0;
        struct stat st;
        ssize_t n;
        int fd;

        if (!key)
                return log_error("%s: request %s (%s) is for the %s key, but no %s was given as for --prepare", o->dir,
                                 q->digest_file, q->purpose, signing_key_name(q->key), key_option[q->key]);
        fd = openat(dir_fd, q->signature_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT)
                return log_error("%s/%s is missing: sign %s with the %s key (%s)", o->dir, q->signature_file,
                                 q->digest_file, signing_key_name(q->key), q->purpose);
        if (fd < 0)
                return log_errno(errno, "cannot open %s/%s", o->dir, q->signature_file);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return log_error("%s/%s: not a regular file", o->dir, q->signature_file);
        }
        n = read(fd, e->signature, sizeof(e->signature));
        close(fd);
        if (n < 0)
                return log_errno(errno, "cannot read %s/%s", o->dir, q->signature_file);
        if ((size_t) n != expected || (uint64_t) st.st_size != expected)
                return log_error("%s/%s: %llu bytes, but a signature of the %s key has %zu", o->dir, q->signature_file,
                                 (unsigned long long) st.st_size, signing_key_name(q->key), expected);
        if (!signature_verifies(key, q->digest, e->signature, expected))
                return log_error("%s/%s does not verify with the %s key (%s): signed with another key or "
                                 "over other bytes", o->dir, q->signature_file, signing_key_name(q->key),
                                 key_option[q->key]);
        e->signature_size = expected;
        return 0;
}

static int load_requests(struct offline_signing *o) {
        struct signing_request *requests = NULL;
        uint8_t *text = NULL;
        size_t size = 0, n = 0;
        char *path = dir_path(o, SIGNING_MANIFEST_NAME), error[256];
        int dir_fd, r = -1;

        if (!path)
                return log_error("out of memory");
        if (read_file(path, SIGNING_MANIFEST_MAX, &text, &size) < 0)
                goto out;
        if (signing_manifest_parse(text, size, &requests, &n, error, sizeof(error)) < 0) {
                log_error("%s: %s", path, error);
                goto out;
        }
        o->entries = calloc(n + 16, sizeof(*o->entries));
        if (!o->entries) {
                log_error("out of memory");
                goto out;
        }
        o->capacity = n + 16;
        dir_fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                log_errno(errno, "cannot open %s", o->dir);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                o->entries[i].request = requests[i];
                if (read_signature(o, dir_fd, &o->entries[i]) < 0) {
                        close(dir_fd);
                        goto out;
                }
        }
        close(dir_fd);
        o->n_entries = o->n_known = n;
        r = 0;
out:
        free(requests);
        free(text);
        free(path);
        return r;
}

/* --prepare writes into a new or empty directory: no signature of an
 * earlier round can be taken for one of this one. */
static int check_empty(const char *dir) {
        bool empty;

        if (dir_empty_or_missing(dir, &empty) < 0)
                return -1;
        if (!empty)
                return log_error("%s is not empty: --prepare writes into a new directory", dir);
        return 0;
}

int offline_signing_init(struct offline_signing *o, const char *dir, bool joining, EVP_PKEY *db_key,
                         EVP_PKEY *pcr_key) {
        EVP_PKEY *keys[_SIGNING_KEY_MAX] = { [SIGNING_KEY_DB] = db_key, [SIGNING_KEY_PCR] = pcr_key };

        memset(o, 0, sizeof(*o));
        o->dir = dir;
        o->joining = joining;
        o->context = "";
        for (size_t k = 0; k < _SIGNING_KEY_MAX; k++)
                if (keys[k]) {
                        if (!EVP_PKEY_is_a(keys[k], "RSA") || EVP_PKEY_get_size(keys[k]) > OFFLINE_SIGNATURE_MAX) {
                                offline_signing_done(o);
                                return log_error("the %s key is not an RSA key of at most 8192 bits",
                                                 signing_key_name((enum signing_key) k));
                        }
                        EVP_PKEY_up_ref(keys[k]);
                        o->public_key[k] = keys[k];
                }
        if ((joining ? load_requests(o) : check_empty(dir)) < 0) {
                offline_signing_done(o);
                return -1;
        }
        return 0;
}

void offline_signing_done(struct offline_signing *o) {
        for (size_t k = 0; k < _SIGNING_KEY_MAX; k++)
                EVP_PKEY_free(o->public_key[k]);
        free(o->entries);
        memset(o, 0, sizeof(*o));
}

static bool pcr_signature_missing(const struct offline_signing *o) {
        for (size_t i = 0; i < o->n_entries; i++)
                if (o->entries[i].request.key == SIGNING_KEY_PCR && o->entries[i].signature_size == 0)
                        return true;
        return false;
}

static bool name_taken(const struct offline_signing *o, const struct signing_request *q) {
        for (size_t i = 0; i < o->n_entries; i++) {
                const struct signing_request *p = &o->entries[i].request;
                if (strcmp(p->digest_file, q->digest_file) == 0 || strcmp(p->signature_file, q->signature_file) == 0)
                        return true;
        }
        return false;
}

static int add_request(struct offline_signing *o, enum signing_key key, const uint8_t digest[SIGNING_DIGEST_SIZE],
                       const char *purpose) {
        struct offline_entry *e;

        if (o->n_entries >= SIGNING_REQUESTS_MAX)
                return log_error("more than %d signing requests", SIGNING_REQUESTS_MAX);
        if (o->n_entries == o->capacity) {
                size_t cap = o->capacity ? 2 * o->capacity : 64;
                struct offline_entry *grown = realloc(o->entries, cap * sizeof(*grown));
                if (!grown)
                        return log_error("out of memory");
                o->entries = grown;
                o->capacity = cap;
        }
        e = &o->entries[o->n_entries];
        memset(e, 0, sizeof(*e));
        e->request.key = key;
        memcpy(e->request.digest, digest, SIGNING_DIGEST_SIZE);
        snprintf(e->request.purpose, sizeof(e->request.purpose), "%s%s%s", o->context, o->context[0] ? ": " : "",
                 purpose);
        /* The manifest's names are anyone's: the next free number. */
        for (size_t index = o->n_entries; signing_request_name(index, &e->request), name_taken(o, &e->request);)
                index++;
        o->n_entries++;
        return 0;
}

int offline_sign(struct offline_signing *o, enum signing_key key, const uint8_t digest[SIGNING_DIGEST_SIZE],
                 const char *purpose, uint8_t **ret, size_t *ret_size) {
        EVP_PKEY *pub = key < _SIGNING_KEY_MAX ? o->public_key[key] : NULL;
        struct offline_entry *found = NULL;
        size_t size;

        if (!pub)
                return log_error("internal error: no %s key to sign offline with", signing_key_name(key));
        size = (size_t) EVP_PKEY_get_size(pub);
        for (size_t i = 0; i < o->n_entries && !found; i++)
                if (o->entries[i].request.key == key &&
                    memcmp(o->entries[i].request.digest, digest, SIGNING_DIGEST_SIZE) == 0)
                        found = &o->entries[i];
        if (found && found->signature_size) {
                found->used = true;
                size = found->signature_size;
        } else if (!found && !o->sizing) {
                if (key == SIGNING_KEY_DB && pcr_signature_missing(o))
                        o->n_deferred++;
                else if (add_request(o, key, digest, purpose) < 0)
                        return -1;
        }
        *ret = calloc(1, size);
        if (!*ret)
                return log_error("out of memory");
        if (found && found->signature_size)
                memcpy(*ret, found->signature, size);
        *ret_size = size;
        return 0;
}

static int write_requests(struct offline_signing *o) {
        char *text = NULL, *path;
        size_t size;
        struct signing_request *list = calloc(o->n_entries, sizeof(*list));
        int r = -1;

        if (!list)
                return log_error("out of memory");
        if (!o->joining && mkdir(o->dir, 0755) < 0 && errno != EEXIST) {
                log_errno(errno, "cannot create %s", o->dir);
                goto out;
        }
        for (size_t i = 0; i < o->n_entries; i++) {
                list[i] = o->entries[i].request;
                if (i < o->n_known)
                        continue;
                path = dir_path(o, list[i].digest_file);
                if (!path || write_file_atomic(path, list[i].digest, SIGNING_DIGEST_SIZE, 0644) < 0) {
                        free(path);
                        goto out;
                }
                free(path);
        }
        if (signing_manifest_format(list, o->n_entries, &text, &size) < 0) {
                log_error("out of memory");
                goto out;
        }
        /* The manifest last: until it names them, the new files are not requests. */
        path = dir_path(o, SIGNING_MANIFEST_NAME);
        r = path ? write_file_atomic(path, text, size, 0644) : log_error("out of memory");
        free(path);
out:
        free(text);
        free(list);
        return r;
}

int offline_signing_finish(struct offline_signing *o, enum offline_outcome *ret) {
        for (size_t i = 0; i < o->n_known; i++)
                if (!o->entries[i].used)
                        return log_error("%s: request %s (%s) matches nothing this run signs: the generations or "
                                         "options changed since --prepare; nothing was written", o->dir,
                                         o->entries[i].request.digest_file, o->entries[i].request.purpose);
        for (size_t i = o->n_known; o->joining && i < o->n_entries; i++)
                if (o->entries[i].request.key == SIGNING_KEY_PCR)
                        return log_error("%s: this run signs a PCR policy --prepare did not request (%s): the "
                                         "generations or options changed since; nothing was written", o->dir,
                                         o->entries[i].request.purpose);
        if (o->n_entries == o->n_known && o->n_deferred == 0) {
                *ret = OFFLINE_COMPLETE;
                return 0;
        }
        if (write_requests(o) < 0)
                return -1;
        *ret = OFFLINE_REQUESTED;
        return 0;
}
