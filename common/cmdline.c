/* SPDX-License-Identifier: MIT */
#include "cmdline.h"

static bool load_options_are_text(const void *load_options, size_t size) {
        if (!load_options || size < sizeof(uint16_t))
                return false;
        return read_le16(load_options) > 0x1f;
}

enum cmdline_source cmdline_choose(bool secure_boot, size_t uki_cmdline_len, const void *load_options,
                                   size_t load_options_size) {
        bool loader_may_override = !secure_boot || uki_cmdline_len == 0;

        if (loader_may_override && load_options_are_text(load_options, load_options_size))
                return CMDLINE_SOURCE_LOADER;
        if (uki_cmdline_len > 0)
                return CMDLINE_SOURCE_UKI;
        return CMDLINE_SOURCE_NONE;
}
