/* SPDX-License-Identifier: MIT */
/* The stub's own random seed (StubFeatures bit 4), as systemd-stub does it:
 * when no loader that passes one ran before it (LoaderFeatures without the
 * random-seed bit: booted straight from the firmware, or by a loader that
 * does not), the stub refreshes (or creates) \loader\random-seed on the ESP
 * of its disk and installs the kernel's seed table with the loader's own
 * code (efi/random-seed.c). */
#pragma once

#include "../efi/self.h"

#define STUB_FEATURE_RANDOM_SEED (UINT64_C(1) << 4)

void stub_random_seed(const struct self_image *self);
