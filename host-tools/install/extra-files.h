/* SPDX-License-Identifier: MIT */
/* `keel install --extra-file DEST=SRC` and `--extra-entry NAME.conf=SRC`:
 * files (an EFI shell, memtest) and Type #1 entries put on the ESP as
 * NixOS's systemd-boot module does with extraFiles and extraEntries, and
 * removed again once no longer asked for — but only files keel wrote,
 * with the content it wrote (the record, host-tools/install/extra-manifest.h).
 * Everything goes through the ESP writer: a crash at any point leaves
 * every file either old or new, and the record naming at least every file
 * keel wrote. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host-tools/install/esp-writer.h"
#include "host-tools/install/extra-manifest.h"

struct extra_item {
        char *dest;                     /* ESP path: DEST, or loader/entries/NAME.conf */
        const char *source;
        bool is_entry;
        uint8_t *entry_text;            /* an entry's checked bytes; NULL: copied from source */
        uint64_t size;
        uint8_t sha256[32];
        bool unchanged;                 /* the ESP has it already */
};

struct extras {
        struct extra_item *items;
        size_t n;
        struct extra_record *recorded;  /* the record on the ESP before this run */
        size_t n_recorded;
        bool has_record;                /* the record file exists */
        char *record_before, *record_after; /* texts: the union written first, the final one */
        size_t record_before_len, record_after_len;
};

/* One --extra-file (entry false) or --extra-entry (entry true) argument,
 * DEST=SRC (DEST up to the first '='); refused with one line when DEST is
 * not one keel may write or is given twice. */
int extras_add_option(struct extras *x, const char *argument, bool entry);

/* Before anything is written: reads and checks every source (an entry must
 * parse as a Type #1 entry naming one thing to boot), notes which are on
 * the ESP already, reads the record. */
int extras_plan(struct extras *x, struct esp_writer *esp);

/* What extras_install() may allocate on the ESP. */
uint64_t extras_space_needed(const struct extras *x, uint64_t (*allocated)(uint64_t size));

/* The record (the union of old and new), the files, the entries; then the
 * recorded files no longer asked for, entries first, each only while it
 * has a recorded digest, with the directories that left empty (never
 * \EFI, \EFI\BOOT, \EFI\Linux, \EFI\keel, \loader, \loader\entries); last
 * the record of what is there now. report(what, path, userdata) for each
 * file written ("extra-file", "extra-entry") or removed ("removed-extra"). */
int extras_install(struct extras *x, struct esp_writer *esp,
                   void (*report)(const char *what, const char *path, void *userdata), void *userdata);

/* Whether the file at dest on the ESP is one keel wrote there: the record
 * names dest with the file's present SHA-256 (a file of up to max bytes). */
bool extras_wrote(struct esp_writer *esp, const char *dest, size_t max);

void extras_done(struct extras *x);
