/* SPDX-License-Identifier: MIT */
#include "console.h"
#include "../common/cmdline.h"
#include "../common/console.h"
#include "../common/error.h"
#include "../common/utf.h"
#include "../efi/console-detect.h"

EFI_STATUS stub_cmdline_append_console(CHAR16 **cmdline) {
        size_t base = *cmdline ? utf16_strnlen(*cmdline, SIZE_MAX / 4) : 0, total = base, n, o;
        const char *words[CONSOLE_ARGS_MAX];
        CHAR16 *joined;
        int r;

        if (*cmdline && console_cmdline_has_console(*cmdline, base))
                return EFI_SUCCESS;
        n = console_args(console_serial_index(), console_virtio_console(), console_graphics(), words);
        if (n == 0)
                return EFI_SUCCESS;
        for (size_t i = 0; i < n; i++)
                total += (total > 0) + strlen(words[i]);
        joined = efi_alloc((total + 1) * sizeof(CHAR16));
        if (!joined)
                return EFI_OUT_OF_RESOURCES;
        if (base > 0)
                memcpy(joined, *cmdline, base * sizeof(CHAR16));
        o = base;
        for (size_t i = 0; i < n; i++) {
                if (o > 0)
                        joined[o++] = ' ';
                o += utf8_to_utf16(words[i], strlen(words[i]), joined + o);
        }
        joined[o] = 0;
        r = cmdline_check_kernel_limits(joined, o, NULL);
        if (r != KEEL_OK) {
                efi_print("keel: not adding %s: the command line would be cut by the kernel: %s\n", words[0],
                          keel_strerror(r));
                efi_free(joined);
                return EFI_SUCCESS;
        }
        efi_free(*cmdline);
        *cmdline = joined;
        return EFI_SUCCESS;
}
