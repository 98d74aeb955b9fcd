/* SPDX-License-Identifier: MIT */
/* The boot loader's random seed, derived the way systemd-boot (253+,
 * src/boot/random-seed.c) derives it: one SHA-256 over a label and
 * length-prefixed inputs — a seed table a previous boot stage installed,
 * the firmware's EFI_RNG_PROTOCOL, the LoaderSystemToken variable, the old
 * \loader\random-seed file, the monotonic counter and the time — gives a
 * key; from the key, domain-separated hashes give the new seed file
 * (key || 0), the kernel's LINUX_EFI_RANDOM_SEED table (key || 1) and,
 * keel's addition for systemd 252 userspace, the LoaderRandomSeed variable
 * (key || 2). The rules for when there is too little to go on are
 * systemd-boot's; this file only decides and hashes, efi/ and loader/
 * glue it to the firmware (loader/random-seed.c). */
#pragma once

#include "util.h"

#define RANDOM_SEED_SIZE 32u            /* Linux's pool wants 256 bits */
#define RANDOM_SEED_FILE_MIN 32u        /* shorter: treated as a fresh file */
#define RANDOM_SEED_FILE_MAX (32u * 1024) /* longer: refused (systemd-boot's bounds) */
/* A previous stage's table: the kernel's EFI stub merges at most 512 bytes
 * of it (drivers/firmware/efi/libstub/random.c); a bigger size field is
 * not believed, so keel never reads an unbounded length from memory. */
#define RANDOM_SEED_TABLE_MAX 512u
#define RANDOM_SEED_TABLE_HEADER 4u     /* struct linux_efi_random_seed { u32 size; u8 bits[]; } */

/* Everything collected from the firmware and the ESP. A NULL pointer with
 * size 0 means "not available". */
struct random_seed_input {
        bool has_previous_table;
        const uint8_t *previous_table_seed; /* the table's bits[], already bounded */
        size_t previous_table_size;
        const uint8_t *rng;                 /* RANDOM_SEED_SIZE bytes from EFI_RNG_PROTOCOL, or NULL */
        bool secure_boot;
        const uint8_t *system_token;        /* LoaderSystemToken's payload, or NULL */
        size_t system_token_size;
        bool file_exists;                   /* \loader\random-seed could be opened */
        uint64_t file_size;                 /* its size */
        const uint8_t *file;                /* its contents (file_size bytes) when 32 <= size <= 32 KiB */
        bool has_monotonic;
        uint64_t monotonic;                 /* BS->GetNextMonotonicCount() */
        const uint8_t *time;                /* the raw EFI_TIME, or NULL */
        size_t time_size;
};

struct random_seed_output {
        uint8_t file_seed[RANDOM_SEED_SIZE];     /* written at offset 0 of the file */
        uint8_t table_seed[RANDOM_SEED_SIZE];    /* the new LINUX_EFI_RANDOM_SEED table's bits */
        uint8_t variable_seed[RANDOM_SEED_SIZE]; /* LoaderRandomSeed (systemd 252 userspace) */
        bool create_file;                        /* the file is absent: create it */
        uint64_t zero_tail;                      /* bytes after the first 32 to overwrite with zeros */
};

/* The previous table at mem, of which avail bytes may be read: its header
 * and seed. KEEL_E_RANDOM_SEED_TABLE_BAD when avail is shorter than the
 * header or the size it gives, or the size is over RANDOM_SEED_TABLE_MAX. */
int random_seed_table_parse(const void *mem, size_t avail, const uint8_t **ret_seed, size_t *ret_size);

/* Whether what the firmware gave (a previous table of >= 32 bytes, or the
 * RNG) makes a seed worth creating a missing file for, as systemd-boot's
 * seeded_by_efi. */
bool random_seed_seeded_by_efi(const struct random_seed_input *in);

/* Applies systemd-boot's rules in its order and, when a seed may be
 * passed, fills *out. KEEL_OK, or (nothing to write, nothing to pass):
 * KEEL_E_RANDOM_SEED_UNTRUSTED (Secure Boot, no randomness from the
 * firmware), KEEL_E_RANDOM_SEED_NO_ENTROPY (no firmware randomness and no
 * system token of 32 bytes or more), KEEL_E_RANDOM_SEED_NO_FILE (no file
 * and no firmware randomness to create one from),
 * KEEL_E_RANDOM_SEED_FILE_TOO_LARGE, KEEL_E_RANDOM_SEED_NO_COUNTER (no
 * monotonic counter and no firmware randomness). *out is zeroed on error. */
int random_seed_derive(const struct random_seed_input *in, struct random_seed_output *out);

/* Overwrites n bytes in a way the compiler keeps (secrets on the stack). */
void random_seed_erase(void *p, size_t n);
