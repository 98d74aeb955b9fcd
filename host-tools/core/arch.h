/* SPDX-License-Identifier: MIT */
/* The architectures keel boots, and every name each one goes by on the host
 * side: one table (arch.c), so that no command spells an x86-64 constant of
 * its own. */
#pragma once

#include <stdint.h>

struct keel_arch {
        const char *name;           /* EFI file-name suffix and BLS `architecture` value: "x64", "aa64" */
        uint16_t pe_machine;        /* PE/COFF Machine of its EFI images */
        const char *uname_machine;  /* uname(2) machine of a host of this architecture */
        const char *nix_system;     /* bootspec `system` (Nix system double) */
        const char *keel_binary;    /* the keel EFI binary keel ships: "keelx64.efi" */
        const char *removable_path; /* where firmware looks without a boot entry: "EFI/BOOT/BOOTX64.EFI" */
        const char *dps_name;       /* Discoverable Partitions name part: "x86-64", "arm64" */
        /* Discoverable Partitions Specification partition type UUIDs. */
        const char *root_type, *root_verity_type, *usr_type, *usr_verity_type;
};

/* Every architecture, in a fixed order (for loops and messages). */
extern const struct keel_arch keel_arches[];
extern const unsigned keel_n_arches;

/* Lookups; NULL when no entry matches. Names compare ignoring case, as the
 * loader compares a Type #1 `architecture`. */
const struct keel_arch *keel_arch_from_name(const char *name);
const struct keel_arch *keel_arch_from_machine(uint16_t machine);
const struct keel_arch *keel_arch_from_nix_system(const char *system);

/* The architecture keel runs on (uname(2)); NULL on any other. */
const struct keel_arch *keel_arch_host(void);

/* "x64|aa64", for usage texts and messages. */
const char *keel_arch_names(void);

/* The architecture of a PE image file, from its Machine field. role (may
 * be NULL) goes before the path in the message, as in "kernel PATH: ...".
 * Logs and returns -1 when the file is no PE image or for a machine keel
 * has no binary for. */
int keel_arch_of_pe_file(const char *role, const char *path, const struct keel_arch **ret);
