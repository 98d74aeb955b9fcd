/* SPDX-License-Identifier: MIT */
#include "console.h"

bool console_cmdline_has_console(const uint16_t *cmdline, size_t units) {
        static const char word[] = "console=";
        const size_t n = sizeof(word) - 1;

        for (size_t i = 0; i < units && cmdline[i]; i++) {
                size_t k = 0;

                if (i > 0 && cmdline[i - 1] != ' ')
                        continue;
                while (k < n && i + k < units && cmdline[i + k] == (uint8_t) word[k])
                        k++;
                if (k == n)
                        return true;
        }
        return false;
}

size_t console_args(int serial_index, bool virtio_console, bool graphics, const char *ret[CONSOLE_ARGS_MAX]) {
        /* The 8250/16550 UARTs at the PC's fixed I/O ports: the ACPI UID of
         * a PNP0501 device is its COM port number, and Linux names ttySn by
         * the same ports (arch/x86/include/asm/serial.h). */
        static const char *const uart[] = {
                "console=uart,io,0x3f8",
                "console=uart,io,0x2f8",
                "console=uart,io,0x3e8",
                "console=uart,io,0x2e8",
        };
        size_t n = 0;

        if (serial_index >= 0 && (size_t) serial_index < ARRAY_SIZE(uart))
                ret[n++] = uart[serial_index];
        if (virtio_console)
                ret[n++] = "console=hvc0";
        if (n > 0 && graphics)
                ret[n++] = "console=tty0";
        return n;
}
