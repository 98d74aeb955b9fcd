/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "common/error.h"
#include "common/pe.h"
#include "common/sha256.h"

static int open_regular(const char *path, struct stat *st) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_errno(errno, "cannot open %s", path);
        if (fstat(fd, st) < 0) {
                close(fd);
                return log_errno(errno, "cannot stat %s", path);
        }
        if (!S_ISREG(st->st_mode)) {
                close(fd);
                return log_error("%s: not a regular file", path);
        }
        return fd;
}

int read_file(const char *path, size_t max_size, uint8_t **ret_data, size_t *ret_size) {
        struct stat st;
        uint8_t *buf;
        size_t done = 0;
        int fd = open_regular(path, &st);

        if (fd < 0)
                return -1;
        if ((uint64_t) st.st_size > max_size) {
                close(fd);
                return log_error("%s: file too large (%lld bytes, at most %zu)", path, (long long) st.st_size, max_size);
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf) {
                close(fd);
                return log_error("out of memory reading %s", path);
        }
        while (done < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + done, (size_t) st.st_size - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;
                        free(buf);
                        close(fd);
                        return log_errno(e, "cannot read %s", path);
                }
                done += (size_t) n;
        }
        close(fd);
        buf[done] = 0;
        *ret_data = buf;
        *ret_size = done;
        return 0;
}

