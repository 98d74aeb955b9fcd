/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/pkcs11-uri.h"
#include "host-tools/sign/pkcs11.h"
#include "host-tools/sign/signer.h"

#define KEY_FILE_MAX (1024u * 1024)

struct passphrase {
        const char *text;   /* NULL: none given */
        bool asked;         /* the key turned out to be encrypted */
};

/* Never prompts: without a passphrase the read fails and says why. */
static int passphrase_cb(char *buf, int size, int rwflag, void *userdata) {
        struct passphrase *p = userdata;
        size_t n;

        (void) rwflag;
        p->asked = true;
        if (!p->text || size <= 0)
                return -1;
        n = strlen(p->text);
        if (n > (size_t) size)
                return -1;
        memcpy(buf, p->text, n);
        return (int) n;
}

static int read_passphrase(const char *path, char **ret) {
        uint8_t *data;
        size_t size;

        if (read_file(path, 4096, &data, &size) < 0)
                return -1;
        data[strcspn((char *) data, "\r\n")] = '\0';
        *ret = (char *) data;
        return 0;
}

static EVP_PKEY *key_load(const char *path, const char *passphrase) {
        struct passphrase pw = { .text = passphrase };
        uint8_t *data;
        size_t size;
        EVP_PKEY *key = NULL;
        BIO *bio;

        if (read_file(path, KEY_FILE_MAX, &data, &size) < 0)
                return NULL;
        bio = BIO_new_mem_buf(data, (int) size);
        if (bio)
                key = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, &pw);
        if (!key && bio && !pw.asked) {
                const unsigned char *p = data;
                ERR_clear_error();
                key = d2i_AutoPrivateKey(NULL, &p, (long) size);
        }
        ERR_clear_error();
        BIO_free(bio);
        OPENSSL_cleanse(data, size);
        free(data);

        if (!key) {
                if (pw.asked && !passphrase)
                        log_error("key %s is encrypted; give its passphrase with --passphrase-file", path);
                else if (pw.asked)
                        log_error("cannot decrypt key %s: wrong passphrase", path);
                else
                        log_error("%s: not a PEM or DER private key", path);
        }
        return key;
}

EVP_PKEY *private_key_load(const char *path_or_uri, const char *passphrase_path) {
        char *passphrase = NULL;
        EVP_PKEY *key;

        if (pkcs11_is_uri(path_or_uri)) {
                if (passphrase_path) {
                        log_error("%.*s: --passphrase-file is for key files; give the token's PIN in the URI "
                                  "(pin-source=file:PATH)",
                                  pkcs11_printable_length(path_or_uri), path_or_uri);
                        return NULL;
                }
                return pkcs11_load_private_key(path_or_uri);
        }
        if (passphrase_path && read_passphrase(passphrase_path, &passphrase) < 0)
                return NULL;
        key = key_load(path_or_uri, passphrase);
        if (passphrase) {
                OPENSSL_cleanse(passphrase, strlen(passphrase));
                free(passphrase);
        }
        return key;
}

X509 *certificate_load(const char *path) {
        uint8_t *data;
        size_t size;
        X509 *cert = NULL;
        BIO *bio;

        if (pkcs11_is_uri(path))
                return pkcs11_load_certificate(path);
        if (read_file(path, KEY_FILE_MAX, &data, &size) < 0)
                return NULL;
        bio = BIO_new_mem_buf(data, (int) size);
        if (bio)
                cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!cert) {
                const unsigned char *p = data;
                cert = d2i_X509(NULL, &p, (long) size);
        }
        ERR_clear_error();
        BIO_free(bio);
        free(data);
        if (!cert)
                log_error("%s: not a PEM or DER X.509 certificate", path);
        return cert;
}

int signer_load(const char *key_path, const char *cert_path, const char *passphrase_path, struct signer *ret) {
        /* Names as messages may show them: a URI without its query (the PIN). */
        int key_len = pkcs11_printable_length(key_path), cert_len = pkcs11_printable_length(cert_path);

        ret->key = NULL;
        ret->cert = NULL;
        ret->offline = NULL;
        ret->key = private_key_load(key_path, passphrase_path);
        if (!ret->key)
                goto err_free;
        ret->cert = certificate_load(cert_path);
        if (!ret->cert)
                goto err_free;
        if (!EVP_PKEY_is_a(ret->key, "RSA")) {
                log_error("key %.*s is not an RSA key (UEFI firmware verifies RSA signatures only)", key_len, key_path);
                goto err_free;
        }
        if (X509_check_private_key(ret->cert, ret->key) != 1) {
                ERR_clear_error();
                log_error("key %.*s does not belong to certificate %.*s", key_len, key_path, cert_len, cert_path);
                goto err_free;
        }
        return 0;
err_free:
        signer_free(ret);
        return -1;
}

void signer_free(struct signer *s) {
        EVP_PKEY_free(s->key);
        X509_free(s->cert);
        s->key = NULL;
        s->cert = NULL;
}
