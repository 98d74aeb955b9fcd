/* SPDX-License-Identifier: MIT */
/* Companion archives: the cpio archives a boot loader offers a UKI as an
 * initrd for a Type #1 `uki` entry's `extra` files (systemd-boot 261):
 * credentials in .extra/credentials, system extensions in .extra/sysext,
 * configuration extensions in .extra/confext. A keel UKI takes an initrd
 * from outside only when it is nothing but such archives — files the stub
 * would itself take from beside the UKI on the same unauthenticated ESP —
 * and checks that before the kernel can see a byte of it. */
#pragma once

#include "util.h"

/* The most a stub reads of an offered initrd (all extras together). */
#define COMPANIONS_SIZE_MAX (UINT64_C(1) << 30)

/* KEEL_OK when buf holds only newc ("070701") archives, each starting at
 * a 4-byte boundary and ending with its TRAILER!!! entry (zero bytes may
 * come between archives, as the kernel skips them), whose every other entry
 * is what a loader packs for `extra` files (common/sidecar.h,
 * entry_extra_kinds): the directory ".extra" (0555), the directories
 * ".extra/credentials", ".extra/sysext", ".extra/confext" and regular files
 * NAME.cred, NAME.sysext.raw, NAME.confext.raw directly in the directory of
 * their kind, each with exactly the permissions systemd-boot 262 gives it,
 * owner and group 0, a file with one link (the kernel would link it to an
 * earlier file of the same inode otherwise), NAME printable ASCII without
 * '/' and the file name at most ENTRY_EXTRA_NAME_MAX bytes. Anything else
 * — another format, a compressed archive, a symbolic link or device, a path
 * elsewhere, other permissions (the kernel applies a directory's to one
 * that exists already), junk after the last trailer — is refused with its
 * own error. */
int companions_check(const void *buf, size_t size);
