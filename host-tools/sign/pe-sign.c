/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "host-tools/sign/authenticode.h"
#include "common/uki.h"
#include "host-tools/core/log.h"
#include "host-tools/pe/pe-checksum.h"
#include "host-tools/sign/pe-sign.h"
#include "common/error.h"

/* What one signing needs to know about the image being signed. */
struct image {
        const char *name;                  /* for messages */
        int fd;                            /* the bulk is read from here */
        const uint8_t *data;               /* the whole file, mapped: headers and table */
        uint64_t size;
        struct authenticode_layout layout;
        uint8_t digest[AUTHENTICODE_DIGEST_SIZE];
        struct pe_checksum checksum;       /* of [0, image_end), header fields zeroed */
        int hash_result;
};

/* The layout to hash, after the checks the firmware side applies (a UKI
 * whose file view hides something is neither signed nor called valid). */
static int image_layout(struct image *img) {
        int r = authenticode_layout(img->data, img->size, img->size, &img->layout);
        if (r == KEEL_OK)
                r = uki_check_image_file(img->data, img->size);
        if (r != KEEL_OK)
                return log_error("%s: %s", img->name, keel_strerror(r));
        return 0;
}

/* The existing entries are kept verbatim; they must at least split cleanly. */
static int check_existing_table(const struct image *img, bool replace) {
        struct win_certificate entries[WIN_CERT_MAX_ENTRIES];
        size_t n;
        int r;

        if (replace || img->layout.cert_table_size == 0)
                return 0;
        r = win_certificate_parse(img->data + img->layout.cert_table_offset, img->layout.cert_table_size, entries,
                                  ARRAY_SIZE(entries), &n);
        if (r == KEEL_OK && n == WIN_CERT_MAX_ENTRIES)
                r = KEEL_E_WIN_CERT_TOO_MANY;
        if (r != KEEL_OK)
                return log_error("%s: cannot add a signature: %s (--replace drops the existing ones)", img->name,
                                 keel_strerror(r));
        return 0;
}

static uint64_t align8(uint64_t v) {
        return (v + 7) & ~(uint64_t) 7;
}

static void *hash_thread(void *userdata) {
        struct image *img = userdata;
        size_t pad = align8(img->layout.image_end) - img->layout.image_end;

        img->hash_result = authenticode_hash_fd(img->fd, &img->layout, pad, img->digest, &img->checksum);
        return NULL;
}

/* The new certificate table: the old entries (unless replaced), padded to
 * 8 bytes, then one WIN_CERTIFICATE with the signature, padded likewise. */
static int build_table(const struct image *img, bool replace, const uint8_t *sig, size_t sig_size, uint8_t **ret,
                       size_t *ret_size) {
        size_t old = replace ? 0 : img->layout.cert_table_size;
        size_t entry_start = align8(old), size;
        uint8_t *t;

        if (sig_size > UINT32_MAX - WIN_CERT_HEADER_SIZE - 7)
                return log_error("%s: signature too large", img->name);
        size = entry_start + align8(WIN_CERT_HEADER_SIZE + sig_size);
        t = calloc(1, size);
        if (!t)
                return log_error("out of memory");
        if (old > 0)
                memcpy(t, img->data + img->layout.cert_table_offset, old);
        write_le32(t + entry_start, (uint32_t) (WIN_CERT_HEADER_SIZE + sig_size));
        write_le16(t + entry_start + 4, WIN_CERT_REVISION_2_0);
        write_le16(t + entry_start + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        memcpy(t + entry_start + WIN_CERT_HEADER_SIZE, sig, sig_size);
        *ret = t;
        *ret_size = size;
        return 0;
}

static uint32_t fold16(uint32_t s) {
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return s;
}

/* The 16-bit one's-complement sum of a checksum state, without the length
 * pe_checksum_final() adds. */
static uint32_t checksum_sum(const struct pe_checksum *c) {
        return pe_checksum_final(c) - (uint32_t) c->length;
}

/* What n bytes at a file offset add to the sum: a byte at an odd offset is
 * the high half of its 16-bit word. */
static uint32_t checksum_contribution(const uint8_t *bytes, size_t n, uint64_t offset) {
        static const uint8_t zero;
        struct pe_checksum c;

        pe_checksum_init(&c);
        if (offset & 1)
                pe_checksum_update(&c, &zero, 1);
        pe_checksum_update(&c, bytes, n);
        return checksum_sum(&c);
}

/* Writes the padding and the table after the image, then the directory
 * entry and the checksum of the finished file. */
static int write_signature(struct atomic_file *f, struct image *img, const uint8_t *table, size_t table_size) {
        static const uint8_t zeros[8];
        const struct authenticode_layout *l = &img->layout;
        uint64_t table_offset = align8(l->image_end);
        size_t pad = table_offset - l->image_end;
        uint8_t dir[PE_DATA_DIRECTORY_SIZE], sum[4];

        if (table_offset > UINT32_MAX || table_size > UINT32_MAX - table_offset)
                return log_error("%s: %s", img->name, keel_strerror(KEEL_E_PE_IMAGE_TOO_LARGE));
        write_le32(dir, (uint32_t) table_offset);
        write_le32(dir + 4, (uint32_t) table_size);

        if (atomic_file_pwrite(f, zeros, pad, (off_t) l->image_end) < 0 ||
            atomic_file_pwrite(f, table, table_size, (off_t) table_offset) < 0)
                return -1;
        if (ftruncate(f->fd, (off_t) (table_offset + table_size)) < 0)
                return log_errno(errno, "cannot set the size of %s", f->final_path);

        /* The checksum already has the padding (see hash_thread()). */
        pe_checksum_update(&img->checksum, table, table_size);
        write_le32(sum, fold16(checksum_sum(&img->checksum) + checksum_contribution(dir, sizeof(dir), l->cert_dir_offset)) +
                                (uint32_t) img->checksum.length);

        if (atomic_file_pwrite(f, dir, sizeof(dir), l->cert_dir_offset) < 0 ||
            atomic_file_pwrite(f, sum, sizeof(sum), l->checksum_offset) < 0)
                return -1;
        return 0;
}

/* Everything after hashing: the PKCS#7 signature, the table, the headers. */
static int finish(struct atomic_file *f, struct image *img, const struct signer *s, bool replace) {
        uint8_t *sig = NULL, *table = NULL;
        size_t sig_size = 0, table_size = 0;
        int r = -1;

        if (img->hash_result < 0)
                return -1;
        if ((s->key ? authenticode_sign_digest(img->digest, s->key, s->cert, &sig, &sig_size)
                    : authenticode_sign_digest_offline(img->digest, s->cert, s->offline, &sig, &sig_size)) < 0)
                return -1;
        if (build_table(img, replace, sig, sig_size, &table, &table_size) < 0)
                goto err_free;
        r = write_signature(f, img, table, table_size);
err_free:
        free(table);
        OPENSSL_free(sig);
        return r;
}

int image_file_open(const char *path, struct image_file *ret) {
        struct stat st;
        void *p;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return log_errno(errno, "cannot open %s", path);
        if (fstat(fd, &st) < 0) {
                close(fd);
                return log_errno(errno, "cannot stat %s", path);
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return log_error("%s: not a regular file", path);
        }
        if (pe_file_check_size(NULL, path, (uint64_t) st.st_size) < 0) {
                close(fd);
                return -1;
        }
        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
                close(fd);
                return log_errno(errno, "cannot map %s", path);
        }
        *ret = (struct image_file) { .fd = fd, .data = p, .size = (uint64_t) st.st_size, .mode = st.st_mode & 07777 };
        return 0;
}

