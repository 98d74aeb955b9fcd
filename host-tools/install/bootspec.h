/* SPDX-License-Identifier: MIT */
/* NixOS boot specifications (RFC 0125): the boot.json of a system
 * generation, read as `keel install` needs it. Only the namespaces
 * org.nixos.bootspec.v1 and org.nixos.specialisation.v1 are read; others
 * are ignored. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One bootable configuration: a generation's own, or one of its
 * specialisations. Every string is malloc'd and NUL-terminated; optional
 * ones are NULL when absent. */
struct bootspec_config {
        char *system;           /* "x86_64-linux", "aarch64-linux", ... */
        char *init;             /* absolute store path */
        char *initrd;           /* optional */
        char *initrd_secrets;   /* optional: a program run as `PROGRAM INITRD_COPY` that appends to it */
        char *kernel;
        char **kernel_params;   /* n_kernel_params strings */
        size_t n_kernel_params;
        char *label;
        char *toplevel;
        /* optional: "org.nixos.systemd-boot": {"sortKey": ...} of the same
         * document (the BLS sort-key, [A-Za-z0-9._-]+) */
        char *sort_key;
};

struct bootspec_specialisation {
        char *name;             /* [A-Za-z0-9_.-]+, as the attribute name */
        struct bootspec_config config;
};

/* The largest boot.json read (bootspec_parse refuses a longer document
 * too). */
#define BOOTSPEC_MAX_SIZE (1024u * 1024u)
/* The longest specialisation name accepted (it goes into file names). */
#define BOOTSPEC_NAME_MAX 128u

struct bootspec {
        unsigned long generation;      /* N of system-N-link */
        struct bootspec_config config;
        struct bootspec_specialisation *specialisations; /* sorted by name */
        size_t n_specialisations;
};

/* Parses a boot.json document of len bytes (need not be NUL-terminated).
 * On failure returns -1 and writes one human-readable reason into
 * error[0..error_size) (e.g. "pre-RFC bootspec (key \"v1\"), not
 * org.nixos.bootspec.v1", "org.nixos.bootspec.v1.kernel is not a string",
 * "specialisation \"x/y\": invalid name"); ret is then empty. Does not log.
 * Strings must be valid UTF-8 without NUL; paths (init, initrd,
 * initrdSecrets, kernel, toplevel) must be absolute; kernelParams must be
 * an array of strings without spaces or line breaks; label non-empty. */
int bootspec_parse(const char *json, size_t len, struct bootspec *ret, char *error, size_t error_size);

/* The generation number of a profile link path: "…/system-42-link" gives
 * 42. A path that is not such a link (e.g. the store path it points to) is
 * looked up among the system-N-link siblings in profiles_dir (NULL:
 * /nix/var/nix/profiles) whose target is the same directory. Returns -1
 * after writing the reason into error. */
int bootspec_generation_number(const char *path, const char *profiles_dir, unsigned long *ret, char *error,
                               size_t error_size);

/* Reads PATH/boot.json and the generation number. On failure returns -1
 * with the reason in error (the caller logs "skipping PATH: REASON"). */
int bootspec_load_generation(const char *path, const char *profiles_dir, struct bootspec *ret, char *error,
                             size_t error_size);

void bootspec_free(struct bootspec *b);

/* The kernel command line of a configuration: "init=<init> <kernelParams…>"
 * (malloc'd). */
char *bootspec_cmdline(const struct bootspec_config *c);

/* "x86_64-linux" -> "x64", "aarch64-linux" -> "aa64" (the EFI file-name
 * suffix of the matching stub), NULL for anything else. */
const char *bootspec_efi_arch(const char *system);
