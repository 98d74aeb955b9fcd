/* SPDX-License-Identifier: MIT */
/* The boot menu model: entries discovered on the ESP (and XBOOTLDR), their
 * IDs, their order and the default — the same code in the loader and in
 * `keel entries`, so the host shows exactly what the firmware will do.
 * Order and IDs follow bootctl 252. Storage comes from the caller: an entry
 * array and a string arena. A plain list (entry_list_init) skips further
 * entries with a warning when either is full; a ranked list
 * (entry_list_init_ranked, what the loader and `keel entries` use) keeps
 * the entries that come first in menu order, whatever order the files were
 * found in. */
#pragma once

#include "bootcount.h"
#include "loader-conf.h"
#include "strutil.h"
#include "uki.h"

enum entry_type {
        ENTRY_TYPE1,          /* \loader\entries\*.conf */
        ENTRY_TYPE2,          /* \EFI\Linux\*.efi */
        ENTRY_AUTO_FIRMWARE,  /* "Reboot Into Firmware Interface" */
        ENTRY_SECURE_BOOT_KEYS, /* "Enroll Secure Boot keys: NAME" (Setup Mode, secure-boot-enroll manual) */
        ENTRY_AUTO_EFI,       /* a well-known EFI program found on the ESP (auto-entries) */
};

enum entry_source {
        ENTRY_SOURCE_ESP,
        ENTRY_SOURCE_XBOOTLDR,
        ENTRY_SOURCE_NONE,
};

struct boot_entry {
        enum entry_type type;
        enum entry_source source;
        const char *id;          /* file name without the boot counter */
        const char *filename;    /* the name on disk, counter included */
        const char *title;       /* never NULL: falls back to the ID */
        const char *version;     /* NULL when absent */
        const char *sort_key;
        const char *machine_id;
        const char *linux_path;  /* Type #1 `linux` */
        const char *efi_path;    /* Type #1 `efi`, or the UKI itself for Type #2 */
        const char *uki_path;    /* Type #1 `uki` (systemd 259): a UKI, started with the entry's options */
        const char *devicetree;
        const char **initrds;
        size_t n_initrds;
        const char **extras;     /* Type #1 `extra` (systemd 261): companion files of a `uki` entry */
        size_t n_extras;
        const char *options;     /* Type #1 options joined; a UKI's .cmdline; NULL if none */
        int64_t tries_left;      /* BOOTCOUNT_UNKNOWN without a counter */
        int64_t tries_done;
        unsigned profile;        /* the UKI profile it boots ("@N" load options when > 0): Type #2, Type #1 `uki` */
        /* A second name the entry answers to in patterns (LoaderEntryDefault,
         * loader.conf `default`...): "ID@N" of a profile named by its .profile
         * ID=, "ID@PROFILE-ID" of a profile 0 that has one (bootctl 262's
         * name for it); NULL for none. */
        const char *alias;
        /* The entry's strings in the list's arena, one block per entry (for
         * the list itself: a ranked list moves blocks to reuse the space of
         * entries it dropped). */
        size_t arena_offset, arena_size;
};

/* The loader's and `keel entries`' sizes, the same on both sides so that
 * both keep the same entries: this many entries from files, room for the
 * loader's own entries after them, and a string arena of which a ranked
 * list lets the kept entries use half (see entry_list_init_ranked). A
 * thousand real entries need a few hundred KiB. */
#define ENTRY_MENU_MAX 1024
#define ENTRY_MENU_RESERVED 16
#define ENTRY_MENU_ARENA_SIZE (4u * 1024 * 1024)

/* Files the loader and `keel entries` read whole: a Type #1 entry file, and
 * a UKI's .osrel and .cmdline sections. Larger ones are refused, with the
 * reason (entry_uki_section_fits). */
#define ENTRY_FILE_MAX (64u * 1024)
#define ENTRY_UKI_SECTION_MAX (64u * 1024)

/* The most arena bytes one entry can take (every field at its limit, 32
 * initrds, 32 extras); a ranked list needs an arena of at least 4 times
 * this to keep its promise for every order of arrival. */
#define ENTRY_COST_MAX (48u * 1024)

typedef void (*entry_warn_fn)(void *userdata, const char *filename, const char *what);

/* What a path an entry names is, on the partition the entry comes from. */
enum entry_file_kind {
        ENTRY_FILE_MISSING,   /* absent, or it cannot be opened */
        ENTRY_FILE_DIRECTORY,
        ENTRY_FILE_EMPTY,     /* a file of 0 bytes */
        ENTRY_FILE_REGULAR,   /* a file with data */
};
typedef enum entry_file_kind (*entry_file_fn)(void *userdata, const char *path);

