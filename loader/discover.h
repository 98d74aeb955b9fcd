/* SPDX-License-Identifier: MIT */
#pragma once

#include "../common/entries.h"
#include "../efi/efi.h"

/* Enumerates Type #1 and Type #2 entries on one partition into l. Reads
 * entry files whole, but of a UKI only its headers and its .osrel and
 * .cmdline sections. Entries naming files that cannot be booted (missing,
 * a directory, an empty kernel or EFI program) are skipped with a warning. */
void discover_entries(struct entry_list *l, EFI_FILE *root, enum entry_source source);
