/* SPDX-License-Identifier: MIT */
/* Shared by the fuzzers that read back newc ("070701") cpio archives
 * (fuzz-cpio, fuzz-sidecar, fuzz-companions): a check that aborts, and one
 * 8-digit header field read as the kernel's unpacker reads it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static void check(bool condition) {
        if (!condition)
                abort();
}

/* Any case of hex digit: systemd-stub's trailer spells its name size "0000000B". */
static uint32_t hex8(const uint8_t *p) {
        uint32_t v = 0;
        for (int i = 0; i < 8; i++) {
                uint8_t c = p[i];
                check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
                v = v << 4 | (uint32_t) (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
}
