/* SPDX-License-Identifier: MIT */
/* Adds an Authenticode signature to a PE image: the signature goes into a
 * new WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA) at the end of the
 * certificate table, which starts 8-byte aligned after the image; the
 * security directory entry and the PE checksum are updated. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "host-tools/core/fileio.h"
#include "host-tools/sign/signer.h"

/* An image to read: a descriptor for the bulk and a read-only mapping for
 * the headers and the certificate table. */
struct image_file {
        int fd;
        const uint8_t *data;
        uint64_t size;
        mode_t mode;
};
int image_file_open(const char *path, struct image_file *ret);
void image_file_close(struct image_file *f);

/* Signs the image in in_path and writes the result to out_path (which may
 * be in_path: the file is then replaced atomically). replace drops the
 * signatures the image already has; otherwise the new one is added to them. */
int pe_sign_file(const char *in_path, const char *out_path, const struct signer *s, bool replace);

/* Signs the complete, unsigned-or-signed PE image of size bytes that f holds
 * (a file still being created); f is left ready for atomic_file_commit(). */
int pe_sign_atomic_file(struct atomic_file *f, uint64_t size, const struct signer *s);

/* keel uki build --key/--cert: both or neither; the key and certificate
 * are checked before anything is built. */
int pe_sign_check_options(const char *key_path, const char *cert_path);
/* Signs the UKI f holds (size bytes) with the key and certificate. */
int pe_sign_output(struct atomic_file *f, uint64_t size, const char *key_path, const char *cert_path);
