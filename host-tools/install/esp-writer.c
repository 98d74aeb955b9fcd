/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "host-tools/install/esp-writer.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"

void esp_write_log_init(struct esp_write_log *log) {
        const char *crash = getenv("KEEL_INSTALL_CRASH_AFTER");

        memset(log, 0, sizeof(*log));
        if (crash && *crash)
                log->crash_after = strtoul(crash, NULL, 10);
}

int esp_writer_init(struct esp_writer *w, const char *root, struct esp_write_log *log) {
        struct stat st;

        memset(w, 0, sizeof(*w));
        w->log = log;
        if (stat(root, &st) < 0)
                return log_errno(errno, "ESP %s", root);
        if (!S_ISDIR(st.st_mode))
                return log_error("ESP %s is not a directory", root);
        w->root = strdup(root);
        if (!w->root)
                return log_error("out of memory");
        return 0;
}

void esp_writer_done(struct esp_writer *w) {
        free(w->root);
        w->root = NULL;
}

/* One operation is complete: the crash-point test may stop us here. */
static void operation_done(struct esp_writer *w) {
        w->log->operations++;
        if (w->log->crash_after && w->log->operations >= w->log->crash_after) {
                fprintf(stderr, "keel: install stopped after operation %lu (KEEL_INSTALL_CRASH_AFTER)\n",
                        w->log->operations);
                _exit(ESP_WRITER_CRASH_EXIT);
        }
}

/* dir/name, or dir/<existing entry equal to name ignoring case>. */
static char *join_nocase(const char *dir, const char *name, size_t name_len) {
        char *path = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (strlen(de->d_name) == name_len && strncasecmp(de->d_name, name, name_len) == 0) {
                        if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                                path = NULL;
                        break;
                }
        if (d)
                closedir(d);
        if (!path && asprintf(&path, "%s/%.*s", dir, (int) name_len, name) < 0)
                path = NULL;
        return path;
}

char *esp_writer_path(const struct esp_writer *w, const char *relative) {
        char *path = strdup(w->root);

        for (const char *p = relative; path && *p;) {
                size_t len;
                char *next;

                p += strspn(p, "/");
                len = strcspn(p, "/");
                if (len == 0)
                        break;
                next = join_nocase(path, p, len);
                free(path);
                path = next;
                p += len;
        }
        if (!path)
                log_error("out of memory");
        return path;
}

static void fsync_dir_of(const char *path) {
        char *copy = strdup(path), *slash = copy ? strrchr(copy, '/') : NULL;
        int fd;

        if (!slash) {
                free(copy);
                return;
        }
        *slash = '\0';
        fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                fsync(fd);
                close(fd);
        }
        free(copy);
}

int esp_writer_mkdirs(struct esp_writer *w, const char *relative) {
        char *prefix = strdup(relative);
        int r = 0;

        if (!prefix)
                return log_error("out of memory");
        for (char *p = prefix; r == 0 && *p; p++) {
                char saved;
                char *path;
                struct stat st;

                if (p[1] != '/' && p[1] != '\0')
                        continue;
                saved = p[1];
                p[1] = '\0';
                path = esp_writer_path(w, prefix);
                if (!path)
                        r = -1;
                else if (stat(path, &st) == 0) {
                        if (!S_ISDIR(st.st_mode))
                                r = log_error("%s exists and is not a directory", path);
                } else if (mkdir(path, 0755) < 0)
                        r = log_errno(errno, "cannot create directory %s", path);
                else {
                        fsync_dir_of(path);
                        operation_done(w);
                }
                free(path);
                p[1] = saved;
        }
        free(prefix);
        return r;
}

int esp_writer_put(struct esp_writer *w, const char *relative, const void *data, const char *source_path,
                   uint64_t size) {
        char *path = esp_writer_path(w, relative);
        struct atomic_file f;
        struct input_file *in = NULL;
        int r;

        if (!path)
                return -1;
        r = atomic_file_open(path, &f);
        free(path);
        if (r < 0)
                return -1;
        if (data)
                r = atomic_file_write(&f, data, size);
        else {
                in = malloc(sizeof(*in));
                r = in ? input_file_open(source_path, in) : log_error("out of memory");
                if (r == 0 && in->size != size)
                        r = log_error("%s changed while keel install was reading it", source_path);
                if (r == 0)
                        r = atomic_file_append_file(&f, in->fd, size, NULL, NULL);
                if (in)
                        input_file_close(in);
                free(in);
        }
        if (r == 0 && fsync(f.fd) < 0)
                r = log_errno(errno, "cannot flush %s", f.temp_path);
        if (r < 0) {
                atomic_file_abort(&f);
                return -1;
        }
        w->log->bytes_written += size;
        operation_done(w);
        r = atomic_file_commit(&f, 0644);
        atomic_file_abort(&f);
        if (r == 0)
                operation_done(w);
        return r;
}

