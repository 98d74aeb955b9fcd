/* SPDX-License-Identifier: MIT */
/* Every change `keel install` makes to an ESP goes through here, one
 * operation at a time, each leaving the file system consistent by itself:
 * a directory created; a file written to a temporary next to its final
 * name and fsync'd; that temporary renamed over the final name and the
 * directory fsync'd; a file removed and the directory fsync'd. The
 * operations are counted, so that a test can stop the installer after its
 * k-th one (KEEL_INSTALL_CRASH_AFTER=k: exit status ESP_WRITER_CRASH_EXIT,
 * no clean-up, as a power cut would) and check what a crash there leaves. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ESP_WRITER_CRASH_EXIT 99

/* Shared by the writers of one run (ESP and XBOOTLDR): one sequence of
 * operations. */
struct esp_write_log {
        unsigned long operations;
        unsigned long crash_after;      /* 0: never; from KEEL_INSTALL_CRASH_AFTER */
        uint64_t bytes_written;
};

void esp_write_log_init(struct esp_write_log *log);

struct esp_writer {
        char *root;
        struct esp_write_log *log;
};

int esp_writer_init(struct esp_writer *w, const char *root, struct esp_write_log *log);
void esp_writer_done(struct esp_writer *w);

/* root + "/" + relative with each existing component matched ignoring case
 * (FAT), missing ones as given; malloc'd. */
char *esp_writer_path(const struct esp_writer *w, const char *relative);

/* mkdir -p of relative (components matched ignoring case). */
int esp_writer_mkdirs(struct esp_writer *w, const char *relative);

/* Replaces relative with size bytes: from data, or copied from the file
 * source_path when data is NULL. Two operations: temporary complete and
 * on disk; renamed into place. */
int esp_writer_put(struct esp_writer *w, const char *relative, const void *data, const char *source_path,
                   uint64_t size);

/* Removes relative (a missing file is no error). One operation. */
int esp_writer_remove(struct esp_writer *w, const char *relative);

/* Whether relative exists with exactly these bytes (data, or the file
 * source_path): what lets a second run write nothing. */
bool esp_writer_same(const struct esp_writer *w, const char *relative, const void *data, const char *source_path,
                     uint64_t size);

/* Removes temporaries a crashed run left in directory relative: names
 * "<file>.keel-tmp-XXXXXX" as atomic_file_open() makes them (a form only
 * keel writes), where <file> is a name keel_owned() says keel writes there.
 * Nothing else is touched: "BOOTX64.EFI.backup" is someone else's. Counted
 * like any removal. */
int esp_writer_remove_stale_temporaries(struct esp_writer *w, const char *relative, bool (*keel_owned)(const char *name));

/* The same for the temporaries of the one file name in directory relative
 * (an extra file's, whose name is the user's). */
int esp_writer_remove_temporaries_of(struct esp_writer *w, const char *relative, const char *name);

/* Removes directory relative if it is empty (one operation); *ret_removed
 * says whether it was. A directory with anything in it, or no directory,
 * stays. */
int esp_writer_remove_empty_dir(struct esp_writer *w, const char *relative, bool *ret_removed);

/* Bytes free for files on the ESP. */
int esp_writer_free_bytes(const struct esp_writer *w, uint64_t *ret);
