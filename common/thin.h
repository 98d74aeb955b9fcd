/* SPDX-License-Identifier: MIT */
/* Thin UKIs: a signed UKI that names its kernel and initrd instead of
 * carrying them, so that generations sharing a kernel and initrd share one
 * copy on the ESP (what `keel install` writes by default).
 *
 * Section .tlinux stands for .linux, .tinitrd for .initrd. Each holds one
 * line of ASCII, nothing else (a final "\n" is allowed, a NUL is not):
 *
 *     <SHA-256 as 64 lower-case hex digits> <size in decimal> <path>
 *
 * path is absolute on the UKI's own volume, '/'-separated, each component
 * of [A-Za-z0-9._-], not "." or "..", no empty components, at most
 * THIN_PATH_MAX bytes; size has no leading zeros and is from 1 to
 * THIN_CONTENT_MAX (an empty section counts as absent in PCR 11, so an empty
 * content file would have no fat twin). The stub reads the file from its own device, refuses
 * it unless its size and SHA-256 match (Secure Boot on or off), and
 * measures it into PCR 11 as ".linux" / ".initrd" in their canonical
 * places: a thin UKI's PCR 11 is that of its fat twin whose .linux/.initrd
 * hold the same bytes. The ref sections themselves are not measured (the
 * content they pin is). A UKI may not have both .linux and .tlinux, nor
 * both .initrd and .tinitrd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define THIN_PATH_MAX 255
#define THIN_CONTENT_MAX (1024ull * 1024 * 1024) /* 1 GiB: larger is no kernel or initrd */
#define THIN_SHA256_SIZE 32
/* The longest valid section: 64 hex + ' ' + 10 digits + ' ' + path + '\n'. */
#define THIN_REF_TEXT_MAX (64 + 1 + 10 + 1 + THIN_PATH_MAX + 1)

/* Where keel install keeps content, with names "<hex>.linux" / "<hex>.initrd". */
#define THIN_CONTENT_DIR "/EFI/keel/content"

struct thin_ref {
        uint8_t sha256[THIN_SHA256_SIZE];
        uint64_t size;
        char path[THIN_PATH_MAX + 1]; /* NUL-terminated */
};

/* Parses a .tlinux/.tinitrd section's len bytes. Distinct errors:
 * KEEL_E_THIN_BAD_HASH, KEEL_E_THIN_BAD_SIZE, KEEL_E_THIN_BAD_PATH,
 * KEEL_E_THIN_TRAILING_DATA (anything after the path but one "\n"). */
int thin_ref_parse(const void *buf, size_t len, struct thin_ref *ret);

/* Writes the section text (with its final "\n", no NUL) into buf; returns
 * its length, or 0 when buf is too small or ref is not valid (the same
 * rules thin_ref_parse() applies). */
size_t thin_ref_format(const struct thin_ref *ref, char *buf, size_t buf_size);

/* True when path obeys the path rule above. */
bool thin_path_is_valid(const char *path, size_t len);

/* Whether data[0..size) is the content ref names: KEEL_E_THIN_SIZE_MISMATCH,
 * KEEL_E_THIN_HASH_MISMATCH or KEEL_OK (common/sha256.c, so the stub and the
 * host tools check alike). */
int thin_ref_check_content(const struct thin_ref *ref, const void *data, size_t size);
