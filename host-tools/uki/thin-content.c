/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <openssl/evp.h>

#include "host-tools/uki/thin-content.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/entries/esp.h"
#include "common/error.h"
#include "common/measure.h"

#define HASH_CHUNK (1024u * 1024)

/* SHA-256 and size of what fd holds from offset 0 on. Returns 0, -1 on a
 * read error (errno set), -2 when OpenSSL fails. */
/* SHA-256 and size of what fd holds from offset 0 on. Returns 0, -1 on a
 * read error (errno set), -2 when OpenSSL fails. (Reading 1 MiB at a time
 * beats a mapping here: the buffer stays in the cache, faulting in pages
 * of a mapping costs more than the copy.) */
static int hash_fd(int fd, uint8_t ret_digest[THIN_SHA256_SIZE], uint64_t *ret_size) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t *buf = malloc(HASH_CHUNK);
        uint64_t size = 0;
        int r = -2;

        if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                goto out;
        for (;;) {
                ssize_t n = pread(fd, buf, HASH_CHUNK, (off_t) size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -1;
                        goto out;
                }
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(ctx, buf, (size_t) n) != 1)
                        goto out;
                size += (uint64_t) n;
        }
        if (EVP_DigestFinal_ex(ctx, ret_digest, NULL) != 1)
                goto out;
        *ret_size = size;
        r = 0;
out:
        EVP_MD_CTX_free(ctx);
        free(buf);
        return r;
}

/* One process hashes the same files again and again (keel install: every
 * generation shares its kernel; the UKI build checks the content it was
 * given; the ESP's copy is checked before it is trusted): the digest of a
 * file is kept while the file is provably unchanged — same device, inode,
 * size, ctime and mtime to the nanosecond. A file written within the last 2
 * seconds is hashed anew: a write in the same clock tick could leave the
 * times as they were.
 *
 * Between runs (keel install's cache file) that proof needs more: a ctime
 * the running kernel set itself, which no one can set back. That holds on
 * the local file systems below, where the kernel stamps every change to the
 * nanosecond — and not where timestamps come from elsewhere: an image file
 * system (squashfs, erofs, iso9660, an overlay of one), whose next image can
 * repeat every stat field of the last one with other bytes (a Nix store
 * built with fixed timestamps), or a network file system, whose server says
 * what ctime is. A ctime without a sub-second part was written by someone
 * (faketime, SOURCE_DATE_EPOCH, an image builder; ext4's small inodes keep
 * no nanoseconds): not proof either. Such files are hashed in every run;
 * within one run their digests are kept (the same file, the same mount). */
#define DIGEST_CACHE_SIZE 64
struct cached_digest {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec ctime, mtime;
        uint8_t digest[THIN_SHA256_SIZE];
        bool hashed_this_run;   /* false: loaded from the cache file */
        bool keep_across_runs;  /* written to the cache file */
};
static struct cached_digest digest_cache[DIGEST_CACHE_SIZE];
static size_t digest_cache_used, digest_cache_next;
static bool digest_cache_dirty;
static pthread_mutex_t digest_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Local file systems whose ctime only the running kernel sets, in
 * nanoseconds (linux/magic.h, and ZFS's and bcachefs' own). */
static const unsigned long STAMPED_BY_KERNEL[] = {
        0xEF53,         /* ext2/3/4 */
        0x58465342,     /* XFS */
        0x9123683E,     /* Btrfs */
        0x01021994,     /* tmpfs */
        0xF2F52010,     /* F2FS */
        0x2FC12FC1,     /* ZFS */
        0xCA451A4E,     /* bcachefs */
};

/* Whether st (of fd) proves, in a later run, that the file is the one
 * hashed now (see above). */
static bool identity_survives_runs(int fd, const struct stat *st) {
        struct statfs fs;

        if (st->st_ctim.tv_nsec == 0 || fstatfs(fd, &fs) < 0)
                return false;
        for (size_t i = 0; i < sizeof(STAMPED_BY_KERNEL) / sizeof(STAMPED_BY_KERNEL[0]); i++)
                if ((unsigned long) fs.f_type == STAMPED_BY_KERNEL[i])
                        return true;
        return false;
}

