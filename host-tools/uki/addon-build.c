/* SPDX-License-Identifier: MIT */
/* keel addon build: a UKI addon (systemd-stub 254+, keel's stub): a PE
 * image with .cmdline and/or .dtb, .ucode, .initrd, .uname, .sbat, and no
 * kernel. ukify builds one on systemd's addon stub (a small EFI program
 * that only says it is not meant to be run); keel writes its own minimal
 * stub here instead: one 4 KiB code page whose entry point returns
 * EFI_UNSUPPORTED at once, no imports and no relocations (the code is
 * position-independent), so that the firmware's LoadImage() accepts it,
 * signature checks included, and starting it does nothing. The sections
 * are then laid out after it by the same writer as `keel uki build`, and
 * the result signed with the same signer (key and certificate files or
 * PKCS#11). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/core/text-arg.h"
#include "host-tools/pe/pe-append.h"
#include "host-tools/pe/pe-checksum.h"
#include "host-tools/sign/pe-sign.h"
#include "common/addon.h"
#include "common/error.h"
#include "common/fdt.h"
#include "common/uki.h"

#define ADDON_MAX_INITRDS 16
#define ADDON_BLOB_MAX (256u * 1024 * 1024) /* the stub's limit for a whole addon */
#define STUB_HEADERS_SIZE 0x400u            /* room for the stub's and the appended section headers */
#define STUB_TEXT_RVA 0x1000u
#define STUB_IMAGE_SIZE 0x2000u
#define STUB_FILE_SIZE (STUB_HEADERS_SIZE + 0x200u)
#define EFI_SUBSYSTEM_APPLICATION 10

/* return EFI_UNSUPPORTED (0x8000000000000003), per architecture. */
static const uint8_t code_x64[] = { 0x48, 0xb8, 0x03, 0, 0, 0, 0, 0, 0, 0x80, /* movabs $imm64, %rax */
                                    0xc3 };                                  /* ret */
static const uint8_t code_aa64[] = { 0x60, 0x00, 0x80, 0xd2,                 /* movz x0, #3 */
                                     0x00, 0x00, 0xf0, 0xf2,                 /* movk x0, #0x8000, lsl #48 */
                                     0xc0, 0x03, 0x5f, 0xd6 };               /* ret */

/* The minimal stub: DOS header, PE32+ headers with 16 data directories
 * (all empty), one .text section. */
static void make_stub(const struct keel_arch *arch, uint8_t out[STUB_FILE_SIZE]) {
        const uint32_t pe = 0x40, coff = pe + 4, opt = coff + 20, sections = opt + 240;
        const uint8_t *code = arch->pe_machine == PE_MACHINE_AARCH64 ? code_aa64 : code_x64;
        size_t code_size = arch->pe_machine == PE_MACHINE_AARCH64 ? sizeof(code_aa64) : sizeof(code_x64);

        memset(out, 0, STUB_FILE_SIZE);
        out[0] = 'M';
        out[1] = 'Z';
        write_le32(out + 0x3c, pe);
        memcpy(out + pe, "PE\0\0", 4);
        write_le16(out + coff, arch->pe_machine);
        write_le16(out + coff + 2, 1);                  /* NumberOfSections */
        write_le16(out + coff + 16, 240);               /* SizeOfOptionalHeader */
        write_le16(out + coff + 18, 0x0002 | 0x0020);   /* EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE */
        write_le16(out + opt, 0x20b);                   /* PE32+ */
        write_le32(out + opt + PE_OPT_SIZE_OF_CODE, 0x200);
        write_le32(out + opt + PE_OPT_ENTRY_POINT, STUB_TEXT_RVA);
        write_le32(out + opt + 20, STUB_TEXT_RVA);      /* BaseOfCode */
        write_le64(out + opt + 24, 0);                  /* ImageBase: anywhere */
        write_le32(out + opt + PE_OPT_SECTION_ALIGNMENT, 0x1000);
        write_le32(out + opt + PE_OPT_FILE_ALIGNMENT, 0x200);
        write_le16(out + opt + 48, 0);                  /* subsystem version */
        write_le32(out + opt + PE_OPT_SIZE_OF_IMAGE, STUB_IMAGE_SIZE);
        write_le32(out + opt + PE_OPT_SIZE_OF_HEADERS, STUB_HEADERS_SIZE);
        write_le16(out + opt + PE_OPT_SUBSYSTEM, EFI_SUBSYSTEM_APPLICATION);
        /* NX_COMPAT: no section is both writable and executable (firmware
         * that enforces W^X loads only such images). */
        write_le16(out + opt + PE_OPT_SUBSYSTEM + 2, 0x0100);
        write_le64(out + opt + 72, 0x10000);            /* stack reserve/commit, heap reserve/commit */
        write_le64(out + opt + 80, 0x10000);
        write_le64(out + opt + 88, 0x10000);
        write_le64(out + opt + 96, 0x10000);
        write_le32(out + opt + PE_OPT_NUMBER_OF_RVA_AND_SIZES, 16);
        memcpy(out + sections, ".text", 5);
        write_le32(out + sections + 8, (uint32_t) code_size);   /* VirtualSize */
        write_le32(out + sections + 12, STUB_TEXT_RVA);
        write_le32(out + sections + 16, 0x200);                 /* SizeOfRawData */
        write_le32(out + sections + 20, STUB_HEADERS_SIZE);     /* PointerToRawData */
        write_le32(out + sections + 36, PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ);
        memcpy(out + STUB_HEADERS_SIZE, code, code_size);
}

