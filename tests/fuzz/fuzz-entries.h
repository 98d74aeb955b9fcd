/* SPDX-License-Identifier: MIT */
/* What every sorted entry list must look like, for the fuzzers that build
 * one (from entry files in memory, or from an ESP tree on disk). */
#pragma once

#include "common/entries.h"

/* bootctl's order: entries with no tries left last; within each part,
 * entries with a sort-key first, in sort-key order. *ret_any_good says
 * whether an entry with tries left (or no counter) exists. */
static inline bool entries_in_menu_order(const struct entry_list *l, bool *ret_any_good) {
        *ret_any_good = false;
        for (size_t i = 0; i < l->n_entries; i++) {
                const struct boot_entry *e = &l->entries[i], *p = i > 0 ? &l->entries[i - 1] : NULL;

                *ret_any_good |= !entry_is_bad(e);
                if (!p)
                        continue;
                if (entry_is_bad(p) > entry_is_bad(e))
                        return false;
                if (entry_is_bad(p) != entry_is_bad(e))
                        continue;
                if ((p->sort_key != NULL) < (e->sort_key != NULL))
                        return false;
                if (p->sort_key && e->sort_key && strcmp(p->sort_key, e->sort_key) > 0)
                        return false;
        }
        return true;
}