struct entry_list {
        struct boot_entry *entries;
        size_t n_entries, capacity;
        char *arena;
        size_t arena_size, arena_used;
        entry_warn_fn warn;
        void *userdata;
        entry_file_fn file_kind;     /* NULL: files are not looked at */
        void *file_userdata;
        /* A ranked list: entries[0..n_entries) is a heap with the entry that
         * sorts last at its root, so that it is the one to drop. */
        bool ranked;
        size_t max_from_files;       /* the rest of capacity is for the loader's own entries */
        size_t budget;               /* arena bytes the kept entries may use */
        size_t kept_bytes, garbage_bytes;
        bool has_boundary;
        struct boot_entry boundary;  /* the entry left out that sorts first: anything after it is left out too */
        const char *boundary_why;    /* why it was: the same reason holds for anything after it */
        /* The machine the menu is for: a Type #1 entry naming another
         * `architecture` is hidden, and callers reading UKIs skip those whose
         * PE machine is not `machine` (see entry_list_set_architecture). */
        const char *architecture;    /* BLS name: "x64", "aa64"; NULL: any */
        uint16_t machine;            /* PE machine type; 0: any */
};

void entry_list_init(struct entry_list *l, struct boot_entry *storage, size_t capacity, char *arena, size_t arena_size,
                     entry_warn_fn warn, void *userdata);

/* A list that keeps, of all entries ever added from files, exactly those
 * that come first in menu order (entries_sort's order) while they number
 * at most capacity - reserved and their strings take at most half the
 * arena; the rest is dropped with a warning each, so the result does not
 * depend on the order in which files are found (directory order on FAT,
 * readdir() on the host). The other half of the arena is slack that makes
 * reusing the space of dropped entries cheap. reserved slots stay free for
 * entries_add_auto_firmware(), entries_add_auto_efi() and
 * entries_add_secure_boot_keys() after sorting. The promise holds for any
 * arrival order when arena_size >= 4 * ENTRY_COST_MAX; with a smaller arena
 * an entry that finds no room is dropped as in a plain list. */
void entry_list_init_ranked(struct entry_list *l, struct boot_entry *storage, size_t capacity, size_t reserved,
                            char *arena, size_t arena_size, entry_warn_fn warn, void *userdata);

/* The architecture entries must be for, as the BLS `architecture` value
 * ("x64", "aa64"; compared ignoring case, as systemd-boot does) and the PE
 * machine type of its UKIs. A new list takes every architecture; the loader
 * sets its own (efi/arch.h), `keel entries` its target's. */
void entry_list_set_architecture(struct entry_list *l, const char *architecture, uint16_t machine);

/* Makes entries_add_type1() look at the files an entry names, through fn,
 * before adding it: an entry is hidden with a warning when its linux or efi
 * is missing, a directory or empty, or an initrd is missing or a directory
 * (an empty initrd is fine). NULL turns the check off. */
void entry_list_set_file_check(struct entry_list *l, entry_file_fn fn, void *userdata);

/* Paths in entry files are relative to the partition root; a ".." component
 * or a control character has no business there: such an entry is never
 * booted. */
bool entry_path_is_safe(struct slice p);

/* Whether a directory entry name is a candidate at all (extension, hidden
 * files, reserved "auto-" names) — lets the caller skip reading the file. */
bool entry_filename_is_type1(struct slice filename);
bool entry_filename_is_type2(struct slice filename);

/* Adds a Type #1 entry from its file contents. Entries that cannot be booted
 * (no linux/efi, another architecture, invalid name or counter, fields too
 * long, with a file check: files that cannot be booted) are skipped with a
 * warning. Returns true when the entry was added (in a ranked list: kept for
 * now; an entry that sorts before it may still push it out later). */
bool entries_add_type1(struct entry_list *l, enum entry_source source, struct slice filename, const void *content,
                       size_t len);

/* Adds a Type #2 entry from a UKI's .osrel and .cmdline sections (either may
 * be NULL/0). */
bool entries_add_type2(struct entry_list *l, enum entry_source source, struct slice filename, const void *osrel,
                       size_t osrel_len, const void *cmdline, size_t cmdline_len);

/* The same for one profile of a multi-profile UKI (systemd-boot 257): the
 * sections of that profile (uki_find_profile_sections()) and its .profile
 * text (NULL for a UKI without profiles). Profile 0 keeps the UKI's ID;
 * profile N > 0 is "ID@PROFILE-ID" when its .profile has an ID= (systemd-boot
 * 262), else "ID@N" (an ID= with characters no entry ID may have counts as
 * none, with a warning). The title is the OS name followed by the profile's
 * TITLE= (else, past profile 0, its ID= or "Profile #N+1") in parentheses. */