static bool same_file_state(const struct cached_digest *c, const struct stat *st) {
        return c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
               c->ctime.tv_sec == st->st_ctim.tv_sec && c->ctime.tv_nsec == st->st_ctim.tv_nsec &&
               c->mtime.tv_sec == st->st_mtim.tv_sec && c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The cached digest of the file fd is open on, if one may be used: one
 * hashed in this run, or one from the cache file for a file whose identity
 * survives runs. */
static bool cached_digest_of(int fd, const struct stat *st, uint8_t ret_digest[THIN_SHA256_SIZE]) {
        bool from_earlier_runs_ok = identity_survives_runs(fd, st), found = false;

        pthread_mutex_lock(&digest_cache_lock);
        for (size_t i = 0; !found && i < digest_cache_used; i++) {
                const struct cached_digest *c = &digest_cache[i];
                if (same_file_state(c, st) && (c->hashed_this_run || from_earlier_runs_ok)) {
                        memcpy(ret_digest, c->digest, THIN_SHA256_SIZE);
                        found = true;
                }
        }
        pthread_mutex_unlock(&digest_cache_lock);
        return found;
}

static void remember_digest(int fd, const struct stat *st, const uint8_t digest[THIN_SHA256_SIZE]) {
        bool across_runs = identity_survives_runs(fd, st);

        pthread_mutex_lock(&digest_cache_lock);
        digest_cache[digest_cache_next] = (struct cached_digest) {
                .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
                .ctime = st->st_ctim, .mtime = st->st_mtim,
                .hashed_this_run = true, .keep_across_runs = across_runs,
        };
        memcpy(digest_cache[digest_cache_next].digest, digest, THIN_SHA256_SIZE);
        digest_cache_next = (digest_cache_next + 1) % DIGEST_CACHE_SIZE;
        if (digest_cache_used < DIGEST_CACHE_SIZE)
                digest_cache_used++;
        digest_cache_dirty |= across_runs;
        pthread_mutex_unlock(&digest_cache_lock);
}

static int hash_fd_cached(int fd, uint8_t ret_digest[THIN_SHA256_SIZE], uint64_t *ret_size) {
        struct stat before, after;
        struct timespec now;
        int r;

        if (fstat(fd, &before) < 0)
                return hash_fd(fd, ret_digest, ret_size);
        if (cached_digest_of(fd, &before, ret_digest)) {
                *ret_size = (uint64_t) before.st_size;
                return 0;
        }
        r = hash_fd(fd, ret_digest, ret_size);
        if (r < 0 || fstat(fd, &after) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
                return r;
        if (after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec ||
            *ret_size != (uint64_t) after.st_size || now.tv_sec - after.st_ctim.tv_sec < 2)
                return r;
        remember_digest(fd, &after, ret_digest);
        return r;
}

/* The cache on disk: a magic line, then records of seven little-endian
 * 64-bit numbers (device, inode, size, ctime s/ns, mtime s/ns) and the
 * digest. Anything else in the file makes it ignored as a whole. Version 1
 * kept files of any file system: such a cache is ignored. */
#define DIGEST_CACHE_MAGIC "keel digest cache 2\n"
#define DIGEST_RECORD_SIZE (7 * 8 + THIN_SHA256_SIZE)

void thin_digest_cache_load(const char *path) {
        const size_t magic = sizeof(DIGEST_CACHE_MAGIC) - 1;
        uint8_t *data = NULL;
        size_t size = 0, n;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;

        if (fd < 0)
                return;
        /* Only the owner's own cache: nobody else may vouch for digests. */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
            (size_t) st.st_size <= magic + DIGEST_CACHE_SIZE * DIGEST_RECORD_SIZE) {
                data = malloc((size_t) st.st_size + 1);
                if (data && read(fd, data, (size_t) st.st_size) == st.st_size)
                        size = (size_t) st.st_size;
        }
        close(fd);
        if (size < magic || memcmp(data, DIGEST_CACHE_MAGIC, magic) != 0 || (size - magic) % DIGEST_RECORD_SIZE != 0) {
                free(data);
                return;
        }
        n = (size - magic) / DIGEST_RECORD_SIZE;
        pthread_mutex_lock(&digest_cache_lock);
        for (size_t i = 0; i < n && digest_cache_used < DIGEST_CACHE_SIZE; i++) {
                const uint8_t *r = data + magic + i * DIGEST_RECORD_SIZE;
                struct cached_digest *c = &digest_cache[digest_cache_used++];
                *c = (struct cached_digest) { .keep_across_runs = true };
                c->dev = (dev_t) read_le64(r);
                c->ino = (ino_t) read_le64(r + 8);
                c->size = (off_t) read_le64(r + 16);
                c->ctime = (struct timespec) { (time_t) read_le64(r + 24), (long) read_le64(r + 32) };
                c->mtime = (struct timespec) { (time_t) read_le64(r + 40), (long) read_le64(r + 48) };
                memcpy(c->digest, r + 56, THIN_SHA256_SIZE);
        }
        digest_cache_next = digest_cache_used % DIGEST_CACHE_SIZE;
        pthread_mutex_unlock(&digest_cache_lock);
        free(data);
}

void thin_digest_cache_save(const char *path) {
        const size_t magic = sizeof(DIGEST_CACHE_MAGIC) - 1;
        uint8_t data[sizeof(DIGEST_CACHE_MAGIC) + DIGEST_CACHE_SIZE * DIGEST_RECORD_SIZE];
        size_t size = magic;

        pthread_mutex_lock(&digest_cache_lock);
        if (!digest_cache_dirty) {
                pthread_mutex_unlock(&digest_cache_lock);
                return;
        }
        memcpy(data, DIGEST_CACHE_MAGIC, magic);
        for (size_t i = 0; i < digest_cache_used; i++) {
                const struct cached_digest *c = &digest_cache[i];
                uint8_t *r = data + size;
                if (!c->keep_across_runs)
                        continue;
                size += DIGEST_RECORD_SIZE;
                write_le64(r, (uint64_t) c->dev);
                write_le64(r + 8, (uint64_t) c->ino);
                write_le64(r + 16, (uint64_t) c->size);
                write_le64(r + 24, (uint64_t) c->ctime.tv_sec);
                write_le64(r + 32, (uint64_t) c->ctime.tv_nsec);
                write_le64(r + 40, (uint64_t) c->mtime.tv_sec);
                write_le64(r + 48, (uint64_t) c->mtime.tv_nsec);
                memcpy(r + 56, c->digest, THIN_SHA256_SIZE);
        }
        digest_cache_dirty = false;
        pthread_mutex_unlock(&digest_cache_lock);
        /* A cache that cannot be written only costs time next run. */
        if (write_file_atomic(path, data, size, 0600) < 0)
                log_warning("the digest cache %s was not written; the next run hashes again", path);
}

struct prefetch {
        const char *const *paths;
        size_t n;
        size_t next;            /* under digest_cache_lock */
};

static void *prefetch_run(void *userdata) {
        struct prefetch *p = userdata;

        for (;;) {
                uint8_t digest[THIN_SHA256_SIZE];
                uint64_t size;
                size_t i;
                int fd;

                pthread_mutex_lock(&digest_cache_lock);
                i = p->next++;
                pthread_mutex_unlock(&digest_cache_lock);
                if (i >= p->n)
                        return NULL;
                fd = open(p->paths[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                (void) hash_fd_cached(fd, digest, &size);
                close(fd);
        }
}

void thin_digest_prefetch(const char *const *paths, size_t n) {
        struct prefetch p = { .paths = paths, .n = n };
        pthread_t helper;
        bool started = n > 1 && pthread_create(&helper, NULL, prefetch_run, &p) == 0;

        prefetch_run(&p);
        if (started)
                pthread_join(helper, NULL);
}

static void hex(const uint8_t *d, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int thin_ref_for_file(const char *path, const char *suffix, struct thin_ref *ret) {
        char digest_hex[2 * THIN_SHA256_SIZE + 1];
        struct stat st;
        int fd, r;

        memset(ret, 0, sizeof(*ret));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_errno(errno, "cannot open %s", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return log_error("%s: not a regular file", path);
        }
        if ((uint64_t) st.st_size > THIN_CONTENT_MAX) {
                close(fd);
                return log_error("%s: %llu bytes, more than a thin UKI may name (%llu)", path,
                                 (unsigned long long) st.st_size, (unsigned long long) THIN_CONTENT_MAX);
        }
        r = hash_fd_cached(fd, ret->sha256, &ret->size);
        close(fd);
        if (r == -1)
                return log_errno(errno, "cannot read %s", path);
        if (r < 0)
                return log_error("SHA-256 failed");
        /* The size is the bytes hashed, not what fstat() said a moment before. */
        if (ret->size > THIN_CONTENT_MAX)
                return log_error("%s: grew past %llu bytes while being read", path,
                                 (unsigned long long) THIN_CONTENT_MAX);
        hex(ret->sha256, THIN_SHA256_SIZE, digest_hex);
        if ((size_t) snprintf(ret->path, sizeof(ret->path), THIN_CONTENT_DIR "/%s.%s", digest_hex, suffix) >=
                    sizeof(ret->path) ||
            !thin_path_is_valid(ret->path, strlen(ret->path)))
                return log_error("internal error: content name for suffix '%s' is not a valid thin path", suffix);
        return 0;
}

int thin_content_verify_source(const char *path, const struct thin_ref *ref) {
        uint8_t digest[THIN_SHA256_SIZE];
        uint64_t size = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;

        if (fd < 0)
                return log_errno(errno, "cannot open %s", path);
        r = hash_fd(fd, digest, &size);
        close(fd);
        if (r == -1)
                return log_errno(errno, "cannot read %s", path);
        if (r < 0)
                return log_error("SHA-256 failed");
        if (size != ref->size || memcmp(digest, ref->sha256, THIN_SHA256_SIZE) != 0)
                return log_error("%s is not the content %s names (changed since it was read, or a stale digest "
                                 "cache); nothing was installed", path, ref->path);
        return 0;
}

static void observe_sha256(void *ctx, const void *data, size_t size) {
        EVP_DigestUpdate(ctx, data, size);
}

/* Whether path is already a regular file with ref's size and SHA-256. */
static bool already_stored(const char *path, const struct thin_ref *ref) {
        uint8_t digest[THIN_SHA256_SIZE];
        uint64_t size;
        struct stat st;
        bool same;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return false;
        same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size == ref->size &&
               hash_fd(fd, digest, &size) == 0 && size == ref->size &&
               memcmp(digest, ref->sha256, THIN_SHA256_SIZE) == 0;
        close(fd);
        return same;
}

int thin_content_store(const char *volume_root, const char *source_path, const struct thin_ref *ref) {
        uint8_t digest[THIN_SHA256_SIZE];
        struct atomic_file f = { .fd = -1 };
        EVP_MD_CTX *ctx = NULL;
        struct stat st;
        char *dest = NULL;
        int in = -1, r = -1;

        if (!thin_path_is_valid(ref->path, strlen(ref->path)))
                return log_error("internal error: invalid content path %s", ref->path);
        if (stat(volume_root, &st) < 0)
                return log_errno(errno, "cannot use %s as the volume", volume_root);
        if (!S_ISDIR(st.st_mode))
                return log_error("%s: not a directory", volume_root);
        if (asprintf(&dest, "%s%s", volume_root, ref->path) < 0)
                return log_error("out of memory");
        if (mkdir_parents_below(volume_root, ref->path, 0755) < 0)
                goto out;
        if (already_stored(dest, ref)) {
                r = 0;
                goto out;
        }
        in = open(source_path, O_RDONLY | O_CLOEXEC);
        if (in < 0) {
                log_errno(errno, "cannot open %s", source_path);
                goto out;
        }
        if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size != ref->size) {
                log_error("%s: not the %llu-byte file its ref names", source_path, (unsigned long long) ref->size);
                goto out;
        }
        ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                log_error("SHA-256 failed");
                goto out;
        }
        if (atomic_file_open(dest, &f) < 0)
                goto out;
        /* The bytes copied are the bytes hashed: a source that changes after
         * its ref was made cannot end up under the ref's name. */
        if (atomic_file_append_file(&f, in, ref->size, observe_sha256, ctx) < 0)
                goto out;
        if (EVP_DigestFinal_ex(ctx, digest, NULL) != 1) {
                log_error("SHA-256 failed");
                goto out;
        }
        if (memcmp(digest, ref->sha256, THIN_SHA256_SIZE) != 0) {
                log_error("%s changed since its ref was made (SHA-256 differs)", source_path);
                goto out;
        }
        r = atomic_file_commit(&f, 0644);
out:
        if (f.final_path)
                atomic_file_abort(&f);
        if (in >= 0)
                close(in);
        EVP_MD_CTX_free(ctx);
        free(dest);
        return r;
}

/* The last component of path and the length of what comes before its '/'. */
static bool last_component_is(const char *path, size_t len, const char *name, size_t *ret_parent_len) {
        size_t start = len, n = strlen(name);

        while (start > 0 && path[start - 1] != '/')
                start--;
        if (len - start != n || strncasecmp(path + start, name, n) != 0)
                return false;
        *ret_parent_len = start > 0 ? start - 1 : 0;
        return start > 0;
}

char *thin_volume_of_uki(const char *uki_path) {
        char *copy = strdup(uki_path), *dir, *real = NULL, *volume = NULL;
        size_t len, linux_parent, efi_parent;

        if (!copy)
                return NULL;
        dir = dirname(copy);
        real = realpath(dir, NULL);
        free(copy);
        if (!real)
                return NULL;
        len = strlen(real);
        if (last_component_is(real, len, "Linux", &linux_parent) &&
            last_component_is(real, linux_parent, "EFI", &efi_parent))
                volume = efi_parent > 0 ? strndup(real, efi_parent) : strdup("/");
        free(real);
        return volume;
}

const char *thin_content_state_string(enum thin_content_state state) {
        switch (state) {
        case THIN_CONTENT_OK: return "ok";
        case THIN_CONTENT_MISSING: return "missing";
        case THIN_CONTENT_WRONG_SIZE: return "size differs";
        case THIN_CONTENT_WRONG_HASH: return "SHA-256 differs";
        default: return "unknown";
        }
}

int thin_content_check(const char *volume, const struct thin_ref *ref, struct thin_content *ret) {
        uint8_t digest[THIN_SHA256_SIZE];
        uint64_t size;
        struct stat st;
        int r;

        *ret = (struct thin_content) { .state = THIN_CONTENT_MISSING, .fd = -1 };
        /* thin_ref_parse() already refused ".." and empty components; the
         * path is looked up the way FAT matches names. */
        ret->path = esp_path_nocase(volume, ref->path);
        if (!ret->path)
                return 0;
        ret->fd = open(ret->path, O_RDONLY | O_CLOEXEC);
        if (ret->fd < 0 || fstat(ret->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                thin_content_done(ret);
                ret->state = THIN_CONTENT_MISSING;
                return 0;
        }
        ret->size = (uint64_t) st.st_size;
        if (ret->size != ref->size) {
                ret->state = THIN_CONTENT_WRONG_SIZE;
                close(ret->fd);
                ret->fd = -1;
                return 0;
        }
        /* Never from the digest cache: what is on the ESP is checked as it is. */
        r = hash_fd(ret->fd, digest, &size);
        if (r == -2)
                return log_error("SHA-256 failed");
        if (r < 0 || size != ref->size)
                ret->state = r < 0 ? THIN_CONTENT_MISSING : THIN_CONTENT_WRONG_SIZE;
        else if (memcmp(digest, ref->sha256, THIN_SHA256_SIZE) != 0)
                ret->state = THIN_CONTENT_WRONG_HASH;
        else
                ret->state = THIN_CONTENT_OK;
        if (ret->state != THIN_CONTENT_OK) {
                close(ret->fd);
                ret->fd = -1;
        }
        return 0;
}

void thin_content_done(struct thin_content *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        free(c->path);
        c->path = NULL;
}

int uki_read_thin_refs(const struct uki_sections *u, const uint8_t *image, size_t len, struct uki_thin_refs *ret) {
        const struct pe_section *tl = u->section[UKI_SECTION_TLINUX], *ti = u->section[UKI_SECTION_TINITRD];
        int r;

        memset(ret, 0, sizeof(*ret));
        if (tl) {
                r = measure_thin_ref(tl, image, len, MEASURE_LAYOUT_FILE, &ret->linux_ref);
                if (r != KEEL_OK)
                        return r;
                ret->has_linux = true;
        }
        if (ti) {
                r = measure_thin_ref(ti, image, len, MEASURE_LAYOUT_FILE, &ret->initrd_ref);
                if (r != KEEL_OK)
                        return r;
                ret->has_initrd = true;
        }
        return KEEL_OK;
}

static int add_file_ref(struct thin_file_refs *r, const struct thin_ref *ref, bool initrd, unsigned profile) {
        struct thin_file_ref *grown = realloc(r->refs, (r->n + 1) * sizeof(*grown));

        if (!grown)
                return -1;
        r->refs = grown;
        r->refs[r->n++] = (struct thin_file_ref) { .ref = *ref, .initrd = initrd, .profile = profile };
        return 0;
}

/* The refs of every profile of an image whose headers parsed. */
static int collect_profile_refs(const struct pe_image *pe, const uint8_t *map, size_t size,
                                struct thin_file_refs *ret, char *why, size_t why_size) {
        unsigned n_profiles = uki_count_profiles(pe);

        for (unsigned p = 0; p < (n_profiles ? n_profiles : 1); p++) {
                struct uki_sections u;
                struct uki_thin_refs t;
                int r = uki_find_profile_sections(pe, p, &u);

                if (r == KEEL_OK)
                        r = uki_read_thin_refs(&u, map, size, &t);
                if (r != KEEL_OK) {
                        snprintf(why, why_size, "profile %u: %s", p, keel_strerror(r));
                        return -1;
                }
                if ((t.has_linux && add_file_ref(ret, &t.linux_ref, false, p) < 0) ||
                    (t.has_initrd && add_file_ref(ret, &t.initrd_ref, true, p) < 0)) {
                        snprintf(why, why_size, "out of memory");
                        return -1;
                }
        }
        return 0;
}

int thin_refs_of_file(const char *path, struct thin_file_refs *ret, char *why, size_t why_size) {
        struct pe_image *pe = malloc(sizeof(*pe));
        uint8_t *map = MAP_FAILED;
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;

        *ret = (struct thin_file_refs) {};
        if (!pe) {
                snprintf(why, why_size, "out of memory");
                goto out;
        }
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(why, why_size, "cannot be read as a file");
                goto out;
        }
        if (st.st_size > 0)
                map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (st.st_size > 0 && map == MAP_FAILED) {
                snprintf(why, why_size, "cannot be mapped: %s", strerror(errno));
                goto out;
        }
        r = 0;
        if (map == MAP_FAILED || pe_parse_headers(map, (size_t) st.st_size, pe) != KEEL_OK)
                goto out; /* no PE image: no stub runs it */
        ret->is_pe = true;
        r = collect_profile_refs(pe, map, (size_t) st.st_size, ret, why, why_size);
out:
        if (r < 0)
                thin_file_refs_done(ret);
        if (map != MAP_FAILED)
                munmap(map, (size_t) st.st_size);
        if (fd >= 0)
                close(fd);
        free(pe);
        return r;
}

void thin_file_refs_done(struct thin_file_refs *r) {
        free(r->refs);
        *r = (struct thin_file_refs) {};
}

char *thin_volume_for(const char *what, const char *uki_path, const char *root) {
        char *volume = root ? strdup(root) : thin_volume_of_uki(uki_path);

        if (!volume)
                log_error(root ? "out of memory"
                               : "%s: a thin UKI outside .../EFI/Linux/; give --root DIR, the volume its content is on",
                          what);
        return volume;
}

int thin_content_map(const char *what, const char *volume, const struct uki_thin_refs *refs,
                     struct thin_mapped *ret) {
        const struct thin_ref *list[2] = { refs->has_linux ? &refs->linux_ref : NULL,
                                           refs->has_initrd ? &refs->initrd_ref : NULL };
        static const char *const names[2] = { ".tlinux", ".tinitrd" };

        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < 2; i++) {
                struct thin_content c;
                void *m;

                if (!list[i])
                        continue;
                if (thin_content_check(volume, list[i], &c) < 0)
                        return -1;
                if (c.state != THIN_CONTENT_OK) {
                        log_error("%s: %s content %s%s: %s", what, names[i], c.path ? c.path : volume,
                                  c.path ? "" : list[i]->path, thin_content_state_string(c.state));
                        thin_content_done(&c);
                        return -1;
                }
                m = mmap(NULL, (size_t) c.size, PROT_READ, MAP_SHARED, c.fd, 0);
                if (m == MAP_FAILED) {
                        log_errno(errno, "cannot map %s", c.path);
                        thin_content_done(&c);
                        return -1;
                }
                ret->maps[i] = m;
                ret->sizes[i] = (size_t) c.size;
                /* The bytes measured are the bytes checked, not the file as
                 * it was a moment ago. */
                if (thin_ref_check_content(list[i], m, (size_t) c.size) != KEEL_OK) {
                        log_error("%s: %s content %s changed while being read", what, names[i], c.path);
                        thin_content_done(&c);
                        return -1;
                }
                if (i == 0) {
                        ret->content.linux_data = m;
                        ret->content.linux_size = (size_t) c.size;
                } else {
                        ret->content.initrd_data = m;
                        ret->content.initrd_size = (size_t) c.size;
                }
                thin_content_done(&c);
        }
        return 0;
}

void thin_mapped_done(struct thin_mapped *m) {
        for (size_t i = 0; i < 2; i++)
                if (m->maps[i])
                        munmap(m->maps[i], m->sizes[i]);
        memset(m, 0, sizeof(*m));
}