int map_file(const char *path, struct mapped_file *ret) {
        struct stat st;
        void *p;
        int fd = open_regular(path, &st);

        if (fd < 0)
                return -1;
        ret->data = NULL;
        ret->size = (size_t) st.st_size;
        if (st.st_size == 0) {
                close(fd);
                return 0;
        }
        p = mmap(NULL, ret->size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
                return log_errno(errno, "cannot map %s", path);
        madvise(p, ret->size, MADV_SEQUENTIAL);
        ret->data = p;
        return 0;
}

void unmap_file(struct mapped_file *m) {
        if (m->data)
                munmap((void *) m->data, m->size);
        m->data = NULL;
        m->size = 0;
}

int pe_file_check_size(const char *role, const char *path, uint64_t size) {
        const char *sep = role ? " " : "";

        if (!role)
                role = "";
        if (size == 0)
                return log_error("%s%s%s: %s", role, sep, path, keel_strerror(KEEL_E_PE_EMPTY_FILE));
        if (size < PE_DOS_HEADER_SIZE)
                return log_error("%s%s%s: %s (%llu byte%s; a PE image has at least %d)", role, sep, path,
                                 keel_strerror(KEEL_E_PE_TRUNCATED_DOS_HEADER), (unsigned long long) size,
                                 size == 1 ? "" : "s", PE_DOS_HEADER_SIZE);
        return 0;
}

int map_pe_file(const char *path, struct mapped_file *ret) {
        if (map_file(path, ret) < 0)
                return -1;
        if (pe_file_check_size(NULL, path, ret->size) < 0) {
                unmap_file(ret);
                return -1;
        }
        return 0;
}

int input_file_open(const char *path, struct input_file *ret) {
        struct stat st;
        ssize_t n;

        ret->fd = open_regular(path, &st);
        if (ret->fd < 0)
                return -1;
        ret->size = (uint64_t) st.st_size;
        n = pread(ret->fd, ret->head, sizeof(ret->head), 0);
        if (n < 0) {
                int e = errno;
                input_file_close(ret);
                return log_errno(e, "cannot read %s", path);
        }
        ret->head_size = (size_t) n;
        return 0;
}

void input_file_close(struct input_file *f) {
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
}

#define TEMP_SUFFIX ATOMIC_FILE_TEMP_INFIX "XXXXXX"
#define TEMP_RANDOM_LEN 6

int atomic_file_open(const char *path, struct atomic_file *ret) {
        size_t len = strlen(path);

        ret->fd = -1;
        ret->final_path = strdup(path);
        ret->temp_path = malloc(len + sizeof(TEMP_SUFFIX));
        if (!ret->final_path || !ret->temp_path) {
                atomic_file_abort(ret);
                return log_error("out of memory");
        }
        memcpy(ret->temp_path, path, len);
        memcpy(ret->temp_path + len, TEMP_SUFFIX, sizeof(TEMP_SUFFIX));
        ret->fd = mkostemp(ret->temp_path, O_CLOEXEC);
        if (ret->fd < 0) {
                int e = errno;
                free(ret->temp_path);
                ret->temp_path = NULL;
                atomic_file_abort(ret);
                return log_errno(e, "cannot create %s", path);
        }
        return 0;
}

/* mkstemp()'s replacement characters (glibc: [A-Za-z0-9]). */
static bool is_temp_random_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool atomic_file_temporary_of(const char *name, char *ret_final, size_t final_size) {
        const size_t infix = strlen(ATOMIC_FILE_TEMP_INFIX);
        size_t len = strlen(name), final_len;

        if (len <= infix + TEMP_RANDOM_LEN)
                return false;
        final_len = len - infix - TEMP_RANDOM_LEN;
        if (memcmp(name + final_len, ATOMIC_FILE_TEMP_INFIX, infix) != 0)
                return false;
        for (size_t i = len - TEMP_RANDOM_LEN; i < len; i++)
                if (!is_temp_random_char(name[i]))
                        return false;
        if (final_len >= final_size)
                return false;
        memcpy(ret_final, name, final_len);
        ret_final[final_len] = '\0';
        return true;
}

/* Writes all of data at offset, or at the file position when offset < 0. */
static int write_all(struct atomic_file *f, const void *data, size_t size, off_t offset) {
        const uint8_t *p = data;

        while (size > 0) {
                ssize_t n = offset < 0 ? write(f->fd, p, size) : pwrite(f->fd, p, size, offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_errno(errno, "cannot write %s", f->final_path);
                p += n;
                size -= (size_t) n;
                if (offset >= 0)
                        offset += n;
        }
        return 0;
}

int atomic_file_write(struct atomic_file *f, const void *data, size_t size) {
        return write_all(f, data, size, -1);
}

int atomic_file_pwrite(struct atomic_file *f, const void *data, size_t size, off_t offset) {
        return offset < 0 ? log_error("internal error: negative write offset") : write_all(f, data, size, offset);
}

#define OBSERVE_CHUNK (512u * 1024)
#define COPY_CHUNK (8u * 1024 * 1024)

struct observer {
        int fd;
        uint64_t size;
        void (*observe)(void *ctx, const void *data, size_t size);
        void *ctx;
        int error;
};

/* Reads the input a second time, from the page cache, for observe(). */
static void *observer_run(void *userdata) {
        struct observer *o = userdata;
        uint8_t *buf = malloc(OBSERVE_CHUNK);
        uint64_t done = 0;

        if (!buf) {
                o->error = ENOMEM;
                return NULL;
        }
        while (done < o->size) {
                size_t want = o->size - done < OBSERVE_CHUNK ? (size_t) (o->size - done) : OBSERVE_CHUNK;
                ssize_t n = pread(o->fd, buf, want, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        o->error = n < 0 ? errno : EIO;
                        break;
                }
                o->observe(o->ctx, buf, (size_t) n);
                done += (uint64_t) n;
        }
        free(buf);
        return NULL;
}

/* The kernel copies the pages (copy_file_range; plain read/write where a
 * file system cannot), while a second thread hands the same bytes to
 * observe(). Writeback starts as each chunk lands, so the final fsync has
 * little left to wait for. */
static int copy_whole_file(struct atomic_file *f, int in_fd, uint64_t size) {
        off_t in_offset = 0, out_start = lseek(f->fd, 0, SEEK_CUR);
        uint8_t *buf = NULL;
        int r = 0;

        while ((uint64_t) in_offset < size) {
                size_t want = size - (uint64_t) in_offset < COPY_CHUNK ? (size_t) (size - (uint64_t) in_offset) : COPY_CHUNK;
                off_t chunk_start = in_offset;
                ssize_t n = copy_file_range(in_fd, &in_offset, f->fd, NULL, want, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (!buf && !(buf = malloc(COPY_CHUNK))) {
                                r = log_error("out of memory");
                                break;
                        }
                        n = pread(in_fd, buf, want, in_offset);
                        if (n <= 0) {
                                r = log_errno(n < 0 ? errno : EIO, "cannot read input for %s", f->final_path);
                                break;
                        }
                        if ((r = atomic_file_write(f, buf, (size_t) n)) < 0)
                                break;
                        in_offset += n;
                }
                if (out_start >= 0)
                        sync_file_range(f->fd, out_start + chunk_start, n, SYNC_FILE_RANGE_WRITE);
        }
        free(buf);
        return r;
}

int atomic_file_append_file(struct atomic_file *f, int in_fd, uint64_t size,
                            void (*observe)(void *ctx, const void *data, size_t size), void *ctx) {
        struct observer o = { .fd = in_fd, .size = size, .observe = observe, .ctx = ctx };
        pthread_t thread;
        int r;

        if (!observe)
                return copy_whole_file(f, in_fd, size);
        if (pthread_create(&thread, NULL, observer_run, &o) != 0)
                return log_error("cannot start a thread");
        r = copy_whole_file(f, in_fd, size);
        pthread_join(thread, NULL);
        if (r == 0 && o.error)
                r = log_errno(o.error, "cannot read input for %s", f->final_path);
        return r;
}

static void fsync_parent_directory(const char *path) {
        char *copy = strdup(path);
        int fd;

        if (!copy)
                return;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                fsync(fd);
                close(fd);
        }
        free(copy);
}

int atomic_file_commit(struct atomic_file *f, mode_t mode) {
        mode_t mask = umask(0);
        umask(mask);

        if (fchmod(f->fd, mode & ~mask) < 0)
                return log_errno(errno, "cannot set the mode of %s", f->final_path);
        if (fsync(f->fd) < 0)
                return log_errno(errno, "cannot flush %s", f->final_path);
        if (close(f->fd) < 0) {
                f->fd = -1;
                return log_errno(errno, "cannot close %s", f->final_path);
        }
        f->fd = -1;
        if (rename(f->temp_path, f->final_path) < 0)
                return log_errno(errno, "cannot rename the temporary to %s", f->final_path);
        free(f->temp_path);
        f->temp_path = NULL;
        fsync_parent_directory(f->final_path);
        return 0;
}

void atomic_file_abort(struct atomic_file *f) {
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
        if (f->temp_path)
                unlink(f->temp_path);
        free(f->temp_path);
        free(f->final_path);
        f->temp_path = NULL;
        f->final_path = NULL;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        struct atomic_file f;
        int r;

        if (atomic_file_open(path, &f) < 0)
                return -1;
        r = atomic_file_write(&f, data, size);
        if (r == 0)
                r = atomic_file_commit(&f, mode);
        atomic_file_abort(&f);
        return r;
}

bool read_sysfs_u64(const char *dir, const char *name, uint64_t *ret) {
        char path[PATH_MAX], buf[32], *end;
        FILE *f;
        bool ok;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!(f = fopen(path, "re")))
                return false;
        ok = fgets(buf, sizeof(buf), f) != NULL;
        fclose(f);
        if (!ok)
                return false;
        errno = 0;
        *ret = strtoull(buf, &end, 10);
        return errno == 0 && end != buf && (*end == '\n' || *end == 0);
}