void image_file_close(struct image_file *f) {
        if (f->data)
                munmap((void *) f->data, f->size);
        if (f->fd >= 0)
                close(f->fd);
        f->data = NULL;
        f->fd = -1;
}

int pe_sign_file(const char *in_path, const char *out_path, const struct signer *s, bool replace) {
        struct image_file in;
        struct image img = { .name = in_path };
        struct atomic_file f;
        pthread_t thread;
        int r = -1;

        if (image_file_open(in_path, &in) < 0)
                return -1;
        img.fd = in.fd;
        img.data = in.data;
        img.size = in.size;
        if (image_layout(&img) < 0 || check_existing_table(&img, replace) < 0)
                goto err_close;
        if (atomic_file_open(out_path, &f) < 0)
                goto err_close;

        /* SHA-256 on one core while the kernel copies the image into the
         * output on the other. */
        if (pthread_create(&thread, NULL, hash_thread, &img) != 0) {
                log_error("cannot start a thread");
                goto err_abort;
        }
        r = atomic_file_append_file(&f, in.fd, img.layout.image_end, NULL, NULL);
        pthread_join(thread, NULL);
        if (r == 0)
                r = finish(&f, &img, s, replace);
        if (r == 0)
                r = atomic_file_commit(&f, in.mode);
err_abort:
        atomic_file_abort(&f);
err_close:
        image_file_close(&in);
        return r;
}

int pe_sign_atomic_file(struct atomic_file *f, uint64_t size, const struct signer *s) {
        struct image img = { .name = f->final_path, .fd = f->fd, .size = size };
        void *p;
        int r = -1;

        if (size == 0 || size > SIZE_MAX)
                return log_error("%s: %s", f->final_path, keel_strerror(KEEL_E_PE_TRUNCATED_DOS_HEADER));
        p = mmap(NULL, (size_t) size, PROT_READ, MAP_SHARED, f->fd, 0);
        if (p == MAP_FAILED)
                return log_errno(errno, "cannot map %s", f->temp_path);
        img.data = p;
        if (image_layout(&img) == 0 && check_existing_table(&img, false) == 0) {
                hash_thread(&img);
                r = finish(f, &img, s, false);
        }
        munmap(p, (size_t) size);
        return r;
}

int pe_sign_check_options(const char *key_path, const char *cert_path) {
        struct signer s;

        if (!key_path && !cert_path)
                return 0;
        if (!key_path || !cert_path)
                return log_error("--key and --cert go together");
        if (signer_load(key_path, cert_path, NULL, &s) < 0)
                return -1;
        signer_free(&s);
        return 0;
}

int pe_sign_output(struct atomic_file *f, uint64_t size, const char *key_path, const char *cert_path) {
        struct signer s;
        int r;

        if (signer_load(key_path, cert_path, NULL, &s) < 0)
                return -1;
        r = pe_sign_atomic_file(f, size, &s);
        signer_free(&s);
        return r;
}
