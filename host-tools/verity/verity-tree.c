/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host-tools/core/log.h"
#include "host-tools/verity/verity-tree.h"
#include "common/error.h"

/* Bytes read per pread, and source bytes per work item: small enough to
 * spread a level over every thread, large enough that the per-item costs
 * (claiming it, one pwrite of its hash blocks) vanish next to hashing. */
#define READ_CHUNK (1u << 20)
#define ITEM_BYTES (4u << 20)

/* One level of the tree: the digests of src_blocks source blocks (data
 * blocks, or the hash blocks of the level below) packed into dst_blocks
 * hash blocks. Built, or checked against what the hash device holds. */
struct level_pass {
        const struct verity_tree *t;
        const EVP_MD *md;
        bool verify;
        int src_fd;
        uint64_t src_offset;
        uint32_t src_block_size;
        uint64_t src_blocks;
        uint64_t dst_offset;
        uint64_t dst_blocks;
        uint64_t item_dst_blocks;

        atomic_uint_fast64_t next_item;
        atomic_uint_fast64_t first_bad; /* lowest source block seen to mismatch */
        atomic_bool failed;
        pthread_mutex_t lock;
        int error;              /* errno of the first I/O failure */
        const char *error_what; /* "read", "write" or "hash" */
        const char *error_name;
};

