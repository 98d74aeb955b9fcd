/* SPDX-License-Identifier: MIT */
#include "rng.h"

static const EFI_GUID rng_protocol_guid = EFI_RNG_PROTOCOL_GUID;

EFI_STATUS rng_get(void *ret, size_t size) {
        EFI_RNG_PROTOCOL *rng = NULL;
        EFI_STATUS err;

        err = BS->LocateProtocol((EFI_GUID *) &rng_protocol_guid, NULL, (void **) &rng);
        if (err != EFI_SUCCESS)
                return err;
        if (!rng)
                return EFI_NOT_FOUND;
        /* NULL: the firmware's default algorithm, as systemd-boot and the
         * kernel's EFI stub ask. */
        return rng->GetRNG(rng, NULL, size, ret);
}
