/* SPDX-License-Identifier: MIT */
#pragma once

#include "boot.h"

/* Finds the XBOOTLDR partition (GPT type bc13c2ff-...) on the disk the ESP is
 * on and opens its file system. EFI_NOT_FOUND when there is none. */
EFI_STATUS xbootldr_open(EFI_HANDLE esp_device, struct partition *ret);
