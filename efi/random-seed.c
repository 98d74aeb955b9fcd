/* SPDX-License-Identifier: MIT */
#include "random-seed.h"
#include "../common/error.h"
#include "../common/random-seed.h"
#include "config-table.h"
#include "file.h"
#include "rng.h"

#define RANDOM_SEED_PATH L"\\loader\\random-seed"
/* LoaderSystemToken: bootctl writes 32 bytes; anything larger is not a
 * token keel needs to read in full to be safe, but it is hashed whole as
 * systemd-boot does, within this bound. */
#define SYSTEM_TOKEN_MAX 4096u

static const EFI_GUID file_system_info_guid = EFI_FILE_SYSTEM_INFO_ID;

struct linux_random_seed_table {
        uint32_t size;
        uint8_t bits[RANDOM_SEED_SIZE];
};

static bool write_refused(EFI_STATUS err) {
        return err == EFI_WRITE_PROTECTED || err == EFI_ACCESS_DENIED;
}

/* A read-only volume cannot take the new seed, and a seed that is not
 * replaced would be the same on the next boot: then nothing is passed. */
static bool volume_read_only(EFI_FILE *root) {
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

/* A previous boot stage's table (another loader before keel), bounded
 * before it is read; merged into the new seed, then replaced. */
static void previous_table(struct random_seed_input *in, void **ret_table) {
        void *t = config_table_find(&linux_random_seed_table_guid);
        uint32_t size;

        *ret_table = NULL;
        if (!t)
                return;
        size = read_le32(t);
        if (size > RANDOM_SEED_TABLE_MAX) {
                efi_print("keel: random seed: ignoring a previous seed table of %u bytes (over %u)\n", size,
                          RANDOM_SEED_TABLE_MAX);
                return;
        }
        if (random_seed_table_parse(t, RANDOM_SEED_TABLE_HEADER + size, &in->previous_table_seed,
                                    &in->previous_table_size) != KEEL_OK)
                return;
        in->has_previous_table = true;
        *ret_table = t;
}

/* Nothing to make a seed from (no firmware randomness and no file or token,
 * or not enough of it under Secure Boot) is the normal state of many
 * machines: the stub, which cannot fix it, says nothing then, as
 * systemd-stub; a file that is wrong is always reported. */
static void report(int r, bool quiet) {
        if (quiet && r != KEEL_E_RANDOM_SEED_FILE_TOO_LARGE)
                return;
        efi_print("keel: %s; no random seed passed\n", keel_strerror(r));
}

static EFI_STATUS write_seed(EFI_FILE *f, const struct random_seed_output *out) {
        EFI_STATUS err = EFI_SUCCESS;
        UINTN n;

        if (out->zero_tail > 0) {
                /* Zeros over the old bytes after the new seed (bounded by
                 * RANDOM_SEED_FILE_MAX, so the buffer is small). */
                uint8_t *zeros = efi_alloc_zero((size_t) out->zero_tail);

                if (!zeros)
                        return EFI_OUT_OF_RESOURCES;
                err = f->SetPosition(f, RANDOM_SEED_SIZE);
                n = (UINTN) out->zero_tail;
                if (err == EFI_SUCCESS)
                        err = f->Write(f, &n, zeros);
                efi_free(zeros);
                if (err == EFI_SUCCESS && n != out->zero_tail)
                        err = EFI_DEVICE_ERROR;
                if (err == EFI_SUCCESS)
                        err = f->Flush(f);
                if (err != EFI_SUCCESS)
                        return err;
        }
        err = f->SetPosition(f, 0);
        n = RANDOM_SEED_SIZE;
        if (err == EFI_SUCCESS)
                err = f->Write(f, &n, (void *) out->file_seed);
        if (err == EFI_SUCCESS && n != RANDOM_SEED_SIZE)
                err = EFI_DEVICE_ERROR;
        if (err == EFI_SUCCESS)
                err = f->Flush(f);
        return err;
}

/* Hands the kernel its seed: the new table replaces the old one, which is
 * wiped and freed only once the new one is in (as systemd-boot and the
 * kernel's EFI stub do: a failure leaves the kernel the previous stage's
 * seed). */
static EFI_STATUS install_table(const struct random_seed_output *out, void *old_table, size_t old_size) {
        struct linux_random_seed_table *t = NULL;
        EFI_STATUS err;

        /* ACPI reclaim memory from the pool: what the kernel maps early and
         * what its EFI stub frees with FreePool() when it merges seeds. */
        err = BS->AllocatePool(EfiACPIReclaimMemory, sizeof(*t), (void **) &t);
        if (err != EFI_SUCCESS)
                return err;
        t->size = RANDOM_SEED_SIZE;
        memcpy(t->bits, out->table_seed, RANDOM_SEED_SIZE);
        err = config_table_install(&linux_random_seed_table_guid, t);
        if (err != EFI_SUCCESS) {
                random_seed_erase(t, sizeof(*t));
                BS->FreePool(t);
                return err;
        }
        if (old_table) {
                random_seed_erase(old_table, RANDOM_SEED_TABLE_HEADER + old_size);
                BS->FreePool(old_table);
        }
        return EFI_SUCCESS;
}

EFI_STATUS random_seed_process(EFI_FILE *esp_root, bool quiet) {
        struct random_seed_input in = { 0 };
        struct random_seed_output out;
        uint8_t rng[RANDOM_SEED_SIZE];
        void *old_table = NULL, *token = NULL;
        uint8_t *file = NULL;
        size_t token_size = 0;
        bool is_directory = false;
        uint64_t size = 0;
        EFI_FILE *f = NULL;
        EFI_TIME now;
        EFI_STATUS err;
        int r;

        if (volume_read_only(esp_root)) {
                if (!quiet)
                        efi_print("keel: random seed: the ESP is read-only, the seed cannot be refreshed; none passed\n");
                return EFI_WRITE_PROTECTED;
        }
        previous_table(&in, &old_table);

        err = rng_get(rng, sizeof(rng));
        if (err == EFI_SUCCESS)
                in.rng = rng;
        else if (err != EFI_NOT_FOUND && err != EFI_NOT_READY)
                efi_print("keel: random seed: the firmware's RNG failed: %s; going on without it\n",
                          efi_status_text(err));
        in.secure_boot = secure_boot_enabled();

        err = efivar_get_raw(&loader_vendor_guid, L"LoaderSystemToken", &token, &token_size);
        if (err == EFI_SUCCESS && token_size > 0 && token_size <= SYSTEM_TOKEN_MAX) {
                in.system_token = token;
                in.system_token_size = token_size;
        } else if (err != EFI_SUCCESS && err != EFI_NOT_FOUND)
                efi_print("keel: random seed: cannot read LoaderSystemToken: %s\n", efi_status_text(err));
        else if (err == EFI_SUCCESS)
                efi_print("keel: random seed: LoaderSystemToken of %u bytes, ignoring it\n", (unsigned) token_size);

        err = file_stat(esp_root, RANDOM_SEED_PATH, &is_directory, &size);
        if (err == EFI_SUCCESS && is_directory) {
                efi_print("keel: random seed: \\loader\\random-seed is a directory; no random seed passed\n");
                err = EFI_INVALID_PARAMETER;
                goto out;
        }
        if (err == EFI_SUCCESS)
                err = esp_root->Open(esp_root, &f, RANDOM_SEED_PATH, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);
        if (err == EFI_SUCCESS)
                err = file_size(f, &size);
        if (err == EFI_SUCCESS) {
                in.file_exists = true;
                in.file_size = size;
                if (size >= RANDOM_SEED_FILE_MIN && size <= RANDOM_SEED_FILE_MAX) {
                        file = efi_alloc((size_t) size);
                        err = file ? file_read_at(f, 0, file, (size_t) size) : EFI_OUT_OF_RESOURCES;
                        in.file = file;
                }
        }
        if (err != EFI_SUCCESS && err != EFI_NOT_FOUND) {
                efi_print("keel: random seed: cannot open or read \\loader\\random-seed: %s; no random seed passed\n",
                          efi_status_text(err));
                goto out;
        }

        in.has_monotonic = BS->GetNextMonotonicCount(&in.monotonic) == EFI_SUCCESS;
        /* Known to fail on some firmware; then it is simply not mixed in. */
        if (RT->GetTime(&now, NULL) == EFI_SUCCESS) {
                in.time = (const uint8_t *) &now;
                in.time_size = sizeof(now);
        }

        r = random_seed_derive(&in, &out);
        if (r != KEEL_OK) {
                report(r, quiet);
                err = EFI_NOT_FOUND;
                goto out;
        }
        if (out.create_file) {
                err = esp_root->Open(esp_root, &f, RANDOM_SEED_PATH,
                                     EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
                if (err != EFI_SUCCESS) {
                        f = NULL;
                        efi_print("keel: random seed: cannot create \\loader\\random-seed: %s; no random seed passed\n",
                                  efi_status_text(err));
                        goto wipe;
                }
        }
        /* On disk first: only a seed whose successor is safely stored may be
         * used, or a crash would let the next boot use it again. */
        err = write_seed(f, &out);
        if (err != EFI_SUCCESS) {
                efi_print("keel: random seed: cannot write \\loader\\random-seed%s: %s; no random seed passed\n",
                          write_refused(err) ? " (write protected)" : "", efi_status_text(err));
                goto wipe;
        }
        err = install_table(&out, old_table, in.previous_table_size);
        if (err != EFI_SUCCESS) {
                efi_print("keel: random seed: cannot install the seed table: %s\n", efi_status_text(err));
                goto wipe;
        }
        /* systemd 252's PID 1 credits this variable and bootctl 252 reports
         * "Passed to OS" by its presence; it is a separate derivation, so
         * reading it (root can, for the whole boot) tells nothing about the
         * table's seed the kernel used or the next boot's seed on disk. */
        err = efivar_set_raw(&loader_vendor_guid, L"LoaderRandomSeed", out.variable_seed, RANDOM_SEED_SIZE,
                             EFI_VARIABLE_VOLATILE_ACCESS);
        if (err != EFI_SUCCESS)
                efi_print("keel: random seed: cannot set LoaderRandomSeed: %s\n", efi_status_text(err));
        err = EFI_SUCCESS;
wipe:
        random_seed_erase(&out, sizeof(out));
out:
        if (f)
                f->Close(f);
        if (file) {
                random_seed_erase(file, (size_t) size);
                efi_free(file);
        }
        if (token) {
                random_seed_erase(token, token_size);
                efi_free(token);
        }
        random_seed_erase(rng, sizeof(rng));
        return err;
}
