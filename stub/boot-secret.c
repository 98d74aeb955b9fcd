/* SPDX-License-Identifier: MIT */
#include "boot-secret.h"
#include "../common/random-seed.h"
#include "../efi/config-table.h"
#include "../efi/file.h"

#define MIXIN_PATH L"\\loader\\boot-secret-mixin"
/* Readable by boot services only: gone for the OS after ExitBootServices(). */
#define MACHINE_SECRET_ATTRIBUTES (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS)

/* The kernel's seed table, when it has a seed of at least 32 bytes (and,
 * keel's bound for a table it did not make, at most 512). */
static uint8_t *seed_table(uint32_t *ret_size) {
        uint8_t *t = config_table_find(&linux_random_seed_table_guid);
        uint32_t size;

        if (!t)
                return NULL;
        size = read_le32(t);
        if (size < BOOT_SECRET_SIZE || size > RANDOM_SEED_TABLE_MAX) {
                efi_print("keel: boot secret: the random seed table holds %u bytes; no boot secret\n", size);
                return NULL;
        }
        *ret_size = size;
        return t + RANDOM_SEED_TABLE_HEADER;
}

/* LoaderBootSecret: exactly 32 bytes, invisible to the OS (no runtime
 * access), else refused; made from the seed when missing. */
static EFI_STATUS machine_secret(uint8_t *seed, uint32_t seed_size, uint8_t ret[BOOT_SECRET_SIZE]) {
        uint32_t attributes = 0;
        UINTN size = BOOT_SECRET_SIZE;
        EFI_STATUS err = RT->GetVariable(L"LoaderBootSecret", (EFI_GUID *) &loader_vendor_guid, &attributes, &size, ret);

        if (err == EFI_SUCCESS &&
            (size != BOOT_SECRET_SIZE || (attributes & (MACHINE_SECRET_ATTRIBUTES | EFI_VARIABLE_RUNTIME_ACCESS)) !=
                                                 MACHINE_SECRET_ATTRIBUTES))
                err = EFI_SECURITY_VIOLATION;
        if (err != EFI_NOT_FOUND) {
                if (err != EFI_SUCCESS)
                        efi_print("keel: boot secret: LoaderBootSecret is unusable (%s); no boot secret\n",
                                  err == EFI_BUFFER_TOO_SMALL ? "not 32 bytes" :
                                  err == EFI_SECURITY_VIOLATION ? "not 32 bytes, or visible to the OS" :
                                                                  efi_status_text(err));
                return err;
        }
        boot_secret_from_seed(seed, seed_size, ret);
        err = RT->SetVariable(L"LoaderBootSecret", (EFI_GUID *) &loader_vendor_guid, MACHINE_SECRET_ATTRIBUTES,
                              BOOT_SECRET_SIZE, ret);
        if (err != EFI_SUCCESS)
                efi_print("keel: boot secret: cannot create LoaderBootSecret: %s\n", efi_status_text(err));
        return err;
}

/* The mixin: an empty file (or none) on a writable volume gets one from the
 * seed; a file under 32 bytes is neither used nor overwritten (it may be
 * someone's); a longer one gives its first 32 bytes. */
static EFI_STATUS mixin(EFI_FILE *root, uint8_t *seed, uint32_t seed_size, uint8_t ret[BOOT_SECRET_SIZE]) {
        bool writable = true, is_directory = false;
        uint64_t size = 0;
        EFI_FILE *f = NULL;
        EFI_STATUS err;

        if (file_stat(root, MIXIN_PATH, &is_directory, &size) == EFI_SUCCESS && is_directory) {
                efi_print("keel: boot secret: \\loader\\boot-secret-mixin is a directory; no boot secret\n");
                return EFI_INVALID_PARAMETER;
        }
        err = root->Open(root, &f, MIXIN_PATH, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
        if (err == EFI_WRITE_PROTECTED || err == EFI_ACCESS_DENIED) {
                writable = false;
                err = root->Open(root, &f, MIXIN_PATH, EFI_FILE_MODE_READ, 0);
        }
        if (err == EFI_SUCCESS)
                err = file_size(f, &size);
        if (err == EFI_SUCCESS && size == 0 && writable) {
                UINTN n = BOOT_SECRET_SIZE;

                boot_secret_from_seed(seed, seed_size, ret);
                err = f->Write(f, &n, ret);
                if (err == EFI_SUCCESS && n != BOOT_SECRET_SIZE)
                        err = EFI_DEVICE_ERROR;
                if (err == EFI_SUCCESS)
                        err = f->Flush(f);
        } else if (err == EFI_SUCCESS && size < BOOT_SECRET_SIZE)
                err = EFI_BAD_BUFFER_SIZE;
        else if (err == EFI_SUCCESS)
                err = file_read_at(f, 0, ret, BOOT_SECRET_SIZE);
        if (f)
                f->Close(f);
        if (err != EFI_SUCCESS)
                efi_print("keel: boot secret: cannot %s \\loader\\boot-secret-mixin: %s; no boot secret\n",
                          size == 0 && writable ? "create" : "read",
                          err == EFI_BAD_BUFFER_SIZE ? "shorter than 32 bytes" : efi_status_text(err));
        return err;
}

void stub_boot_secret(const struct self_image *self, uint8_t ret[BOOT_SECRET_SIZE]) {
        uint8_t machine[BOOT_SECRET_SIZE], disk[BOOT_SECRET_SIZE];
        uint32_t seed_size = 0;
        uint8_t *seed;
        EFI_FILE *root = NULL;
        const char *id;
        size_t osrel_size, id_len;
        const char *osrel = self_section(self, UKI_SECTION_OSREL, &osrel_size);

        memset(ret, 0, BOOT_SECRET_SIZE);
        /* No seed table is the common case without firmware randomness:
         * then systemd-stub says nothing either. */
        seed = seed_table(&seed_size);
        if (!seed || !self->loaded_image->DeviceHandle ||
            file_open_volume(self->loaded_image->DeviceHandle, &root) != EFI_SUCCESS)
                return;
        if (machine_secret(seed, seed_size, machine) == EFI_SUCCESS &&
            mixin(root, seed, seed_size, disk) == EFI_SUCCESS) {
                boot_secret_os_id(osrel, osrel_size, &id, &id_len);
                boot_secret_derive(machine, disk, id, id_len, ret);
        }
        root->Close(root);
        random_seed_erase(machine, sizeof(machine));
        random_seed_erase(disk, sizeof(disk));
}
