/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

struct initrd_loader;

/* One part of the initrd the kernel gets; the parts are concatenated, each
 * padded with zeros to 4 bytes (as systemd-stub and systemd-boot do: every
 * cpio archive must start 4-aligned). */
struct initrd_piece {
        const void *data;
        size_t size;
};
#define INITRD_PIECES_MAX 32

/* The parts of one initrd in the order the kernel is to see them. */
struct initrd_list {
        struct initrd_piece pieces[INITRD_PIECES_MAX];
        size_t n_pieces;
};

/* Appends a part (an empty one is left out); EFI_BUFFER_TOO_SMALL when the
 * list is full. */
EFI_STATUS initrd_list_add(struct initrd_list *l, const void *data, size_t size);

/* Serves an initrd to the kernel's EFI stub through LoadFile2 on the
 * LINUX_EFI_INITRD_MEDIA_GUID device path (both roles: the stub for its
 * .initrd and the files it hands the OS, the loader for Type #1 `initrd`
 * lines). The pieces are copied to the kernel's buffer only when it asks;
 * they must stay valid until initrd_unregister(). EFI_ALREADY_STARTED when
 * someone else serves one already. */
EFI_STATUS initrd_register_pieces(const struct initrd_piece *pieces, size_t n_pieces, struct initrd_loader **ret);

/* The same with the last piece served as it is, unpadded, as systemd-boot
 * 262 joins what it hands an image (the loader: a Type #1 entry's initrds
 * read into one piece, or a `uki` entry's companion archives): Linux
 * measures exactly those bytes into PCR 9. */
EFI_STATUS initrd_register(const struct initrd_piece *pieces, size_t n_pieces, struct initrd_loader **ret);

/* Whether some image (a loader, another stub) already serves an initrd on
 * that device path: the kernel would load that one. */
bool initrd_path_taken(void);

/* The initrd someone else serves there, read through its LoadFile2 (at most
 * max bytes; caller frees). EFI_NOT_FOUND when there is none. */
EFI_STATUS initrd_read_offered(size_t max, void **ret_data, size_t *ret_size);

/* Takes it off that device path (its LoadFile2 and device path are
 * uninstalled), so that one initrd of the caller's own can go there. */
EFI_STATUS initrd_withdraw_offered(void);
void initrd_unregister(struct initrd_loader *loader);