bool entries_add_type2_profile(struct entry_list *l, enum entry_source source, struct slice filename,
                               unsigned profile, const void *profile_text, size_t profile_len, const void *osrel,
                               size_t osrel_len, const void *cmdline, size_t cmdline_len);

/* The load options an entry is started with. A Type #2 entry: the edited
 * command line (NULL when none: the UKI's own .cmdline applies). A Type #1
 * entry: the edited command line, else its `options` (NULL when none).
 * For a UKI profile N > 0 (Type #2, Type #1 `uki` with `profile`), "@N"
 * goes first, followed by " " and those options when there are any
 * (systemd-boot 257), written to out (ENTRY_BOOT_OPTIONS_MAX bytes hold any
 * options an entry or the menu's editor has; ones that do not fit are
 * dropped rather than cut). */
#define ENTRY_BOOT_OPTIONS_MAX (8192 + 16)
const char *entry_boot_options(const struct boot_entry *e, const char *edited, char *out, size_t out_size);

/* Whether the loader reads a UKI's section (".osrel", ".cmdline") of this
 * size; when not, why, as a warning's text ("its .cmdline section is 70000
 * bytes, more than the 65536 keel reads; ignoring it"), cut to why_size. */
bool entry_uki_section_fits(const char *section, uint64_t size, char *why, size_t why_size);

/* The volume path of a UKI entry file, "\EFI\Linux\NAME"; false when it
 * does not fit in out_size bytes (NUL included). */
bool entry_uki_path(struct slice filename, char *out, size_t out_size);

/* Adds the firmware-setup entry (after sorting; it always goes last). */
bool entries_add_auto_firmware(struct entry_list *l);

/* Adds an entry found by looking for a well-known program (auto-entries:
 * "auto-windows", "auto-efi-shell"), after sorting, as systemd-boot does. */
bool entries_add_auto_efi(struct entry_list *l, const char *id, const char *title, const char *efi_path);

/* Adds an entry that enrolls the key set \loader\keys\NAME (after sorting). */
bool entries_add_secure_boot_keys(struct entry_list *l, struct slice name);

/* Sorts as bootctl 252 and systemd-boot 262: entries with no tries left
 * last; entries with a sort-key first, by sort-key, machine-id, version
 * (newest first); then by UKI profile (all profile 0 entries first, as
 * systemd-boot 262 lists them); then by ID (newest first). */
void entries_sort(struct entry_list *l);

/* What picks the default entry: the Boot Loader Interface variables (NULL
 * or empty when unset) and loader.conf. */
struct entry_default_request {
        const char *sysfail;         /* LoaderEntrySysFail, only when the firmware reported a system failure */
        const char *oneshot;         /* LoaderEntryOneShot */
        const char *preferred;       /* LoaderEntryPreferred (systemd 260) */
        const char *efivar_default;  /* LoaderEntryDefault */
        const char *saved;           /* LoaderEntryLastBooted, for `@saved` */
        const struct loader_config *config;
};

/* The default entry, as systemd-boot 262 picks it: the first entry
 * matching, in this order, LoaderEntrySysFail (after a system failure),
 * LoaderEntryOneShot, LoaderEntryPreferred (never an entry with no tries
 * left), LoaderEntryDefault (`@saved`: the saved entry), loader.conf
 * `preferred` (never one with no tries left), loader.conf `default` (or the
 * saved entry with `@saved`); else the first entry of profile 0 (systemd
 * 261: a UKI's other profiles are never booted unasked). keel goes beyond
 * systemd-boot: no rule lands on an entry with no tries left while a good
 * entry exists. Returns SIZE_MAX when there is no entry to boot (an empty
 * list, or only the loader's own auto entries), unless a pattern names one
 * of those. */
size_t entries_select_default(const struct entry_list *l, const struct entry_default_request *r);

/* The entry whose ID (or alias) matches a pattern (glob, case-insensitive)
 * or SIZE_MAX. */
size_t entries_find(const struct entry_list *l, const char *pattern, bool skip_bad);

static inline bool entry_is_bad(const struct boot_entry *e) {
        return e->tries_left == 0;
}

/* Menu entries the loader adds itself (firmware setup, key enrollment,
 * programs found by auto-entries): never the default unless asked for by
 * name, never a fallback, no command line to edit. */
static inline bool entry_is_auto(const struct boot_entry *e) {
        return e->type == ENTRY_AUTO_FIRMWARE || e->type == ENTRY_SECURE_BOOT_KEYS || e->type == ENTRY_AUTO_EFI;
}
