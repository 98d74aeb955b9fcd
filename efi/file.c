/* SPDX-License-Identifier: MIT */
#include "file.h"
#include "../common/utf.h"

static const EFI_GUID simple_file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static const EFI_GUID file_info_guid = EFI_FILE_INFO_ID;

EFI_STATUS file_open_volume(EFI_HANDLE device, EFI_FILE **ret_root) {
        EFI_FILE_IO_INTERFACE *fs = NULL;
        EFI_STATUS err;

        err = BS->HandleProtocol(device, (EFI_GUID *) &simple_file_system_guid, (void **) &fs);
        if (err != EFI_SUCCESS)
                return err;
        return fs->OpenVolume(fs, ret_root);
}

static EFI_STATUS file_get_info(EFI_FILE *f, EFI_FILE_INFO **ret) {
        UINTN size = sizeof(EFI_FILE_INFO) + 256 * sizeof(CHAR16);
        EFI_FILE_INFO *info = efi_alloc(size);
        EFI_STATUS err;

        if (!info)
                return EFI_OUT_OF_RESOURCES;
        err = f->GetInfo(f, (EFI_GUID *) &file_info_guid, &size, info);
        if (err == EFI_BUFFER_TOO_SMALL) {
                efi_free(info);
                info = efi_alloc(size);
                if (!info)
                        return EFI_OUT_OF_RESOURCES;
                err = f->GetInfo(f, (EFI_GUID *) &file_info_guid, &size, info);
        }
        if (err != EFI_SUCCESS) {
                efi_free(info);
                return err;
        }
        *ret = info;
        return EFI_SUCCESS;
}

EFI_STATUS file_size(EFI_FILE *f, uint64_t *ret_size) {
        EFI_FILE_INFO *info;
        EFI_STATUS err = file_get_info(f, &info);

        if (err != EFI_SUCCESS)
                return err;
        *ret_size = info->FileSize;
        efi_free(info);
        return EFI_SUCCESS;
}

EFI_STATUS file_read_at(EFI_FILE *f, uint64_t offset, void *buf, size_t size) {
        uint8_t *p = buf;
        EFI_STATUS err = f->SetPosition(f, offset);

        if (err != EFI_SUCCESS)
                return err;
        while (size > 0) {
                UINTN n = size;
                err = f->Read(f, &n, p);
                if (err != EFI_SUCCESS)
                        return err;
                if (n == 0)
                        return EFI_END_OF_FILE;
                p += n;
                size -= n;
        }
        return EFI_SUCCESS;
}

EFI_STATUS file_read_all(EFI_FILE *root, const CHAR16 *path, size_t max, void **ret_data, size_t *ret_size) {
        EFI_FILE *f = NULL;
        uint64_t size;
        uint8_t *buf;
        EFI_STATUS err;

        err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ, 0);
        if (err != EFI_SUCCESS)
                return err;
        err = file_size(f, &size);
        if (err != EFI_SUCCESS)
                goto out;
        if (size > max) {
                err = EFI_BAD_BUFFER_SIZE;
                goto out;
        }
        buf = efi_alloc((size_t) size + 1);
        if (!buf) {
                err = EFI_OUT_OF_RESOURCES;
                goto out;
        }
        err = file_read_at(f, 0, buf, (size_t) size);
        if (err != EFI_SUCCESS) {
                efi_free(buf);
                goto out;
        }
        buf[size] = 0;
        *ret_data = buf;
        *ret_size = (size_t) size;
out:
        f->Close(f);
        return err;
}

bool file_exists(EFI_FILE *root, const CHAR16 *path) {
        EFI_FILE *f = NULL;

        if (root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return false;
        f->Close(f);
        return true;
}

/* The EFI_FILE_INFO of root's PATH (freed by the caller). */
static EFI_STATUS file_info_at(EFI_FILE *root, const CHAR16 *path, EFI_FILE_INFO **ret_info) {
        EFI_FILE *f = NULL;
        EFI_STATUS err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ, 0);

        if (err != EFI_SUCCESS)
                return err;
        err = file_get_info(f, ret_info);
        f->Close(f);
        return err;
}

EFI_STATUS file_stat(EFI_FILE *root, const CHAR16 *path, bool *ret_is_directory, uint64_t *ret_size) {
        EFI_FILE_INFO *info;
        EFI_STATUS err = file_info_at(root, path, &info);

        if (err != EFI_SUCCESS)
                return err;
        *ret_is_directory = info->Attribute & EFI_FILE_DIRECTORY;
        *ret_size = info->FileSize;
        efi_free(info);
        return EFI_SUCCESS;
}

