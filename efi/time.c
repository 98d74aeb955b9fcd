/* SPDX-License-Identifier: MIT */
#include "time.h"
#include "arch.h"

/* The counter's frequency: stated by the CPU, or measured once against a
 * firmware delay of 1 ms (to a whole number of ticks per microsecond). */
static uint64_t ticks_per_second(void) {
        static uint64_t cached;
        uint64_t start;

        if (cached == 0) {
                cached = arch_ticks_per_second();
                if (cached == 0) {
                        start = arch_ticks();
                        BS->Stall(1000);
                        cached = (arch_ticks() - start) / 1000 * 1000000;
                }
        }
        return cached;
}

uint64_t time_usec(void) {
        uint64_t f = ticks_per_second(), t;

        if (f == 0)
                return 0;
        /* In two parts so that ticks * 10^6 cannot overflow. */
        t = arch_ticks();
        return t / f * 1000000 + t % f * 1000000 / f;
}
