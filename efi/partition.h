/* SPDX-License-Identifier: MIT */
/* Partitions on the disk a volume lives on, found through the disk's GPT:
 * the XBOOTLDR partition beside the loader's ESP, the ESP beside a UKI
 * (for the stub's random seed, as systemd-stub's partition_open()). */
#pragma once

#include "efi.h"

/* A partition's device handle and its file system's root. */
struct partition {
        EFI_HANDLE device;
        EFI_FILE *root;
};

/* Finds the first partition of GPT type type (as stored: common/gpt.h) on
 * the disk the volume of device is on (which may be that volume itself) and
 * opens its file system. EFI_NOT_FOUND when there is none, or the volume is
 * not on a GPT partition; name ("XBOOTLDR", "ESP") is for the console line
 * when the partition is there but has no file system the firmware reads. */
EFI_STATUS partition_open_by_type(EFI_HANDLE device, const uint8_t type[16], const char *name,
                                  struct partition *ret);
