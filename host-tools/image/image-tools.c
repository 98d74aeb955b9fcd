/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-tools/image/image-tools.h"
#include "host-tools/core/log.h"

extern char **environ;

const char *image_tool_find(const char *name, const char *package) {
        static char found[8][PATH_MAX];
        static size_t next;
        const char *path = getenv("PATH");
        char dirs[4096];
        char *save = NULL;

        snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path && *path ? path : "/usr/bin:/bin");
        for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *slot = found[next % 8];
                if (!*dir)
                        continue;
                snprintf(slot, PATH_MAX, "%s/%s", dir, name);
                if (access(slot, X_OK) == 0) {
                        next++;
                        return slot;
                }
        }
        log_error("%s not found: install Debian's %s (apt-get install %s)", name, package, package);
        return NULL;
}

/* The last non-empty line of a tool's standard error, trimmed, for a
 * one-line message. */
static void last_line(char *text, size_t len, char **ret) {
        char *end = text + len, *start;

        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
                end--;
        *end = '\0';
        start = end;
        while (start > text && start[-1] != '\n')
                start--;
        *ret = start;
}

int image_tool_run(const char *const *argv, const char *stdin_text) {
        posix_spawn_file_actions_t actions;
        int in_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, status, r = -1;
        char errbuf[8192], *line;
        size_t errlen = 0;
        pid_t pid;

        if (pipe2(err_pipe, O_CLOEXEC) < 0 || (stdin_text && pipe2(in_pipe, O_CLOEXEC) < 0))
                return log_errno(errno, "cannot run %s", argv[0]);
        posix_spawn_file_actions_init(&actions);
        if (stdin_text)
                posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
        else
                posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
        errno = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        close(err_pipe[1]);
        if (in_pipe[0] >= 0)
                close(in_pipe[0]);
        if (errno != 0) {
                log_errno(errno, "cannot run %s", argv[0]);
                goto out;
        }
        if (stdin_text) {
                /* Scripts are small: they fit in the pipe, so writing them all
                 * before reading stderr cannot deadlock. */
                size_t len = strlen(stdin_text), done = 0;
                void (*old_handler)(int) = signal(SIGPIPE, SIG_IGN); /* a tool may exit without reading */
                while (done < len) {
                        ssize_t n = write(in_pipe[1], stdin_text + done, len - done);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        done += (size_t) n;
                }
                signal(SIGPIPE, old_handler);
                close(in_pipe[1]);
                in_pipe[1] = -1;
        }
        for (;;) {
                ssize_t n = read(err_pipe[0], errbuf + errlen, sizeof(errbuf) - 1 - errlen);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                errlen += (size_t) n;
                if (errlen == sizeof(errbuf) - 1) {
                        /* Keep the tail, where the error usually is. */
                        memmove(errbuf, errbuf + errlen / 2, errlen - errlen / 2);
                        errlen -= errlen / 2;
                }
        }
        errbuf[errlen] = '\0';
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        log_errno(errno, "cannot wait for %s", argv[0]);
                        goto out;
                }
        last_line(errbuf, errlen, &line);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                r = 0;
        else if (WIFEXITED(status))
                log_error("%s failed (exit status %d)%s%s", argv[0], WEXITSTATUS(status), *line ? ": " : "", line);
        else
                log_error("%s was killed by signal %d", argv[0], WTERMSIG(status));
out:
        if (in_pipe[1] >= 0)
                close(in_pipe[1]);
        close(err_pipe[0]);
        return r;
}
