/* SPDX-License-Identifier: MIT */
/* Shared by the fuzzers of the host tools, which work on real files in
 * /dev/shm: a check that names its line, and removal of the scratch
 * directories of runs that are gone. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A broken promise names its line (on fd 2: see LLVMFuzzerInitialize) and aborts. */
#define check(condition) \
        do { \
                if (!(condition)) { \
                        dprintf(2, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
                        abort(); \
                } \
        } while (0)

/* Removes everything below dir (not dir itself). */
static inline void fuzz_empty_dir(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[4096];
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (de->d_type == DT_DIR) {
                        fuzz_empty_dir(path);
                        check(rmdir(path) == 0);
                } else
                        check(unlink(path) == 0);
        }
        closedir(d);
}

/* libFuzzer may leave without running atexit handlers: the directories
 * /dev/shm/PREFIX<pid> of runs that are gone are removed at the next start. */
static inline void fuzz_remove_stale_dirs(const char *prefix) {
        size_t n = strlen(prefix);
        DIR *d = opendir("/dev/shm");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[512], *end;
                long pid;

                if (strncmp(de->d_name, prefix, n) != 0)
                        continue;
                pid = strtol(de->d_name + n, &end, 10);
                if (*end != '\0' || pid <= 0 || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue;
                snprintf(path, sizeof(path), "/dev/shm/%s", de->d_name);
                fuzz_empty_dir(path);
                rmdir(path);
        }
        closedir(d);
}
