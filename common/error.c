/* SPDX-License-Identifier: MIT */
#include "error.h"
#include "util.h"

/* All texts in one block, found by 16-bit offsets: a table of pointers
 * would need a run-time relocation per error in the EFI binaries (24 bytes
 * each in .rela, plus the pointer), and those binaries have a size limit. */
#define KEEL_ERROR_FIELD(name, text) char name[sizeof(text)];
#define KEEL_ERROR_TEXT(name, text) text,
#define KEEL_ERROR_OFFSET(name, text) [name] = offsetof(struct error_text_block, name),
struct error_text_block {
        KEEL_ERRORS(KEEL_ERROR_FIELD)
};
static const struct error_text_block error_texts = { KEEL_ERRORS(KEEL_ERROR_TEXT) };
static const uint16_t error_text_offsets[] = { KEEL_ERRORS(KEEL_ERROR_OFFSET) };
_Static_assert(sizeof(struct error_text_block) <= UINT16_MAX, "error texts exceed 16-bit offsets");

const char *keel_strerror(int error) {
        if (error < 0 || error >= _KEEL_ERROR_MAX)
                return "unknown error";
        return (const char *) &error_texts + error_text_offsets[error];
}
