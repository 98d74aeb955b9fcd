# keel — UEFI boot stub + loader and the host tools that build, sign and
# measure boot images. Read top to bottom:
#
#   make            build/keelx64.efi, build/keelaa64.efi (EFI, gnu-efi) and build/keel (host CLI)
#   make check      every test: unit (ASan+UBSan), fuzz smoke, CLI, differential, OVMF end to end
#   make demo       pack the Debian kernel into a UKI and boot it under QEMU+OVMF+swtpm
#   make bench      benchmarks against the peer tools, side by side
#
# Missing Debian packages are installed by scripts/install-deps (as root).

VERSION  := 0.1
BUILD    := build
# `make V=1` shows the full compiler command lines.
Q        := $(if $(V),,@)
JOBS     := $(shell nproc 2>/dev/null || echo 2)
CC       ?= gcc
CLANG    ?= clang

.PHONY: all efi deps check unit-tests fuzz-smoke cli-tests differential-tests ovmf-tests demo bench clean
all: efi $(BUILD)/keel

deps:
	@scripts/install-deps

# ---------------------------------------------------------------------------
# Shared freestanding code: compiled into the EFI binary, the host CLI, the
# unit tests and the fuzzers alike.
COMMON_SRC := $(wildcard common/*.c)
COMMON_HDR := $(wildcard common/*.h)

# ---------------------------------------------------------------------------
# The EFI binary, once per architecture: build/keelx64.efi (x86-64) and
# build/keelaa64.efi (aarch64, cross-compiled). Each is an ELF shared object
# linked against a self-relocating crt0, then converted to PE32+ by objcopy.
# The build fails on undefined symbols, on any relocation that crt0
# cannot apply and on a segment both writable and executable
# (scripts/check-efi-elf); the PE image is W^X and marked NX_COMPAT, which
# scripts/efi-nx-compat checks before it sets the flag. What differs between architectures in the code is in
# efi/arch-$(arch).c behind efi/arch.h; here, in the per-architecture
# variables below. `make efi` builds them all; `make EFI_ARCHS=x86_64`
# only keelx64.efi (a build without the aarch64 cross toolchain).
EFI_ARCHS   := x86_64 aarch64
EFI_CFLAGS  := -std=gnu11 -Os -Wall -Wextra -Werror \
               -DKEEL_EFI -DKEEL_VERSION='"$(VERSION)"' \
               -ffreestanding -fno-builtin -fpic -fshort-wchar -fno-stack-protector \
               -fno-strict-aliasing -fno-asynchronous-unwind-tables -fno-unwind-tables \
               -fno-tree-loop-distribute-patterns -ffunction-sections -fdata-sections \
               -mgeneral-regs-only -fvisibility=hidden
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined --gc-sections
EFI_SECTIONS := .text .reloc .data .sbat .sdmagic .dynamic .rela
# Everything but the other architectures' efi/arch-*.c.
EFI_SRC     := $(filter-out efi/arch-%.c,$(wildcard efi/*.c stub/*.c loader/*.c)) $(COMMON_SRC)
EFI_HDR     := $(wildcard efi/*.h stub/*.h loader/*.h) $(COMMON_HDR)

# x86-64: the host's gcc and binutils, gnu-efi as Debian installs it (its
# crt0). EFI_INC and EFI_LIB point elsewhere (nix/package.nix does).
EFI_INC            := /usr/include/efi
EFI_LIB            := /usr/lib
EFI_NAME_x86_64    := keelx64
EFI_CC_x86_64      := $(CC)
EFI_TOOLS_x86_64   :=
EFI_INC_x86_64     := $(EFI_INC)
EFI_LIB_x86_64     := $(EFI_LIB)
EFI_CRT0_x86_64    := $(EFI_LIB)/crt0-efi-x86_64.o
EFI_CFLAGS_x86_64  := -DGNU_EFI_USE_MS_ABI -mno-red-zone -maccumulate-outgoing-args
EFI_RELOC_x86_64   := R_X86_64_RELATIVE
EFI_PEER_SIZE_x86_64 := 224188 bytes

# aarch64: Debian's cross toolchain; gnu-efi from the gnu-efi:arm64 package
# unpacked into the build tree (it is not Multi-Arch, so it cannot be
# installed next to the amd64 one); keel's own crt0 (efi/crt0-aarch64.S).
# A native arm64 build sets EFI_CC_aarch64, EFI_TOOLS_aarch64 (the
# binutils prefix, empty there) and EFI_INC_aarch64/EFI_LIB_aarch64
# (nix/package.nix does); gnu-efi:arm64 is then not fetched.
# -mstrict-align: firmware may run with memory attributes that trap
# unaligned accesses. -mcmodel=tiny: one `adr` (±1 MiB) per address instead
# of an `adrp`/`add` pair; keel is far smaller than 1 MiB, and the 144 KiB
# limit is tight on arm64.
EFI_NAME_aarch64   := keelaa64
EFI_CC_aarch64     := aarch64-linux-gnu-gcc
EFI_TOOLS_aarch64  := aarch64-linux-gnu-
EFI_INC_aarch64    := $(BUILD)/arm64/gnu-efi/usr/include/efi
EFI_LIB_aarch64    := $(BUILD)/arm64/gnu-efi/usr/lib
EFI_CRT0_aarch64   := $(BUILD)/efi-obj-aarch64/efi/crt0-aarch64.o
EFI_CFLAGS_aarch64 := -mstrict-align -mcmodel=tiny
EFI_RELOC_aarch64  := R_AARCH64_RELATIVE
EFI_PEER_SIZE_aarch64 := 197630 bytes

# efi_arch ARCH: the rules for $(BUILD)/$(EFI_NAME_ARCH).efi. Objects go to
# $(BUILD)/efi-obj-ARCH/.
define efi_arch
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/efi-obj-$(1)/%.o,$(EFI_SRC) efi/arch-$(1).c)

$(BUILD)/efi-obj-$(1)/%.o: %.c $(EFI_HDR) Makefile | deps-efi-$(1)
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(1)] $$<"
	$$(Q)$(EFI_CC_$(1)) $(EFI_CFLAGS) $(EFI_CFLAGS_$(1)) -I$(EFI_INC_$(1)) -I$(EFI_INC_$(1))/$(1) -c $$< -o $$@

$(BUILD)/efi-obj-$(1)/%.o: %.S | deps-efi-$(1)
	@mkdir -p $$(dir $$@)
	@echo "  AS [$(1)] $$<"
	$$(Q)$(EFI_CC_$(1)) -c $$< -o $$@

$(BUILD)/$(EFI_NAME_$(1)).so: $$($(1)_OBJ) $(EFI_CRT0_$(1)) linker/keel-$(1).lds linker/keel-sections.lds
	@echo "  LD        $$@"
	$$(Q)$(EFI_TOOLS_$(1))ld $(EFI_LDFLAGS) -L linker -T linker/keel-$(1).lds -L$(EFI_LIB_$(1)) $(EFI_CRT0_$(1)) \
		$$($(1)_OBJ) -o $$@ -lgnuefi
	$$(Q)CROSS=$(EFI_TOOLS_$(1)) scripts/check-efi-elf $$@ $(EFI_RELOC_$(1))

$(BUILD)/$(EFI_NAME_$(1)).efi: $(BUILD)/$(EFI_NAME_$(1)).so
	@echo "  OBJCOPY   $$@"
	$$(Q)$(EFI_TOOLS_$(1))objcopy $(addprefix -j ,$(EFI_SECTIONS)) --target=efi-app-$(1) --subsystem=10 $$< $$@.tmp
	$$(Q)scripts/efi-nx-compat $$@.tmp
	$$(Q)mv $$@.tmp $$@
	@echo "$(EFI_NAME_$(1)).efi: $$$$(stat -c %s $$@) bytes (systemd-boot 252 + systemd-stub 252: $(EFI_PEER_SIZE_$(1)))"
endef
$(foreach a,$(EFI_ARCHS),$(eval $(call efi_arch,$(a))))
efi: $(foreach a,$(EFI_ARCHS),$(BUILD)/$(EFI_NAME_$(a)).efi)

# ---------------------------------------------------------------------------
# build/keel: the host CLI (OpenSSL 3 for crypto, json-c for JSON). The
# usual CPPFLAGS, CFLAGS and LDFLAGS are added (Debian's hardening flags,
# debian/rules); the EFI binaries and the tests take none of them.
HOST_CFLAGS  := -std=gnu11 -I. -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -DKEEL_VERSION='"$(VERSION)"'
HOST_LIBS    := -lcrypto -ljson-c -lpthread
HOST_SRC     := $(wildcard host-tools/*/*.c)
HOST_LIB_SRC := $(filter-out host-tools/core/keel.c,$(HOST_SRC))
HOST_HDR     := $(wildcard host-tools/*/*.h)
HOST_OBJ     := $(patsubst %.c,$(BUILD)/host-obj/%.o,$(HOST_SRC) $(COMMON_SRC))

$(BUILD)/host-obj/%.o: %.c $(HOST_HDR) $(COMMON_HDR) | deps-host
	@mkdir -p $(dir $@)
	@echo "  CC        $<"
	$(Q)$(CC) $(HOST_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/keel: $(HOST_OBJ)
	@echo "  LD        $@"
	$(Q)$(CC) $(HOST_CFLAGS) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(HOST_LIBS)

# ---------------------------------------------------------------------------
# Tests. Unit tests (cmocka) and fuzzers link common/ and the host-tools
# library code built once with ASan+UBSan (gcc for the unit tests, clang
# with libFuzzer's coverage for the fuzzers).
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -DKEEL_VERSION='"$(VERSION)"' -I. $(SAN_FLAGS)
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))
FUZZERS     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
LIB_SRC     := $(COMMON_SRC) $(HOST_LIB_SRC)
SAN_OBJ     := $(patsubst %.c,$(BUILD)/san-obj/%.o,$(LIB_SRC))
FUZZLIB_OBJ := $(patsubst %.c,$(BUILD)/fuzzlib-obj/%.o,$(LIB_SRC))

# Kept between runs (make would delete them as intermediate files).
.SECONDARY: $(SAN_OBJ) $(FUZZLIB_OBJ)

$(BUILD)/san-obj/%.o: %.c $(COMMON_HDR) $(HOST_HDR) | deps-host
	@mkdir -p $(dir $@)
	@echo "  CC [san]  $<"
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/fuzzlib-obj/%.o: %.c $(COMMON_HDR) $(HOST_HDR) | deps-host
	@mkdir -p $(dir $@)
	@echo "  CC [fuzzlib] $<"
	$(Q)$(CLANG) $(TEST_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(SAN_OBJ) | deps-host
	@mkdir -p $(dir $@)
	@echo "  CC [test] $<"
	$(Q)$(CC) $(TEST_CFLAGS) $< $(SAN_OBJ) -o $@ -lcmocka $(HOST_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZLIB_OBJ) | deps-host
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	$(Q)$(CLANG) $(TEST_CFLAGS) -fsanitize=fuzzer $< $(FUZZLIB_OBJ) -o $@ $(HOST_LIBS)

unit-tests: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

# Each fuzzer runs briefly over its checked-in corpus plus fresh inputs.
FUZZ_SECONDS ?= 5
fuzz-smoke: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; mkdir -p $(BUILD)/fuzz-corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=2048 -artifact_prefix=$(BUILD)/fuzz/$$n- \
	      $(BUILD)/fuzz-corpus/$$n tests/fuzz/corpus/$$n >$(BUILD)/fuzz/$$n.log 2>&1 \
	    || { tail -40 $(BUILD)/fuzz/$$n.log; exit 1; }; \
	  tail -1 $(BUILD)/fuzz/$$n.log; done

# Long runs, not part of `make check`: each fuzzer in turn (one at a time) for
# FUZZ_LONG_SECONDS, or until FUZZ_LONG_RUNS executions (-1: no cap); the
# corpus grows in $(BUILD)/fuzz-corpus as for fuzz-smoke. Prints and writes to
# $(BUILD)/fuzz-long.txt each target's executions, crashes (crash, leak,
# timeout, out-of-memory inputs saved in $(BUILD)/fuzz-long/) and seconds;
# fails at the end if any target crashed.
FUZZ_LONG_SECONDS ?= 600
FUZZ_LONG_RUNS    ?= -1
FUZZ_LONG_TARGETS ?= $(FUZZERS)
.PHONY: fuzz-long
fuzz-long: $(FUZZ_LONG_TARGETS)
	@mkdir -p $(BUILD)/fuzz-long; sum=$(BUILD)/fuzz-long.txt; failed=0; \
	printf '%-26s %14s %8s %8s\n' target executions crashes seconds | tee $$sum; \
	for f in $(FUZZ_LONG_TARGETS); do n=$$(basename $$f); log=$(BUILD)/fuzz-long/$$n.log; \
	  mkdir -p $(BUILD)/fuzz-corpus/$$n; start=$$(date +%s); \
	  $$f -max_total_time=$(FUZZ_LONG_SECONDS) -runs=$(FUZZ_LONG_RUNS) -timeout=10 -rss_limit_mb=2048 \
	      -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz-long/$$n- \
	      $(BUILD)/fuzz-corpus/$$n tests/fuzz/corpus/$$n >$$log 2>&1; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -1); \
	  crashes=$$(grep -c 'Test unit written to' $$log); \
	  [ "$$crashes" = 0 ] || { failed=1; grep 'Test unit written to' $$log; }; \
	  printf '%-26s %14s %8s %8s\n' $$n "$${execs:-?}" $$crashes $$(( $$(date +%s) - start )) | tee -a $$sum; \
	done; exit $$failed

cli-tests: all
	tests/cli/run-all $(BUILD)

# keel's ordering code against the peers it must match: systemd-analyze
# compare-versions and bootctl 252, 257 and 262 on generated ESP trees (mounts a tmpfs:
# needs root, as CI has).
differential-tests: all
	python3 tests/differential/versions.py $(BUILD)/keel
	python3 tests/differential/entries.py $(BUILD)/keel $(BUILD)/keelx64.efi 120 --peers $(BUILD)

ovmf-tests: all
	ovmf-tests/run-all $(BUILD)

# Every test of every stage above, on after a failure; ends with
# "N passed, N failed" (scripts/check).
check: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) -j$(JOBS) $(UNIT_TESTS) $(FUZZERS)
	scripts/check $(BUILD)

demo: deps
	$(MAKE) -j$(JOBS) all
	ovmf-tests/demo $(BUILD)

bench: deps
	$(MAKE) -j$(JOBS) all
	bench/run-all $(BUILD)

# Order-only prerequisites that make sure the toolchain is there before a
# compile fails with a confusing message.
# deps-efi-aarch64 also unpacks gnu-efi:arm64 (once per package version) and
# points $(BUILD)/arm64/gnu-efi at it, unless EFI_LIB_aarch64 is elsewhere.
.PHONY: deps-efi-x86_64 deps-efi-aarch64 deps-host
deps-efi-x86_64:
	@test -f $(EFI_CRT0_x86_64) || { echo "gnu-efi missing: run 'make deps' (as root)"; exit 1; }
deps-efi-aarch64:
	@command -v $(EFI_CC_aarch64) >/dev/null || { echo "gcc-aarch64-linux-gnu missing: run 'make deps' (as root)"; exit 1; }
ifeq ($(EFI_LIB_aarch64),$(BUILD)/arm64/gnu-efi/usr/lib)
	@d=$$(scripts/fetch-arm64-debs $(BUILD) gnu-efi) && ln -sfn "$$(basename "$$d")" $(BUILD)/arm64/gnu-efi
else
	@test -f $(EFI_LIB_aarch64)/libgnuefi.a || { echo "$(EFI_LIB_aarch64)/libgnuefi.a missing (EFI_LIB_aarch64)"; exit 1; }
endif
deps-host:
	@test -f /usr/include/openssl/evp.h -a -f /usr/include/json-c/json.h || { echo "libssl-dev/libjson-c-dev missing: run 'make deps' (as root)"; exit 1; }

# ---------------------------------------------------------------------------
# make install [DESTDIR=...] [PREFIX=/usr/local]: the CLI, the stubs it builds
# on, one per EFI_ARCHS (where keel looks for them: ../lib/keel/ from the binary), the
# kernel-install plugin and an example of its settings. kernel-install reads
# plugins from /usr/lib/kernel/install.d and /etc/kernel/install.d only: with
# PREFIX=/usr/local, link the plugin into /etc/kernel/install.d. LIBDIR is
# lib, never lib64: keel finds its stub in ../lib/keel/ from BINDIR.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
DATADIR    ?= $(PREFIX)/share
INSTALL    ?= install
.PHONY: install
EFI_BINARIES = $(foreach a,$(EFI_ARCHS),$(EFI_NAME_$(a)).efi)
install: $(BUILD)/keel $(addprefix $(BUILD)/,$(EFI_BINARIES))
	$(INSTALL) -D -m 0755 $(BUILD)/keel $(DESTDIR)$(BINDIR)/keel
	for f in $(EFI_BINARIES); do $(INSTALL) -D -m 0644 $(BUILD)/$$f $(DESTDIR)$(LIBDIR)/keel/$$f || exit 1; done
	$(INSTALL) -D -m 0755 kernel-install/90-keel.install $(DESTDIR)$(LIBDIR)/kernel/install.d/90-keel.install
	$(INSTALL) -D -m 0644 kernel-install/install.conf.example $(DESTDIR)$(DATADIR)/keel/install.conf.example

clean:
	rm -rf $(BUILD)