static int pread_full(int fd, void *buf, size_t size, uint64_t offset) {
        uint8_t *p = buf;
        while (size > 0) {
                ssize_t n = pread(fd, p, size, (off_t) offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ENODATA; /* the device shrank under us */
                p += n;
                size -= (size_t) n;
                offset += (uint64_t) n;
        }
        return 0;
}

static int pwrite_full(int fd, const void *buf, size_t size, uint64_t offset) {
        const uint8_t *p = buf;
        while (size > 0) {
                ssize_t n = pwrite(fd, p, size, (off_t) offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                size -= (size_t) n;
                offset += (uint64_t) n;
        }
        return 0;
}

/* Hash type 1: digest(salt || block). */
static bool digest_block(EVP_MD_CTX *ctx, const EVP_MD *md, const struct verity_superblock *sb, const void *block,
                         size_t size, uint8_t *out) {
        return EVP_DigestInit_ex2(ctx, md, NULL) && (sb->salt_size == 0 || EVP_DigestUpdate(ctx, sb->salt, sb->salt_size)) &&
               EVP_DigestUpdate(ctx, block, size) && EVP_DigestFinal_ex(ctx, out, NULL);
}

static void pass_fail(struct level_pass *p, int error, const char *what, const char *name) {
        pthread_mutex_lock(&p->lock);
        if (!p->error) {
                p->error = error;
                p->error_what = what;
                p->error_name = name;
        }
        pthread_mutex_unlock(&p->lock);
        atomic_store(&p->failed, true);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* Hashes the source blocks [s0, s_end) that belong to the hash blocks
 * starting at d0 into dst (format), or compares them with stored (verify).
 * Returns false when the pass must stop. */
static bool process_item(struct level_pass *p, EVP_MD_CTX *ctx, uint8_t *buf, size_t buf_blocks, uint8_t *dst,
                         const uint8_t *stored, uint64_t d0, uint64_t nd) {
        const struct verity_tree *t = p->t;
        const struct verity_geometry *g = &t->geometry;
        uint32_t hbs = t->sb.hash_block_size;
        uint64_t s0 = d0 << g->hashes_per_block_bits;
        uint64_t s_end = min_u64(p->src_blocks, (d0 + nd) << g->hashes_per_block_bits);
        uint8_t digest[EVP_MAX_MD_SIZE];
        int r;

        if (!p->verify)
                memset(dst, 0, nd * hbs);
        for (uint64_t s = s0; s < s_end;) {
                size_t n = (size_t) min_u64(buf_blocks, s_end - s);

                if (p->verify && s > atomic_load(&p->first_bad))
                        return false;
                r = pread_full(p->src_fd, buf, n * p->src_block_size, p->src_offset + s * p->src_block_size);
                if (r < 0) {
                        pass_fail(p, -r, "read", p->src_fd == t->data_fd ? t->data_name : t->hash_name);
                        return false;
                }
                for (size_t k = 0; k < n; k++, s++) {
                        size_t at = (size_t) (s - s0) * g->digest_stride;
                        uint8_t *out = p->verify ? digest : dst + at;

                        if (!digest_block(ctx, p->md, &t->sb, buf + k * p->src_block_size, p->src_block_size, out)) {
                                pass_fail(p, ENOMEM, "hash", t->sb.algorithm);
                                return false;
                        }
                        if (p->verify && memcmp(digest, stored + at, g->digest_size) != 0) {
                                uint_fast64_t seen = atomic_load(&p->first_bad);
                                while (s < seen && !atomic_compare_exchange_weak(&p->first_bad, &seen, s))
                                        ;
                                return false;
                        }
                }
        }
        if (!p->verify) {
                r = pwrite_full(t->hash_fd, dst, nd * hbs, p->dst_offset + d0 * hbs);
                if (r < 0) {
                        pass_fail(p, -r, "write", t->hash_name);
                        return false;
                }
        }
        return true;
}

static void *pass_worker(void *userdata) {
        struct level_pass *p = userdata;
        const struct verity_tree *t = p->t;
        uint32_t hbs = t->sb.hash_block_size;
        size_t buf_blocks = READ_CHUNK / p->src_block_size ? READ_CHUNK / p->src_block_size : 1;
        size_t group_bytes = p->item_dst_blocks * hbs;
        uint8_t *buf = malloc(buf_blocks * p->src_block_size);
        uint8_t *dst = malloc(group_bytes);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!buf || !dst || !ctx) {
                pass_fail(p, ENOMEM, "allocate memory for", "the hash tree");
                goto out;
        }
        while (!atomic_load(&p->failed)) {
                uint64_t item = atomic_fetch_add(&p->next_item, 1);
                uint64_t d0, nd;
                int r;

                if (item >= (p->dst_blocks + p->item_dst_blocks - 1) / p->item_dst_blocks)
                        break;
                d0 = item * p->item_dst_blocks;
                nd = min_u64(p->item_dst_blocks, p->dst_blocks - d0);
                /* Items are claimed in order: once a lower block failed, no
                 * later item can report a lower one. */
                if (p->verify && (d0 << t->geometry.hashes_per_block_bits) > atomic_load(&p->first_bad))
                        break;
                if (p->verify) {
                        r = pread_full(t->hash_fd, dst, nd * hbs, p->dst_offset + d0 * hbs);
                        if (r < 0) {
                                pass_fail(p, -r, "read", t->hash_name);
                                break;
                        }
                }
                if (!process_item(p, ctx, buf, buf_blocks, dst, dst, d0, nd) && atomic_load(&p->failed))
                        break;
        }
out:
        EVP_MD_CTX_free(ctx);
        free(dst);
        free(buf);
        return NULL;
}

/* Runs one pass on up to t->threads threads, the calling one included. */
static int run_pass(struct level_pass *p) {
        uint64_t source_bytes_per_dst = (uint64_t) p->src_block_size << p->t->geometry.hashes_per_block_bits;
        uint64_t items;
        pthread_t threads[256];
        unsigned n_threads = p->t->threads, started = 0;
        int r = 0;

        p->item_dst_blocks = source_bytes_per_dst >= ITEM_BYTES ? 1 : ITEM_BYTES / source_bytes_per_dst;
        items = (p->dst_blocks + p->item_dst_blocks - 1) / p->item_dst_blocks;
        if (n_threads > items)
                n_threads = (unsigned) items;
        if (n_threads > 256)
                n_threads = 256;
        atomic_init(&p->next_item, 0);
        atomic_init(&p->first_bad, UINT64_MAX);
        atomic_init(&p->failed, false);
        pthread_mutex_init(&p->lock, NULL);
        p->error = 0;

        for (unsigned i = 1; i < n_threads; i++) {
                if (pthread_create(&threads[started], NULL, pass_worker, p) != 0)
                        break; /* fewer threads still finish the job */
                started++;
        }
        pass_worker(p);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        pthread_mutex_destroy(&p->lock);

        if (p->error) {
                if (p->error == ENODATA)
                        r = log_error("cannot %s %s: it ended early (did it shrink?)", p->error_what, p->error_name);
                else
                        r = log_errno(p->error, "cannot %s %s", p->error_what, p->error_name);
        }
        return r;
}

/* The pass that builds or checks level `level` from the level below it
 * (from the data for level 0). */
static void pass_init(struct level_pass *p, const struct verity_tree *t, const EVP_MD *md, unsigned level, bool verify) {
        const struct verity_geometry *g = &t->geometry;
        uint32_t hbs = t->sb.hash_block_size;

        memset(p, 0, sizeof(*p));
        p->t = t;
        p->md = md;
        p->verify = verify;
        if (level == 0) {
                p->src_fd = t->data_fd;
                p->src_offset = 0;
                p->src_block_size = t->sb.data_block_size;
                p->src_blocks = t->sb.data_blocks;
        } else {
                p->src_fd = t->hash_fd;
                p->src_offset = g->level_start[level - 1] * hbs;
                p->src_block_size = hbs;
                p->src_blocks = g->level_blocks[level - 1];
        }
        p->dst_offset = g->level_start[level] * hbs;
        p->dst_blocks = g->level_blocks[level];
}

/* The digest of the block the root hash covers: the top hash block, or the
 * only data block of a one-block device. */
static int top_digest(const struct verity_tree *t, const EVP_MD *md, uint8_t *out) {
        const struct verity_geometry *g = &t->geometry;
        bool data = g->levels == 0;
        uint32_t size = data ? t->sb.data_block_size : t->sb.hash_block_size;
        uint64_t offset = data ? 0 : g->level_start[g->levels - 1] * (uint64_t) t->sb.hash_block_size;
        uint8_t *block = malloc(size);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r = 0;

        if (!block || !ctx)
                r = log_error("out of memory");
        else if ((r = pread_full(data ? t->data_fd : t->hash_fd, block, size, offset)) < 0)
                r = log_errno(-r, "cannot read %s", data ? t->data_name : t->hash_name);
        else if (!digest_block(ctx, md, &t->sb, block, size, out))
                r = log_error("cannot compute %s digests", t->sb.algorithm);
        EVP_MD_CTX_free(ctx);
        free(block);
        return r;
}

int verity_tree_plan(struct verity_tree *t) {
        unsigned digest_size = verity_digest_size(t->sb.algorithm);
        int r;

        if (digest_size == 0)
                return log_error("unknown hash algorithm '%s' (known: sha1, sha224, sha256, sha384, sha512)",
                                 t->sb.algorithm);
        r = verity_geometry_compute(t->sb.data_blocks, t->sb.hash_block_size, digest_size, t->superblock,
                                    t->hash_offset, &t->geometry);
        if (r == KEEL_E_VERITY_BAD_HASH_OFFSET)
                return log_error("--hash-offset %llu: %s", (unsigned long long) t->hash_offset, keel_strerror(r));
        if (r != KEEL_OK)
                return log_error("%s", keel_strerror(r));
        if (t->threads == 0)
                t->threads = verity_default_threads();
        return 0;
}

static const EVP_MD *fetch_md(const struct verity_tree *t) {
        EVP_MD *md = EVP_MD_fetch(NULL, t->sb.algorithm, NULL);
        if (!md)
                log_error("OpenSSL has no %s implementation", t->sb.algorithm);
        return md;
}

int verity_tree_build(const struct verity_tree *t, uint8_t *ret_root_hash) {
        EVP_MD *md = (EVP_MD *) fetch_md(t);
        struct level_pass pass;
        int r = 0;

        if (!md)
                return -1;
        if (t->superblock) {
                uint8_t sb[VERITY_SUPERBLOCK_SIZE];
                r = verity_superblock_write(&t->sb, sb);
                if (r != KEEL_OK)
                        r = log_error("%s", keel_strerror(r));
                else if ((r = pwrite_full(t->hash_fd, sb, sizeof(sb), t->hash_offset)) < 0)
                        r = log_errno(-r, "cannot write %s", t->hash_name);
        }
        for (unsigned level = 0; r == 0 && level < t->geometry.levels; level++) {
                pass_init(&pass, t, md, level, false);
                r = run_pass(&pass);
        }
        if (r == 0)
                r = top_digest(t, md, ret_root_hash);
        EVP_MD_free(md);
        return r;
}

int verity_tree_verify(const struct verity_tree *t, const uint8_t *root_hash) {
        const struct verity_geometry *g = &t->geometry;
        EVP_MD *md = (EVP_MD *) fetch_md(t);
        uint8_t top[EVP_MAX_MD_SIZE];
        struct level_pass pass;
        int r;

        if (!md)
                return -1;
        r = top_digest(t, md, top);
        if (r == 0 && memcmp(top, root_hash, g->digest_size) != 0) {
                if (g->levels == 0)
                        r = log_error("verification failed at position 0 of %s (data block 0): verification of root "
                                      "hash failed", t->data_name);
                else
                        r = log_error("verification failed at position %llu of %s (top hash block): verification of "
                                      "root hash failed",
                                      (unsigned long long) (g->level_start[g->levels - 1] * t->sb.hash_block_size),
                                      t->hash_name);
        }
        /* Top down: a block is only blamed once its parent is known good. */
        for (unsigned level = g->levels; r == 0 && level-- > 0;) {
                uint64_t bad;

                pass_init(&pass, t, md, level, true);
                r = run_pass(&pass);
                bad = atomic_load(&pass.first_bad);
                if (r < 0 || bad == UINT64_MAX)
                        continue;
                if (level == 0)
                        r = log_error("verification failed at position %llu of %s (data block %llu): verification of "
                                      "data area failed",
                                      (unsigned long long) (bad * t->sb.data_block_size), t->data_name,
                                      (unsigned long long) bad);
                else
                        r = log_error("verification failed at position %llu of %s (hash block %llu of tree level %u): "
                                      "verification of hash area failed",
                                      (unsigned long long) (pass.src_offset + bad * t->sb.hash_block_size),
                                      t->hash_name, (unsigned long long) bad, level - 1);
        }
        EVP_MD_free(md);
        return r;
}

unsigned verity_default_threads(void) {
        cpu_set_t set;
        int n;

        if (sched_getaffinity(0, sizeof(set), &set) == 0 && (n = CPU_COUNT(&set)) > 0)
                return (unsigned) n;
        n = (int) sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (unsigned) n : 1;
}