struct blob {
        enum uki_section kind;
        uint8_t *data;
        size_t size;
};

struct addon_inputs {
        struct blob blobs[_UKI_SECTION_MAX];
        size_t n;
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel addon build [--cmdline TEXT|@FILE] [--devicetree DTB] [--microcode CPIO]\n"
                "                        [--initrd FILE]... [--uname VERSION] [--sbat TEXT|@FILE]\n"
                "                        [--arch %s] [--key KEY --cert CERT] -o OUTPUT.addon.efi\n"
                "Makes a UKI addon: a PE image without a kernel whose .cmdline keel's stub (and\n"
                "systemd-stub 254+) appends to a UKI's command line, and whose .dtb, .ucode and\n"
                ".initrd (systemd 257) go to the kernel too. Put it in \\loader\\addons\\ (every UKI)\n"
                "or in <uki>.efi.extra.d\\ (that UKI). --uname limits it to UKIs of that kernel\n"
                "release. --arch defaults to the host's. --key/--cert sign it for Secure Boot (as\n"
                "keel sign; PKCS#11 URIs too): under Secure Boot an unsigned addon is not used.\n",
                keel_arch_names());
}

static int add_blob(struct addon_inputs *in, enum uki_section kind, uint8_t *data, size_t size) {
        if (size == 0) {
                free(data);
                return 0;
        }
        in->blobs[in->n++] = (struct blob) { kind, data, size };
        return 0;
}

static int load_text(const char *option, const char *arg, uint8_t **ret, size_t *ret_size) {
        char *text;
        size_t size;

        if (text_arg_load(option, arg, &text, &size) < 0)
                return -1;
        if (strlen(text) != size) {
                free(text);
                return log_error("addon build: %s has a NUL byte", option);
        }
        *ret = (uint8_t *) text;
        *ret_size = size;
        return 0;
}

/* The initrds concatenated, each padded to 4 bytes as the kernel wants
 * its cpio archives (the same rule as `keel uki build`). */
static int load_initrds(const char *const *paths, size_t n, uint8_t **ret, size_t *ret_size) {
        uint8_t *all = NULL;
        size_t total = 0;

        for (size_t i = 0; i < n; i++) {
                uint8_t *data, *grown;
                size_t size, padded;

                if (read_file(paths[i], ADDON_BLOB_MAX, &data, &size) < 0) {
                        free(all);
                        return -1;
                }
                padded = (size + 3) & ~(size_t) 3;
                if (padded > ADDON_BLOB_MAX - total) {
                        free(data);
                        free(all);
                        return log_error("addon build: the initrds are larger than %u MiB in all",
                                         ADDON_BLOB_MAX / (1024 * 1024));
                }
                grown = realloc(all, total + padded);
                if (!grown) {
                        free(data);
                        free(all);
                        return log_error("out of memory");
                }
                all = grown;
                memcpy(all + total, data, size);
                memset(all + total + size, 0, padded - size);
                total += padded;
                free(data);
        }
        *ret = all;
        *ret_size = total;
        return 0;
}