int esp_writer_remove(struct esp_writer *w, const char *relative) {
        char *path = esp_writer_path(w, relative);

        if (!path)
                return -1;
        if (unlink(path) < 0 && errno != ENOENT) {
                int e = errno;
                log_errno(e, "cannot remove %s", path);
                free(path);
                return -1;
        }
        fsync_dir_of(path);
        free(path);
        operation_done(w);
        return 0;
}

/* Compares fd's contents with size bytes of data or of the file source. */
static bool fd_has_bytes(int fd, const void *data, const char *source_path, uint64_t size) {
        enum { CHUNK = 1 << 20 };
        uint8_t *a = malloc(CHUNK), *b = data ? NULL : malloc(CHUNK);
        int src = data ? -1 : open(source_path, O_RDONLY | O_CLOEXEC);
        uint64_t done = 0;
        bool same = a && (data || (b && src >= 0));

        while (same && done < size) {
                size_t want = size - done < CHUNK ? (size_t) (size - done) : CHUNK;
                if (pread(fd, a, want, (off_t) done) != (ssize_t) want)
                        same = false;
                else if (data)
                        same = memcmp(a, (const uint8_t *) data + done, want) == 0;
                else
                        same = pread(src, b, want, (off_t) done) == (ssize_t) want && memcmp(a, b, want) == 0;
                done += want;
        }
        if (src >= 0)
                close(src);
        free(a);
        free(b);
        return same;
}

bool esp_writer_same(const struct esp_writer *w, const char *relative, const void *data, const char *source_path,
                     uint64_t size) {
        char *path = esp_writer_path(w, relative);
        struct stat st;
        bool same = false;
        int fd;

        if (!path)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return false;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size == size)
                same = fd_has_bytes(fd, data, source_path, size);
        close(fd);
        return same;
}

/* Removes the temporaries in relative whose final name is `name` (ignoring
 * case) or, without a name, one keel_owned() accepts. */
static int remove_temporaries(struct esp_writer *w, const char *relative, bool (*keel_owned)(const char *name),
                              const char *name) {
        char *dir = esp_writer_path(w, relative);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (!dir)
                return -1;
        d = opendir(dir);
        while (d && r == 0 && (de = readdir(d))) {
                char final[256], *rel = NULL;
                if (!atomic_file_temporary_of(de->d_name, final, sizeof(final)) ||
                    !(name ? strcasecmp(final, name) == 0 : keel_owned(final)))
                        continue;
                if (asprintf(&rel, "%s/%s", relative, de->d_name) < 0)
                        r = log_error("out of memory");
                else
                        r = esp_writer_remove(w, rel);
                free(rel);
        }
        if (d)
                closedir(d);
        free(dir);
        return r;
}

int esp_writer_remove_stale_temporaries(struct esp_writer *w, const char *relative,
                                        bool (*keel_owned)(const char *name)) {
        return remove_temporaries(w, relative, keel_owned, NULL);
}

int esp_writer_remove_temporaries_of(struct esp_writer *w, const char *relative, const char *name) {
        return remove_temporaries(w, relative, NULL, name);
}

int esp_writer_remove_empty_dir(struct esp_writer *w, const char *relative, bool *ret_removed) {
        char *path = esp_writer_path(w, relative);

        *ret_removed = false;
        if (!path)
                return -1;
        if (rmdir(path) < 0) {
                int e = errno;
                free(path);
                if (e == ENOTEMPTY || e == EEXIST || e == ENOENT || e == ENOTDIR)
                        return 0;
                return log_errno(e, "cannot remove directory %s", relative);
        }
        fsync_dir_of(path);
        free(path);
        *ret_removed = true;
        operation_done(w);
        return 0;
}

int esp_writer_free_bytes(const struct esp_writer *w, uint64_t *ret) {
        struct statvfs s;

        if (statvfs(w->root, &s) < 0)
                return log_errno(errno, "cannot query free space on %s", w->root);
        *ret = (uint64_t) s.f_bavail * s.f_frsize;
        return 0;
}
