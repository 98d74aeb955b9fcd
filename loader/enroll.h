/* SPDX-License-Identifier: MIT */
/* Secure Boot key enrollment from the ESP, as systemd-boot does it:
 * \loader\keys\NAME\{db,KEK,PK}.auth are time-based authenticated variable
 * payloads (made by `keel keys create`); in Setup Mode they are written db,
 * then KEK, then PK, and the machine resets into User Mode. */
#pragma once

#include "../common/entries.h"
#include "../common/loader-conf.h"
#include "../efi/efi.h"

bool secure_boot_setup_mode(void);

/* With `secure-boot-enroll manual`: one menu entry per key set. */
void enroll_add_menu_entries(struct entry_list *l, EFI_FILE *root);

/* With `secure-boot-enroll force`: enrolls the set named "auto" after a
 * countdown of `secure-boot-enroll-timeout-sec` that any key cancels, then
 * resets or powers off (`secure-boot-enroll-action`). Returns only when
 * cancelled or failed. */
void enroll_force(EFI_FILE *root, const struct loader_config *c);

/* Writes db, KEK and PK from \loader\keys\NAME and resets (or powers off);
 * returns only on failure. */
EFI_STATUS enroll_keys(EFI_FILE *root, const char *name, enum secure_boot_enroll_action action);