static int write_all(struct atomic_file *f, struct pe_checksum *c, const void *data, size_t size) {
        static const uint8_t zeros[4096];

        while (size > 0) {
                size_t n = data ? size : (size < sizeof(zeros) ? size : sizeof(zeros));
                if (atomic_file_write(f, data ? data : zeros, n) < 0)
                        return -1;
                pe_checksum_update(c, data ? data : zeros, n);
                size -= n;
                if (data)
                        data = (const uint8_t *) data + n;
        }
        return 0;
}

/* Lays the sections out after the stub, writes, reads the headers back with
 * the firmware side's parser and addon rules, signs, commits. */
static int write_addon(const struct addon_inputs *in, const struct keel_arch *arch, const char *key,
                       const char *cert, const char *output) {
        uint8_t stub[STUB_FILE_SIZE];
        struct pe_new_section ns[_UKI_SECTION_MAX];
        struct pe_append_plan plan;
        struct atomic_file f;
        struct pe_checksum c;
        struct pe_image *pe = NULL;
        struct uki_sections found;
        uint8_t checksum[4];
        int r;

        make_stub(arch, stub);
        for (size_t i = 0; i < in->n; i++) {
                snprintf(ns[i].name, sizeof(ns[i].name), "%s", uki_section_name(in->blobs[i].kind));
                ns[i].size = in->blobs[i].size;
                ns[i].keep_empty = false;
        }
        r = pe_append_plan(stub, sizeof(stub), ns, in->n, &plan);
        if (r != KEEL_OK)
                return log_error("cannot lay out the addon: %s", keel_strerror(r));
        /* The written headers must parse as the stub will parse them. */
        pe = malloc(sizeof(*pe));
        if (!pe)
                r = log_error("out of memory");
        else if ((r = pe_parse_headers(plan.prefix, plan.prefix_size, pe)) != KEEL_OK ||
                 (r = pe_check_file_layout(pe, plan.file_size)) != KEEL_OK ||
                 (r = uki_find_sections(pe, &found)) != KEEL_OK ||
                 (r = addon_check(&found, NULL, 0, NULL, 0)) != KEEL_OK)
                r = log_error("internal error: the addon written does not parse: %s", keel_strerror(r));
        free(pe);
        if (r < 0) {
                pe_append_plan_free(&plan);
                return -1;
        }
        if (atomic_file_open(output, &f) < 0) {
                pe_append_plan_free(&plan);
                return -1;
        }
        pe_checksum_init(&c);
        r = write_all(&f, &c, plan.prefix, plan.prefix_size);
        for (size_t i = 0; r == 0 && i < in->n; i++) {
                r = write_all(&f, &c, in->blobs[i].data, in->blobs[i].size);
                if (r == 0)
                        r = write_all(&f, &c, NULL, plan.placed[i].raw_size - in->blobs[i].size);
        }
        if (r == 0) {
                write_le32(checksum, pe_checksum_final(&c));
                r = atomic_file_pwrite(&f, checksum, sizeof(checksum), (off_t) plan.checksum_offset);
        }
        if (r == 0 && key)
                r = pe_sign_output(&f, plan.file_size, key, cert);
        if (r == 0)
                r = atomic_file_commit(&f, 0644);
        atomic_file_abort(&f);
        pe_append_plan_free(&plan);
        return r;
}

