/* SPDX-License-Identifier: MIT */
/* The version marker bootctl looks for in the EFI binaries on the ESP
 * ("Available Boot Loaders on ESP: /EFI/BOOT/BOOTX64.EFI (keel 0.1)"):
 * systemd-boot and systemd-stub carry "#### LoaderInfo: NAME VERSION ####"
 * as the whole of a .sdmagic section; bootctl 262 reads that section,
 * older ones search the file for the text. One binary, both roles: a UKI
 * built on keel's stub carries it too. No NUL: the section is the text. */
#define LOADER_INFO_MARKER "#### LoaderInfo: keel " KEEL_VERSION " ####"

static const char loader_info_marker[sizeof(LOADER_INFO_MARKER) - 1]
        __attribute__((section(".sdmagic"), used)) = LOADER_INFO_MARKER;
