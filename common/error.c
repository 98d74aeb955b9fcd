/* SPDX-License-Identifier: MIT */
#include "error.h"

static const char *const error_texts[] = {
#define KEEL_ERROR_TEXT(name, text) [name] = text,
        KEEL_ERRORS(KEEL_ERROR_TEXT)
#undef KEEL_ERROR_TEXT
};

const char *keel_strerror(int error) {
        if (error < 0 || error >= _KEEL_ERROR_MAX)
                return "unknown error";
        return error_texts[error];
}
