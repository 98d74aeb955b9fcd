/* SPDX-License-Identifier: MIT */
#include "initrd.h"

#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_VENDOR 0x03
#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff

struct initrd_device_path {
        VENDOR_DEVICE_PATH vendor;
        EFI_DEVICE_PATH end;
} _packed_;

struct initrd_loader {
        EFI_LOAD_FILE_PROTOCOL load_file2; /* must stay first: the kernel hands it back as `this` */
        struct initrd_piece pieces[INITRD_PIECES_MAX];
        size_t n_pieces;
        bool pad_last;                     /* the last piece padded to 4 as well */
        size_t size;                       /* all pieces with their padding */
        EFI_HANDLE handle;
};

static const struct initrd_device_path initrd_device_path = {
        .vendor = {
                .Header = { DP_TYPE_MEDIA, DP_SUBTYPE_VENDOR, { sizeof(VENDOR_DEVICE_PATH), 0 } },
                .Guid = { 0x5568e427, 0x68fc, 0x4f3d, { 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68 } },
        },
        .end = { DP_TYPE_END, DP_SUBTYPE_END_ENTIRE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

static size_t padding4(size_t n) {
        return (4 - (n & 3)) & 3;
}

/* Zeros after piece i: every piece but the last ends on 4 bytes, so the
 * next cpio header is aligned; the last one only when pad_last. */
static size_t piece_padding(const struct initrd_loader *loader, size_t i, size_t size) {
        return i + 1 < loader->n_pieces || loader->pad_last ? padding4(size) : 0;
}

/* The kernel first asks with no buffer to learn the size, then again to copy. */
static EFI_STATUS EFIAPI initrd_load_file(EFI_LOAD_FILE_PROTOCOL *this, EFI_DEVICE_PATH *file_path _unused_,
                                          BOOLEAN boot_policy, UINTN *buffer_size, void *buffer) {
        struct initrd_loader *loader = (struct initrd_loader *) this;
        uint8_t *out = buffer;

        if (!loader || !buffer_size)
                return EFI_INVALID_PARAMETER;
        if (boot_policy)
                return EFI_UNSUPPORTED;
        if (loader->size == 0)
                return EFI_NOT_FOUND;
        if (!buffer || *buffer_size < loader->size) {
                *buffer_size = loader->size;
                return EFI_BUFFER_TOO_SMALL;
        }
        for (size_t i = 0; i < loader->n_pieces; i++) {
                const struct initrd_piece *p = &loader->pieces[i];
                size_t pad = piece_padding(loader, i, p->size);
                memcpy(out, p->data, p->size);
                memset(out + p->size, 0, pad);
                out += p->size + pad;
        }
        *buffer_size = loader->size;
        return EFI_SUCCESS;
}

/* The handle serving the initrd device path, NULL for none. */
static EFI_HANDLE offered_handle(void) {
        EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *) &initrd_device_path;
        EFI_HANDLE handle;

        if (BS->LocateDevicePath((EFI_GUID *) &load_file2_guid, &dp, &handle) != EFI_SUCCESS || dp->Type != DP_TYPE_END)
                return NULL;
        return handle;
}

bool initrd_path_taken(void) {
        return offered_handle() != NULL;
}

EFI_STATUS initrd_read_offered(size_t max, void **ret_data, size_t *ret_size) {
        EFI_HANDLE handle = offered_handle();
        EFI_LOAD_FILE_PROTOCOL *lf;
        UINTN size = 0;
        void *data;
        EFI_STATUS err;

        *ret_data = NULL;
        *ret_size = 0;
        if (!handle)
                return EFI_NOT_FOUND;
        err = BS->HandleProtocol(handle, (EFI_GUID *) &load_file2_guid, (void **) &lf);
        if (err != EFI_SUCCESS)
                return err;
        err = lf->LoadFile(lf, (EFI_DEVICE_PATH *) &initrd_device_path, FALSE, &size, NULL);
        if (err != EFI_BUFFER_TOO_SMALL)
                return err == EFI_SUCCESS ? EFI_BAD_BUFFER_SIZE : err;
        if (size == 0 || size > max)
                return EFI_BAD_BUFFER_SIZE;
        data = efi_alloc(size);
        if (!data)
                return EFI_OUT_OF_RESOURCES;
        err = lf->LoadFile(lf, (EFI_DEVICE_PATH *) &initrd_device_path, FALSE, &size, data);
        if (err != EFI_SUCCESS || size > max) {
                efi_free(data);
                return err != EFI_SUCCESS ? err : EFI_BAD_BUFFER_SIZE;
        }
        *ret_data = data;
        *ret_size = size;
        return EFI_SUCCESS;
}

EFI_STATUS initrd_withdraw_offered(void) {
        EFI_HANDLE handle = offered_handle();
        void *lf, *dp;
        EFI_STATUS err;

        if (!handle)
                return EFI_SUCCESS;
        err = BS->HandleProtocol(handle, (EFI_GUID *) &load_file2_guid, &lf);
        if (err == EFI_SUCCESS)
                err = BS->HandleProtocol(handle, (EFI_GUID *) &device_path_guid, &dp);
        if (err == EFI_SUCCESS)
                err = BS->UninstallProtocolInterface(handle, (EFI_GUID *) &load_file2_guid, lf);
        if (err == EFI_SUCCESS)
                err = BS->UninstallProtocolInterface(handle, (EFI_GUID *) &device_path_guid, dp);
        return err;
}

static EFI_STATUS register_pieces(const struct initrd_piece *pieces, size_t n_pieces, bool pad_last,
                                  struct initrd_loader **ret) {
        struct initrd_loader *loader;
        EFI_STATUS err;

        if (n_pieces > INITRD_PIECES_MAX)
                return EFI_INVALID_PARAMETER;
        if (initrd_path_taken())
                return EFI_ALREADY_STARTED;

        loader = efi_alloc_zero(sizeof(*loader));
        if (!loader)
                return EFI_OUT_OF_RESOURCES;
        loader->load_file2.LoadFile = initrd_load_file;
        loader->pad_last = pad_last;
        for (size_t i = 0; i < n_pieces; i++)
                if (pieces[i].size > 0)
                        loader->pieces[loader->n_pieces++] = pieces[i];
        for (size_t i = 0; i < loader->n_pieces; i++) {
                size_t size = loader->pieces[i].size, padded = size + piece_padding(loader, i, size);
                if (padded < size || padded > SIZE_MAX - loader->size) {
                        err = EFI_BAD_BUFFER_SIZE;
                        goto err_free;
                }
                loader->size += padded;
        }

        err = BS->InstallProtocolInterface(&loader->handle, (EFI_GUID *) &device_path_guid, EFI_NATIVE_INTERFACE,
                                           (void *) &initrd_device_path);
        if (err != EFI_SUCCESS)
                goto err_free;
        err = BS->InstallProtocolInterface(&loader->handle, (EFI_GUID *) &load_file2_guid, EFI_NATIVE_INTERFACE,
                                           &loader->load_file2);
        if (err != EFI_SUCCESS)
                goto err_uninstall_device_path;

        *ret = loader;
        return EFI_SUCCESS;

err_uninstall_device_path:
        BS->UninstallProtocolInterface(loader->handle, (EFI_GUID *) &device_path_guid, (void *) &initrd_device_path);
err_free:
        efi_free(loader);
        return err;
}

EFI_STATUS initrd_list_add(struct initrd_list *l, const void *data, size_t size) {
        if (size == 0)
                return EFI_SUCCESS;
        if (l->n_pieces >= INITRD_PIECES_MAX)
                return EFI_BUFFER_TOO_SMALL;
        l->pieces[l->n_pieces++] = (struct initrd_piece) { .data = data, .size = size };
        return EFI_SUCCESS;
}

/* The stub's pieces: each padded, the last too, as systemd-stub joins them. */
EFI_STATUS initrd_register_pieces(const struct initrd_piece *pieces, size_t n_pieces, struct initrd_loader **ret) {
        return register_pieces(pieces, n_pieces, true, ret);
}

EFI_STATUS initrd_register(const struct initrd_piece *pieces, size_t n_pieces, struct initrd_loader **ret) {
        return register_pieces(pieces, n_pieces, false, ret);
}

void initrd_unregister(struct initrd_loader *loader) {
        if (!loader)
                return;
        BS->UninstallProtocolInterface(loader->handle, (EFI_GUID *) &load_file2_guid, &loader->load_file2);
        BS->UninstallProtocolInterface(loader->handle, (EFI_GUID *) &device_path_guid, (void *) &initrd_device_path);
        efi_free(loader);
}