EFI_STATUS file_read_only(EFI_FILE *root, const CHAR16 *path, bool *ret_read_only) {
        EFI_FILE_INFO *info;
        EFI_STATUS err = file_info_at(root, path, &info);

        if (err != EFI_SUCCESS)
                return err;
        *ret_read_only = info->Attribute & EFI_FILE_READ_ONLY;
        efi_free(info);
        return EFI_SUCCESS;
}

bool file_volume_read_only(EFI_FILE *root) {
        static const EFI_GUID file_system_info_guid = EFI_FILE_SYSTEM_INFO_ID;
        UINTN size = sizeof(EFI_FILE_SYSTEM_INFO) + 256 * sizeof(CHAR16);
        EFI_FILE_SYSTEM_INFO *info = efi_alloc(size);
        bool ro = false;

        if (!info)
                return false;
        if (root->GetInfo(root, (EFI_GUID *) &file_system_info_guid, &size, info) == EFI_SUCCESS)
                ro = info->ReadOnly;
        efi_free(info);
        return ro;
}

EFI_STATUS dir_next(EFI_FILE *dir, EFI_FILE_INFO **ret_info) {
        UINTN size = sizeof(EFI_FILE_INFO) + 256 * sizeof(CHAR16);
        EFI_FILE_INFO *info = efi_alloc(size);
        EFI_STATUS err;

        *ret_info = NULL;
        if (!info)
                return EFI_OUT_OF_RESOURCES;
        err = dir->Read(dir, &size, info);
        if (err == EFI_BUFFER_TOO_SMALL) {
                efi_free(info);
                info = efi_alloc(size);
                if (!info)
                        return EFI_OUT_OF_RESOURCES;
                err = dir->Read(dir, &size, info);
        }
        if (err != EFI_SUCCESS || size == 0) {
                efi_free(info);
                return err;
        }
        *ret_info = info;
        return EFI_SUCCESS;
}

EFI_STATUS file_rename(EFI_FILE *root, const CHAR16 *path, const CHAR16 *new_name) {
        EFI_FILE *f = NULL;
        EFI_FILE_INFO *info = NULL, *renamed = NULL;
        size_t name_units = utf16_strnlen(new_name, 512);
        size_t size;
        EFI_STATUS err;

        err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);
        if (err != EFI_SUCCESS)
                return err;
        err = file_get_info(f, &info);
        if (err != EFI_SUCCESS)
                goto out;
        size = offsetof(EFI_FILE_INFO, FileName) + (name_units + 1) * sizeof(CHAR16);
        renamed = efi_alloc(size);
        if (!renamed) {
                err = EFI_OUT_OF_RESOURCES;
                goto out;
        }
        memcpy(renamed, info, offsetof(EFI_FILE_INFO, FileName));
        memcpy(renamed->FileName, new_name, (name_units + 1) * sizeof(CHAR16));
        renamed->Size = size;
        err = f->SetInfo(f, (EFI_GUID *) &file_info_guid, size, renamed);
        if (err == EFI_SUCCESS)
                err = f->Flush(f);
out:
        efi_free(renamed);
        efi_free(info);
        f->Close(f);
        return err;
}

CHAR16 *path_from_entry(const char *path) {
        size_t len = strlen(path);
        CHAR16 *out = efi_alloc((len + 2) * sizeof(CHAR16));
        size_t n;

        if (!out)
                return NULL;
        out[0] = '\\';
        n = utf8_to_utf16(path, len, out + 1);
        for (size_t i = 1; i <= n; i++)
                if (out[i] == '/')
                        out[i] = '\\';
        /* "\\vmlinuz" from a path that already had a leading separator. */
        if (out[1] == '\\')
                memmove(out, out + 1, n * sizeof(CHAR16) + sizeof(CHAR16));
        return out;
}

EFI_STATUS file_create(EFI_FILE *root, const CHAR16 *path, const void *data, size_t size) {
        EFI_FILE *f = NULL;
        UINTN n = size;
        EFI_STATUS err;

        if (file_exists(root, path))
                return EFI_ACCESS_DENIED;
        err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
        if (err != EFI_SUCCESS)
                return err;
        err = f->Write(f, &n, (void *) data);
        if (err == EFI_SUCCESS && n != size)
                err = EFI_VOLUME_FULL;
        if (err == EFI_SUCCESS)
                err = f->Flush(f);
        if (err != EFI_SUCCESS) {
                (void) f->Delete(f);
                return err;
        }
        return f->Close(f);
}

EFI_STATUS file_delete(EFI_FILE *root, const CHAR16 *path) {
        EFI_FILE *f = NULL;
        EFI_STATUS err = root->Open(root, &f, (CHAR16 *) path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);

        if (err != EFI_SUCCESS)
                return err;
        return f->Delete(f); /* closes f, also when it fails */
}