int fsync_path(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC), r, e;

        if (fd < 0)
                return -1;
        r = fsync(fd);
        e = errno;
        close(fd);
        errno = e;
        return r < 0 ? -1 : 0;
}

int dir_empty_or_missing(const char *dir, bool *ret_empty) {
        DIR *d = opendir(dir);
        struct dirent *de;

        *ret_empty = true;
        if (!d)
                return errno == ENOENT ? 0 : log_errno(errno, "cannot open %s", dir);
        while (*ret_empty && (de = readdir(d)))
                *ret_empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
        return 0;
}

int mkdir_parents_below(const char *root, const char *relative, mode_t mode) {
        size_t root_len = strlen(root), rel_len = strlen(relative);
        char *p = malloc(root_len + rel_len + 1);
        int r = 0;

        if (!p)
                return log_error("out of memory");
        memcpy(p, root, root_len);
        memcpy(p + root_len, relative, rel_len + 1);
        for (char *slash = p + root_len + 1; r == 0 && (slash = strchr(slash, '/')); slash++) {
                struct stat st;
                *slash = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        r = log_errno(errno, "cannot create %s", p);
                else if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                        r = log_error("%s: not a directory", p);
                *slash = '/';
        }
        free(p);
        return r;
}

int file_sha256(const char *path, uint8_t ret_digest[32], uint64_t *ret_size) {
        enum { CHUNK = 1 << 20 };
        struct sha256_ctx ctx;
        struct stat st;
        uint8_t *buf;
        ssize_t got;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return log_errno(errno, "cannot open %s", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return log_error("%s is not a regular file", path);
        }
        buf = malloc(CHUNK);
        if (!buf) {
                close(fd);
                return log_error("out of memory");
        }
        sha256_init(&ctx);
        *ret_size = 0;
        while ((got = read(fd, buf, CHUNK)) > 0) {
                sha256_update(&ctx, buf, (size_t) got);
                *ret_size += (uint64_t) got;
        }
        if (got < 0)
                r = log_errno(errno, "cannot read %s", path);
        sha256_final(&ctx, ret_digest);
        free(buf);
        close(fd);
        return r;
}
