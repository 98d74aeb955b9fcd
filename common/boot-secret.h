/* SPDX-License-Identifier: MIT */
/* The boot secret systemd-stub 261+ hands the OS as /.extra/boot-secret
 * (src/boot/boot-secret.c): SHA-256 over a label, a per-machine secret kept
 * in the boot-services-only EFI variable LoaderBootSecret, a per-disk
 * "mixin" in \loader\boot-secret-mixin on the UKI's volume, and an OS
 * identifier from the UKI's .osrel. The variable and the mixin are made,
 * when missing, from the kernel's LINUX_EFI_RANDOM_SEED table, which is then
 * evolved so that the kernel never sees a seed a secret came from. Same
 * inputs, same secret as under systemd-stub: an OS keeps its secret when it
 * switches stubs. This file only parses and hashes; stub/boot-secret.c glues
 * it to the firmware. */
#pragma once

#include "util.h"

#define BOOT_SECRET_SIZE 32u

/* The OS identifier: the value of the first IMAGE_ID=, else of the last
 * ID=, else "linux" (*ret_id points at a static string then), read from
 * osrel[0..len) as systemd-stub reads it: the text ends at a NUL; lines end
 * at '\n' or '\r'; blanks and tabs around a line are dropped; '#' starts a
 * comment line; the key is everything before the first '=', the value
 * everything after the run of '='; a value in double quotes loses them when
 * the line ends in one (no escapes, single quotes stay). *ret_id points
 * into osrel (or the static fallback), *ret_len bytes, no NUL. */
void boot_secret_os_id(const char *osrel, size_t len, const char **ret_id, size_t *ret_len);

/* A fresh 32-byte secret from the random seed table's seed[0..seed_size)
 * (seed_size >= 32: the table's own size field), then the seed's first 32
 * bytes replaced by a hash of it, so that it is never used twice. */
void boot_secret_from_seed(uint8_t *seed, uint32_t seed_size, uint8_t ret[BOOT_SECRET_SIZE]);

/* The secret for the OS: SHA-256("systemd-stub derive secret label v1" ||
 * machine secret || mixin || le64(id_len) || id). */
void boot_secret_derive(const uint8_t machine_secret[BOOT_SECRET_SIZE], const uint8_t mixin[BOOT_SECRET_SIZE],
                        const char *id, size_t id_len, uint8_t ret[BOOT_SECRET_SIZE]);
