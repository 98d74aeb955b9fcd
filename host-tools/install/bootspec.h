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
 * Strings must be non-empty, valid UTF-8 without NUL or other control
 * characters (so no line breaks); paths (init, initrd, initrdSecrets,
 * kernel, toplevel) must be absolute; kernelParams must be an array of
 * strings and each of them, like init, one word of the kernel command line:
 * no space, no byte 0xa0 (a space to the kernel's Latin-1 isspace), an even
 * number of '"' (an open quote would swallow the next parameters). null for
 * an optional member is absence. The JSON must be strict (no comments,
 * nothing after the document), at most BOOTSPEC_MAX_SIZE bytes, without
 * NUL bytes, duplicate keys (anywhere, also in ignored namespaces), keys
 * containing \u0000, or lone surrogate escapes. Specialisation names are
 * 1..BOOTSPEC_NAME_MAX of [A-Za-z0-9_.-] but "." and ".."; a
 * specialisation's own org.nixos.specialisation.v1 must be absent, null or
 * {} (anything else refuses the whole document). The pre-RFC format (top
 * level "v1" without "org.nixos.bootspec.v1") has its own reason. */
int bootspec_parse(const char *json, size_t len, struct bootspec *ret, char *error, size_t error_size);

/* The generation number of a profile link path: "…/system-42-link" gives
 * 42 (by the name alone; trailing slashes are ignored). N is decimal, from 1,
 * without leading zeros, and fits an unsigned long: "system-0-link",
 * "system-042-link", "system-0x1-link", "system--link" are not such names.
 * A path that is not such a link (e.g. the store path it points to, or the
 * profile link "system") is looked up among the system-N-link entries of
 * profiles_dir (NULL: /nix/var/nix/profiles) whose realpath equals the
 * path's; when several do, the highest N. Returns -1 after writing the
 * reason into error. */
int bootspec_generation_number(const char *path, const char *profiles_dir, unsigned long *ret, char *error,
                               size_t error_size);

/* Reads PATH/boot.json (a regular file of at most BOOTSPEC_MAX_SIZE bytes;
 * opened without blocking, so a FIFO is refused, not waited on) and the
 * generation number. On failure returns -1 with the reason in error ("no
 * boot.json (...)", "boot.json: REASON", or the generation lookup's), and ret
 * empty (the caller logs "skipping PATH: REASON"). */
int bootspec_load_generation(const char *path, const char *profiles_dir, struct bootspec *ret, char *error,
                             size_t error_size);

void bootspec_free(struct bootspec *b);

/* The kernel command line of a configuration: "init=<init> <kernelParams…>"
 * with one space between words and none at the end (malloc'd; NULL when out
 * of memory). */
char *bootspec_cmdline(const struct bootspec_config *c);

/* "x86_64-linux" -> "x64", "aarch64-linux" -> "aa64" (the EFI file-name
 * suffix of the matching stub), NULL for anything else. */
const char *bootspec_efi_arch(const char *system);
