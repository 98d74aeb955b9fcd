/* SPDX-License-Identifier: MIT */
#include "blockio.h"
#include "error.h"

int block_read_size(uint64_t size, uint32_t block_size, size_t *ret_size) {
        uint64_t blocks;

        *ret_size = 0;
        if (block_size == 0)
                return KEEL_E_BLOCK_SIZE_ZERO;
        /* size / block_size rounded up, without the size + block_size - 1
         * that wraps for sizes near the top of the range. */
        blocks = size / block_size + (size % block_size != 0);
        if (blocks > SIZE_MAX / block_size)
                return KEEL_E_BLOCK_READ_TOO_LARGE;
        *ret_size = (size_t) (blocks * block_size);
        return KEEL_OK;
}
