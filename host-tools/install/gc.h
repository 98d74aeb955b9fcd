/* SPDX-License-Identifier: MIT */
/* Which generation entries `keel install` keeps: a pure decision over the
 * names found in \EFI\Linux, so that it can be tested on its own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "nixos-generation-N.efi", "nixos-generation-N-specialisation-NAME.efi",
 * each possibly with a boot counter "+LEFT[-DONE]" before ".efi". */
#define GENERATION_ENTRY_PREFIX "nixos-generation-"

struct generation_entry {
        unsigned long generation;
        bool has_counter;       /* false: blessed, or installed without --tries */
        int64_t tries_left;     /* -1 without a counter */
        char id[256];           /* the file name without the counter, ".efi" included (bootctl's ID) */
};

/* Parses an entry file name; false when it is not a generation entry
 * (keel never touches such files). */
bool generation_entry_parse(const char *filename, struct generation_entry *ret);

/* The generation an entry ID (LoaderEntrySelected, with or without ".efi",
 * a counter or a "@profile" suffix; systemd-boot's "….conf" IDs too)
 * belongs to; false for another entry. */
bool generation_of_entry_id(const char *id, unsigned long *ret);

struct gc_policy {
        const unsigned long *live;      /* generations installed by this run */
        size_t n_live;
        const unsigned long *unreadable; /* generations given whose boot.json could not be read */
        size_t n_unreadable;
        unsigned long limit;            /* keep the newest `limit` live generations; 0: all */
        bool has_booted;
        unsigned long booted;
        bool has_last_good;             /* gc_last_good() of the state before this run's writes */
        unsigned long last_good;
        bool has_default;               /* the generation loader.conf's `default` names (a rollback) */
        unsigned long default_generation;
};

/* The newest generation with an entry without a counter, i.e. the last
 * known good one; false when there is none. */
bool gc_last_good(const struct generation_entry *entries, size_t n, unsigned long *ret);

/* Whether GC keeps a generation; gc_decide() sets ret_remove[i] for each
 * entry of a generation it does not keep. Kept: entries of the newest
 * `limit` live generations, of unreadable generations (GC cannot judge what
 * it cannot read), of the booted generation, of the last known good one
 * and of the one loader.conf makes the default.
 * Everything else — older live generations and generations no longer in
 * the profile — goes. */
bool gc_keeps(const struct gc_policy *p, unsigned long generation);
void gc_decide(const struct gc_policy *p, const struct generation_entry *entries, size_t n, bool *ret_remove);
