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

/* KEEL_OK when buf holds only newc ("070701") archives, each ending with
 * its TRAILER!!! entry (zero bytes may come between archives, as the
 * kernel skips them), whose every other entry is one of the directories
 * ".extra", ".extra/credentials", ".extra/sysext", ".extra/confext" or a
 * regular file NAME.cred, NAME.sysext.raw, NAME.confext.raw directly in
 * the directory of its kind, where NAME is printable ASCII without '/'
 * and the file has one link (the kernel would link it to an earlier file
 * of the same inode otherwise), owner 0 and no permission beyond r-x.
 * Anything else — another format, a compressed archive, a symbolic link or
 * device, a path elsewhere, bytes after the last trailer other than zeros —
 * is refused with its own error. */
int companions_check(const void *buf, size_t size);