int addon_build_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "cmdline", required_argument, NULL, 'c' },    { "devicetree", required_argument, NULL, 'D' },
                { "microcode", required_argument, NULL, 'm' },  { "initrd", required_argument, NULL, 'i' },
                { "uname", required_argument, NULL, 'u' },      { "sbat", required_argument, NULL, 'b' },
                { "arch", required_argument, NULL, 'a' },       { "key", required_argument, NULL, 'S' },
                { "cert", required_argument, NULL, 'C' },       { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },             {},
        };
        const char *initrds[ADDON_MAX_INITRDS], *cmdline = NULL, *dtb = NULL, *ucode = NULL, *uname = NULL;
        const char *sbat = NULL, *arch_name = NULL, *key = NULL, *cert = NULL, *output = NULL;
        const struct keel_arch *arch;
        struct addon_inputs in = {};
        size_t n_initrds = 0, size, total;
        uint8_t *data;
        int c, r = -1;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 'c': cmdline = optarg; break;
                case 'D': dtb = optarg; break;
                case 'm': ucode = optarg; break;
                case 'i':
                        if (n_initrds == ADDON_MAX_INITRDS)
                                return log_error("addon build: too many --initrd (at most %d)", ADDON_MAX_INITRDS),
                                       1;
                        initrds[n_initrds++] = optarg;
                        break;
                case 'u': uname = optarg; break;
                case 'b': sbat = optarg; break;
                case 'a': arch_name = optarg; break;
                case 'S': key = optarg; break;
                case 'C': cert = optarg; break;
                case 'o': output = optarg; break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("addon build: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("addon build: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (optind < argc)
                return log_error("addon build: unexpected argument %s", argv[optind]), 1;
        if (!output)
                return log_error("addon build: -o OUTPUT is required"), 1;
        if (!cmdline && !dtb && !ucode && n_initrds == 0)
                return log_error("addon build: nothing to put in the addon: give --cmdline, --devicetree, "
                                 "--microcode or --initrd"),
                       1;
        arch = arch_name ? keel_arch_from_name(arch_name) : keel_arch_host();
        if (!arch)
                return log_error("addon build: %s%s is not an architecture keel boots (%s)",
                                 arch_name ? "--arch " : "the host ", arch_name ? arch_name : "", keel_arch_names()),
                       1;
        if (pe_sign_check_options(key, cert) < 0)
                return 1;

        /* The layout of `keel uki build`: small metadata first. */
        if (cmdline) {
                if (load_text("--cmdline", cmdline, &data, &size) < 0)
                        goto out;
                /* Linux's EFI stub stops at a newline: one option per line means them all. */
                size = fold_line_breaks((char *) data, size);
                add_blob(&in, UKI_SECTION_CMDLINE, data, size);
        }
        if (uname) {
                if (!(data = (uint8_t *) strdup(uname))) {
                        log_error("out of memory");
                        goto out;
                }
                add_blob(&in, UKI_SECTION_UNAME, data, strlen(uname));
        }
        if (sbat) {
                if (load_text("--sbat", sbat, &data, &size) < 0)
                        goto out;
                add_blob(&in, UKI_SECTION_SBAT, data, size);
        }
        if (dtb) {
                int k;
                if (read_file(dtb, FDT_MAX_SIZE, &data, &size) < 0)
                        goto out;
                /* The stub refuses a malformed tree: so does the build. */
                k = fdt_check(data, size, &total);
                if (k != KEEL_OK || total != size) {
                        free(data);
                        if (k != KEEL_OK)
                                log_error("addon build: --devicetree %s: %s", dtb, keel_strerror(k));
                        else
                                log_error("addon build: --devicetree %s: %zu bytes, the tree's header says %zu", dtb,
                                          size, total);
                        goto out;
                }
                add_blob(&in, UKI_SECTION_DTB, data, size);
        }
        if (ucode) {
                if (read_file(ucode, ADDON_BLOB_MAX, &data, &size) < 0)
                        goto out;
                /* The kernel finds early microcode only in a newc cpio archive. */
                if (size < 6 || (memcmp(data, "070701", 6) != 0 && memcmp(data, "070702", 6) != 0)) {
                        free(data);
                        log_error("addon build: --microcode %s is not a cpio archive (newc)", ucode);
                        goto out;
                }
                add_blob(&in, UKI_SECTION_UCODE, data, size);
        }
        if (n_initrds > 0) {
                if (load_initrds(initrds, n_initrds, &data, &size) < 0)
                        goto out;
                add_blob(&in, UKI_SECTION_INITRD, data, size);
        }
        total = 0;
        for (size_t i = 0; i < in.n; i++)
                total += in.blobs[i].size;
        if (total > ADDON_BLOB_MAX) {
                log_error("addon build: the sections are larger than %u MiB in all, more than the stub reads",
                          ADDON_BLOB_MAX / (1024 * 1024));
                goto out;
        }
        {
                bool contributes = false;
                for (size_t i = 0; i < in.n; i++)
                        contributes |= in.blobs[i].kind != UKI_SECTION_UNAME && in.blobs[i].kind != UKI_SECTION_SBAT;
                if (!contributes) {
                        log_error("addon build: every input given is empty: nothing to put in the addon");
                        goto out;
                }
        }
        r = write_addon(&in, arch, key, cert, output);
out:
        for (size_t i = 0; i < in.n; i++)
                free(in.blobs[i].data);
        return r < 0 ? 1 : 0;
}
