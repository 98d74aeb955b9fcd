/* SPDX-License-Identifier: MIT */
/* keel uki build: appends UKI sections after a stub's image. uki_build()
 * is the library call (uki-build.h); uki_build_main() only turns options
 * into a request. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/pe/pe-append.h"
#include "host-tools/pe/pe-checksum.h"
#include "host-tools/sign/pe-sign.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/core/text-arg.h"
#include "host-tools/verity/verity-uki.h"
#include "host-tools/core/arch.h"
#include "host-tools/core/commands.h"
#include "host-tools/uki/thin-content.h"
#include "host-tools/uki/uki-build.h"
#include "common/cmdline.h"
#include "common/error.h"
#include "common/fdt.h"
#include "common/uki.h"
#include "common/utf.h"

#define STUB_MAX_SIZE (64u * 1024 * 1024)
#define MAX_INITRDS 64
#define MAX_PIECES (2 * MAX_INITRDS)
/* Each profile adds .profile, .osrel, .cmdline and .pcrsig at most. */
#define MAX_SECTIONS (_UKI_SECTION_MAX + 4 * UKI_BUILD_PROFILES_MAX)

/* A section's content as a list of pieces: bytes in memory, or a whole
 * input file (data NULL, file set). */
struct piece {
        const uint8_t *data;
        const struct input_file *file;
        size_t size;
};

struct section_content {
        enum uki_section kind;
        struct piece pieces[MAX_PIECES];
        size_t n_pieces;
        uint64_t size;
        bool keep_empty; /* written even with no bytes (a thin UKI's .linux) */
};

/* One profile's own sections (text, NULL when the profile inherits the base's). */
struct profile_inputs {
        char *text;
        size_t text_size;
        char *cmdline;
        size_t cmdline_size;
        char *os_release;
        size_t os_release_size;
};

struct build_inputs {
        uint8_t *stub;
        size_t stub_size;
        struct input_file kernel;
        struct input_file initrds[MAX_INITRDS];
        uint8_t *dtb;
        size_t dtb_size;
        uint8_t *ucode;         /* --microcode */
        size_t ucode_size;
        struct verity_uki_options verity; /* roothash, usrhash */
        char *cmdline;
        size_t cmdline_size;
        char *os_release;
        size_t os_release_size;
        char uname[256];
        char tlinux[THIN_REF_TEXT_MAX], tinitrd[THIN_REF_TEXT_MAX]; /* .tlinux/.tinitrd text */
        size_t tlinux_size, tinitrd_size;
        struct uki_pcr_signing pcr_signing;
        struct profile_inputs profiles[UKI_BUILD_PROFILES_MAX];
        struct section_content sections[MAX_SECTIONS];
        size_t n_sections;
};

/* The order sections take in the file: small metadata first, the kernel last. */
static const enum uki_section layout_order[] = {
        UKI_SECTION_OSREL,  UKI_SECTION_CMDLINE, UKI_SECTION_UNAME,  UKI_SECTION_SPLASH, UKI_SECTION_DTB,
        UKI_SECTION_PCRPKEY, UKI_SECTION_PCRSIG, UKI_SECTION_UCODE, UKI_SECTION_TINITRD, UKI_SECTION_TLINUX,
        UKI_SECTION_INITRD, UKI_SECTION_LINUX,
};

/* Every file the build reads, with the option that names it. */
#define MAX_INPUT_FILES (MAX_INITRDS + 10)
struct named_input {
        const char *option;
        const char *path;
};

static size_t list_input_files(const struct uki_build_request *req, struct named_input *ret) {
        const struct named_input fixed[] = {
                { "--stub", req->stub_path },
                { "--linux", req->linux_path },
                { "--devicetree", req->devicetree_path },
                { "--microcode", req->microcode_path },
                { "--pcrpkey", req->pcrpkey_path },
                { "--pcr-private-key", req->pcr_private_key_path },
                { "--key", req->sign_key_path },
                { "--cert", req->sign_cert_path },
        };
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                if (fixed[i].path)
                        ret[n++] = fixed[i];
        for (size_t i = 0; i < req->n_initrds && i < MAX_INITRDS; i++)
                ret[n++] = (struct named_input) { "--initrd", req->initrd_paths[i] };
        return n;
}

/* The output replaces its path by rename, so -o naming an input (by any
 * name: a hard link or a symlink is the same file) would destroy the kernel,
 * stub or key the UKI was made from. An output that does not exist yet, or
 * an input that cannot be stat'ed (its reader reports that), is no clash.
 * (The CLI checks its @FILE arguments itself: the request holds their text.) */
static int check_output_is_no_input(const struct uki_build_request *req, const struct named_input *extra,
                                    size_t n_extra) {
        struct named_input inputs[MAX_INPUT_FILES];
        size_t n = list_input_files(req, inputs);
        struct stat out, st;

        for (size_t i = 0; i < n_extra && n < MAX_INPUT_FILES; i++)
                if (extra[i].path)
                        inputs[n++] = extra[i];
        if (stat(req->output_path, &out) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (stat(inputs[i].path, &st) < 0 || st.st_dev != out.st_dev || st.st_ino != out.st_ino)
                        continue;
                if (strcmp(inputs[i].path, req->output_path) == 0)
                        return log_error("uki build: -o %s is also the %s input; write the UKI to another file",
                                         req->output_path, inputs[i].option);
                return log_error("uki build: -o %s is the same file as the %s input %s; write the UKI to another file",
                                 req->output_path, inputs[i].option, inputs[i].path);
        }
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel uki build [--stub STUB] --linux KERNEL [--initrd FILE]... [--cmdline TEXT|@FILE]\n"
                "                      [--os-release TEXT|@FILE] [--uname VERSION] " VERITY_UKI_USAGE "\n"
                "                      [--devicetree DTB] [--microcode CPIO] [--thin ROOT]\n"
                "                      [--pcrpkey PUB.pem] [--pcr-private-key KEY.pem [--pcr-banks LIST]\n"
                "                      [--sign-initrd-pcrs]] [--key KEY --cert CERT]\n"
                "                      [--profile TEXT|@FILE [--cmdline TEXT|@FILE] [--os-release TEXT|@FILE]]...\n"
                "                      -o OUTPUT\n"
                "Packs a kernel, initrds, command line and os-release into a Unified Kernel Image.\n"
                "--devicetree DTB adds a flattened device tree as .dtb (its header is checked).\n"
                "--microcode CPIO adds an early-microcode cpio archive as .ucode (before .initrd).\n"
                "STUB defaults to the keel stub for the kernel's architecture (keelx64.efi, keelaa64.efi)\n"
                "next to the keel binary (or in ../lib/keel/); a kernel and a stub for different machines\n"
                "are refused.\n"
                "Line breaks in the command line become spaces; one the kernel would cut (2048 bytes\n"
                "or more, --roothash/--usrhash included) is refused.\n"
                "--key KEY --cert CERT signs the UKI for Secure Boot (Authenticode), as keel sign does.\n"
                "KEY, CERT and the --pcr-private-key KEY may be PKCS#11 URIs (see keel sign --help).\n"
                "--pcrpkey PUB.pem embeds a public key (.pcrpkey); --pcr-private-key KEY.pem also signs\n"
                "the image's PCR 11 for systemd-cryptenroll --tpm2-public-key (.pcrsig), as ukify 262:\n"
                "systemd-measure's four phases in the banks of --pcr-banks LIST (default: sha1, sha256,\n"
                "sha384, sha512); --sign-initrd-pcrs also signs the phase enter-initrd bound to the\n"
                "policy reference \"initrd\" (systemd-tpm2-setup's NvPCRs, systemd-cryptenroll\n"
                "--tpm2-public-key-policyref=initrd); --no-sign-initrd-pcrs (the default) does not.\n"
                "--thin ROOT makes a thin UKI for the volume ROOT (e.g. the ESP's mount point): the\n"
                "kernel and the initrd (several: concatenated, each padded to 4 bytes) are stored once as\n"
                "ROOT" THIN_CONTENT_DIR "/<sha256>.linux and .initrd, and the UKI names them\n"
                "(.tlinux/.tinitrd: SHA-256, size, path) instead of carrying them. The keel stub\n"
                "checks and measures them as .linux/.initrd: PCR 11 is that of the fat UKI.\n"
                "--profile TEXT (repeatable) makes a multi-profile UKI (systemd 257): each adds a .profile\n"
                "section (os-release style: ID=..., TITLE=...) after the shared sections; a --cmdline or\n"
                "--os-release after a --profile is that profile's own and overrides the shared one. The\n"
                "first --profile is profile 0 (booted by default), the next @1 and so on.\n");
}

static struct section_content *add_section(struct build_inputs *in, enum uki_section kind) {
        struct section_content *s = &in->sections[in->n_sections++];
        memset(s, 0, sizeof(*s));
        s->kind = kind;
        return s;
}

static void add_piece(struct section_content *s, const void *data, size_t size) {
        if (size == 0)
                return;
        s->pieces[s->n_pieces++] = (struct piece) { .data = data, .size = size };
        s->size += size;
}

static void add_file_piece(struct section_content *s, const struct input_file *f) {
        if (f->size == 0)
                return;
        s->pieces[s->n_pieces++] = (struct piece) { .file = f, .size = f->size };
        s->size += f->size;
}

const char *keel_shipped_file(const char *name) {
        /* One path per process: the answer does not change while it runs. */
        static char path[PATH_MAX];
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n <= 0 || strchr(name, '/'))
                return NULL;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return NULL;
        *slash = '\0';
        /* The build tree (build/keel, build/keelx64.efi), then `make install`
         * (PREFIX/bin/keel, PREFIX/lib/keel/keelx64.efi). */
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", exe, name) < sizeof(path) && access(path, R_OK) == 0)
                return path;
        if ((size_t) snprintf(path, sizeof(path), "%s/../lib/keel/%s", exe, name) < sizeof(path) &&
            access(path, R_OK) == 0)
                return path;
        return NULL;
}

/* The release a bzImage announces in its setup header (what `file` prints),
 * used for .uname when --uname is not given. */
static void kernel_release_from_bzimage(const struct input_file *k, char *out, size_t out_size) {
        const uint8_t *d = k->head;
        uint16_t version_offset;
        size_t start, i;

        out[0] = '\0';
        if (k->head_size < 0x210 || memcmp(d + 0x202, "HdrS", 4) != 0)
                return;
        version_offset = read_le16(d + 0x20e);
        start = (size_t) version_offset + 0x200;
        if (version_offset == 0 || start >= k->head_size)
                return;
        for (i = 0; i + 1 < out_size && start + i < k->head_size; i++) {
                char c = (char) d[start + i];
                if (c == '\0' || c == ' ' || (uint8_t) c < 0x20 || (uint8_t) c >= 0x7f)
                        break;
                out[i] = c;
        }
        out[i] = '\0';
}

/* A kernel without a bzImage header (arm64's Image, an EFI application as
 * it is) states its release only in its banner, "Linux version RELEASE (",
 * which an uncompressed image carries as text: the first such banner, as
 * ukify reads it. Nothing when there is none (a compressed image). */
static void kernel_release_from_banner(const struct input_file *k, char *out, size_t out_size) {
        static const char banner[] = "Linux version ";
        const size_t banner_len = sizeof(banner) - 1;
        const uint8_t *map, *p, *end;

        out[0] = '\0';
        if (k->size < banner_len || k->size > SIZE_MAX)
                return;
        map = mmap(NULL, (size_t) k->size, PROT_READ, MAP_PRIVATE, k->fd, 0);
        if (map == MAP_FAILED)
                return;
        end = map + k->size;
        for (p = map; (p = memmem(p, (size_t) (end - p), banner, banner_len)); p++) {
                const uint8_t *v = p + banner_len;
                size_t n = 0;

                while (v + n < end && n + 1 < out_size && v[n] > 0x20 && v[n] < 0x7f)
                        n++;
                /* The release is followed by " (" (compiled-by) in the banner;
                 * other mentions (a format string) are not. */
                if (n == 0 || (size_t) (end - (v + n)) < 2 || v[n] != ' ' || v[n + 1] != '(')
                        continue;
                memcpy(out, v, n);
                out[n] = '\0';
                break;
        }
        munmap((void *) map, (size_t) k->size);
}

static int check_stub(const struct build_inputs *in, const char *path, struct pe_image *ret_pe) {
        struct uki_sections found;
        int r;

        if (pe_file_check_size("stub", path, in->stub_size) < 0)
                return -1;
        r = pe_parse_headers(in->stub, in->stub_size, ret_pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(ret_pe, in->stub_size);
        /* A fixup past the stub's image would land in the sections appended
         * there; uki_check_relocations() refuses it as outside every section. */
        if (r == KEEL_OK)
                r = uki_check_relocations(ret_pe, in->stub, in->stub_size, PE_VIEW_FILE);
        if (r != KEEL_OK)
                return log_error("stub %s: %s", path, keel_strerror(r));
        r = uki_find_sections(ret_pe, &found);
        if (r != KEEL_OK)
                return log_error("stub %s: %s", path, keel_strerror(r));
        if (found.section[UKI_SECTION_LINUX])
                return log_error("stub %s: %s (it is already a UKI)", path, keel_strerror(KEEL_E_UKI_HAS_LINUX));
        for (size_t i = 0; i < _UKI_SECTION_MAX; i++)
                if (found.section[i] && i != UKI_SECTION_SBAT)
                        return log_error("stub %s: already has a %s section", path, uki_section_name(i));
        return 0;
}

static int check_kernel(const struct build_inputs *in, const char *path, uint16_t stub_machine) {
        struct pe_image pe;
        int r;

        if (pe_file_check_size("kernel", path, in->kernel.size) < 0)
                return -1;
        r = pe_parse_headers(in->kernel.head, in->kernel.head_size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, in->kernel.size);
        if (r != KEEL_OK)
                return log_error("kernel %s: not an EFI-stub kernel: %s", path, keel_strerror(r));
        if (pe.machine != stub_machine) {
                const struct keel_arch *k = keel_arch_from_machine(pe.machine), *s = keel_arch_from_machine(stub_machine);
                return log_error("kernel %s: built for %s (machine 0x%04x), the stub for %s (0x%04x)", path,
                                 k ? k->name : "another architecture", pe.machine, s ? s->name : "another architecture",
                                 stub_machine);
        }
        return 0;
}

/* The stub hands .cmdline to the kernel as UTF-16 and Linux's EFI stub
 * converts it back, keeping fewer than CMDLINE_KERNEL_MAX_BYTES: checked
 * with the rule the stub applies to a command line from the loader, on the
 * final text, since words appended at the end are the ones that would be cut. */
static int check_cmdline_reaches_kernel(const char *text, size_t len, bool verity_words) {
        uint16_t *units;
        size_t n, bytes;
        int r;

        if (len == 0)
                return 0;
        units = malloc((len + 1) * sizeof(*units));
        if (!units)
                return log_error("out of memory");
        n = utf8_to_utf16(text, len, units);
        r = cmdline_check_kernel_limits(units, n, &bytes);
        if (r == KEEL_OK)
                r = cmdline_check_no_file_words(units, n);
        free(units);
        if (r == KEEL_E_CMDLINE_TOO_LONG)
                return log_error("uki build: the command line%s is %zu bytes, the kernel keeps at most %d",
                                 verity_words ? " with --roothash/--usrhash" : "", bytes, CMDLINE_KERNEL_MAX_BYTES - 1);
        if (r != KEEL_OK)
                return log_error("uki build: %s", keel_strerror(r));
        return 0;
}

/* The final .cmdline text for a --cmdline (the base's or a profile's). */
static int make_cmdline(const struct build_inputs *in, const char *text, char **ret, size_t *ret_size) {
        bool verity_words = in->verity.roothash[0] || in->verity.usrhash[0];

        if (text) {
                *ret_size = strlen(text);
                *ret = strdup(text);
                if (!*ret)
                        return log_error("out of memory");
                /* Lines become words; a file's final newline, folded to a
                 * space, goes with the other trailing whitespace. */
                *ret_size = fold_line_breaks(*ret, *ret_size);
                *ret_size = strip_trailing_whitespace(*ret, *ret_size);
        }
        if (verity_uki_extend_cmdline(&in->verity, ret, ret_size) < 0)
                return -1;
        return check_cmdline_reaches_kernel(*ret, *ret_size, verity_words);
}

static int load_cmdline(const struct uki_build_request *req, struct build_inputs *in) {
        return make_cmdline(in, req->cmdline, &in->cmdline, &in->cmdline_size);
}

/* A .profile is os-release-like text (ID=, TITLE=) that the loader shows and
 * the stub hands to the OS as /.extra/profile: printable UTF-8 lines. */
static int check_profile_text(size_t index, const char *text) {
        char id[UKI_PROFILE_VALUE_MAX], title[UKI_PROFILE_VALUE_MAX];
        size_t len = strlen(text);

        if (len == 0)
                return log_error("uki build: --profile #%zu is empty (give at least ID=...)", index + 1);
        for (size_t i = 0; i < len; i++)
                if ((uint8_t) text[i] < 0x20 && text[i] != '\n' && text[i] != '\t')
                        return log_error("uki build: --profile #%zu has a control character", index + 1);
        if (uki_profile_info(text, len, id, title) != KEEL_OK)
                return log_error("uki build: --profile #%zu: a value is longer than %d bytes", index + 1,
                                 UKI_PROFILE_VALUE_MAX - 1);
        return 0;
}

static int load_profiles(const struct uki_build_request *req, struct build_inputs *in) {
        if (req->n_profiles > UKI_BUILD_PROFILES_MAX)
                return log_error("uki build: too many --profile (%zu, at most %d)", req->n_profiles,
                                 UKI_BUILD_PROFILES_MAX);
        for (size_t i = 0; i < req->n_profiles; i++) {
                const struct uki_build_profile *p = &req->profiles[i];
                struct profile_inputs *o = &in->profiles[i];

                if (!p->text || check_profile_text(i, p->text) < 0)
                        return p->text ? -1 : log_error("uki build: internal error: profile without text");
                if (!(o->text = strdup(p->text)))
                        return log_error("out of memory");
                o->text_size = strlen(o->text);
                if (p->cmdline && make_cmdline(in, p->cmdline, &o->cmdline, &o->cmdline_size) < 0)
                        return -1;
                if (p->os_release) {
                        o->os_release_size = strlen(p->os_release);
                        if (!(o->os_release = strdup(p->os_release)))
                                return log_error("out of memory");
                }
        }
        return 0;
}

static void hex_prefix(const uint8_t *d, char out[17]) {
        for (size_t i = 0; i < 8; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A thin ref's content is the file given for it, byte for byte: checked here
 * so that a UKI never names bytes other than those it was built (and its PCR
 * 11 predicted) from. The section text is made here too. */
static int check_thin_content(const char *what, const char *path, const struct input_file *f,
                              const struct thin_ref *ref, char *ret_text, size_t *ret_size) {
        struct thin_ref actual;
        char want[17], got[17];

        *ret_size = thin_ref_format(ref, ret_text, THIN_REF_TEXT_MAX);
        if (*ret_size == 0)
                return log_error("uki build: the %s ref is not valid (hash, size 1..%llu, path %s)", what,
                                 (unsigned long long) THIN_CONTENT_MAX, ref->path);
        if (f->size != ref->size)
                return log_error("uki build: %s %s is %llu bytes, its ref says %llu", what, path,
                                 (unsigned long long) f->size, (unsigned long long) ref->size);
        if (thin_ref_for_file(path, "linux", &actual) < 0)
                return -1;
        if (actual.size != ref->size || memcmp(actual.sha256, ref->sha256, THIN_SHA256_SIZE) != 0) {
                hex_prefix(ref->sha256, want);
                hex_prefix(actual.sha256, got);
                return log_error("uki build: %s %s has SHA-256 %s..., its ref says %s...", what, path, got, want);
        }
        return 0;
}

static int load_thin_refs(const struct uki_build_request *req, struct build_inputs *in) {
        if (req->thin_linux &&
            check_thin_content("kernel", req->linux_path, &in->kernel, req->thin_linux, in->tlinux,
                               &in->tlinux_size) < 0)
                return -1;
        if (!req->thin_initrd)
                return 0;
        /* The stub serves the content file as the initrd, as it is: the
         * fat twin's .initrd (one initrd as it is, several joined as
         * ukify joins them) is one file. */
        if (req->n_initrds != 1)
                return log_error("uki build: a thin initrd needs exactly one initrd file (the concatenation), not %zu",
                                 req->n_initrds);
        return check_thin_content("initrd", req->initrd_paths[0], &in->initrds[0], req->thin_initrd, in->tinitrd,
                                  &in->tinitrd_size);
}

static int load_inputs(const struct uki_build_request *req, struct build_inputs *in) {
        struct pe_image stub_pe;
        struct section_content *s;

        if (req->roothash && verity_uki_option(&in->verity, VERITY_UKI_OPT_ROOTHASH, req->roothash) < 0)
                return -1;
        if (req->usrhash && verity_uki_option(&in->verity, VERITY_UKI_OPT_USRHASH, req->usrhash) < 0)
                return -1;
        if (read_file(req->stub_path, STUB_MAX_SIZE, &in->stub, &in->stub_size) < 0)
                return -1;
        if (check_stub(in, req->stub_path, &stub_pe) < 0)
                return -1;
        if (input_file_open(req->linux_path, &in->kernel) < 0)
                return -1;
        if (check_kernel(in, req->linux_path, stub_pe.machine) < 0)
                return -1;
        for (size_t i = 0; i < req->n_initrds; i++)
                if (input_file_open(req->initrd_paths[i], &in->initrds[i]) < 0)
                        return -1;
        if (load_thin_refs(req, in) < 0)
                return -1;
        if (load_cmdline(req, in) < 0)
                return -1;
        if (load_profiles(req, in) < 0)
                return -1;
        if (req->os_release) {
                in->os_release_size = strlen(req->os_release);
                if (!(in->os_release = strdup(req->os_release)))
                        return log_error("out of memory");
        }
        if (req->devicetree_path) {
                size_t total;
                int k;
                if (read_file(req->devicetree_path, 16u * 1024 * 1024, &in->dtb, &in->dtb_size) < 0)
                        return -1;
                /* The stub refuses a malformed tree before measuring: so does the build. */
                k = fdt_check(in->dtb, in->dtb_size, &total);
                if (k != KEEL_OK)
                        return log_error("uki build: --devicetree %s: %s", req->devicetree_path, keel_strerror(k));
                if (total != in->dtb_size)
                        return log_error("uki build: --devicetree %s: %zu bytes, the tree's header says %zu",
                                         req->devicetree_path, in->dtb_size, total);
        }
        if (req->microcode_path) {
                if (read_file(req->microcode_path, 256u * 1024 * 1024, &in->ucode, &in->ucode_size) < 0)
                        return -1;
                /* The kernel finds early microcode only in a newc cpio archive. */
                if (in->ucode_size < 6 ||
                    (memcmp(in->ucode, "070701", 6) != 0 && memcmp(in->ucode, "070702", 6) != 0))
                        return log_error("uki build: --microcode %s is not a cpio archive (newc)",
                                         req->microcode_path);
        }
        if (req->uname)
                snprintf(in->uname, sizeof(in->uname), "%s", req->uname);
        else {
                kernel_release_from_bzimage(&in->kernel, in->uname, sizeof(in->uname));
                if (!in->uname[0])
                        kernel_release_from_banner(&in->kernel, in->uname, sizeof(in->uname));
        }
        if ((req->pcrpkey_path || req->pcr_private_key_path) &&
            uki_pcr_signing_prepare(req->pcrpkey_path, req->pcr_private_key_path, req->pcr_options,
                                    &in->pcr_signing) < 0)
                return -1;

        for (size_t k = 0; k < ARRAY_SIZE(layout_order); k++) {
                static const uint8_t zeros[4];
                switch (layout_order[k]) {
                case UKI_SECTION_OSREL:
                        add_piece(add_section(in, UKI_SECTION_OSREL), in->os_release, in->os_release_size);
                        break;
                case UKI_SECTION_CMDLINE:
                        add_piece(add_section(in, UKI_SECTION_CMDLINE), in->cmdline, in->cmdline_size);
                        break;
                case UKI_SECTION_UNAME:
                        add_piece(add_section(in, UKI_SECTION_UNAME), in->uname, strlen(in->uname));
                        break;
                case UKI_SECTION_DTB:
                        add_piece(add_section(in, UKI_SECTION_DTB), in->dtb, in->dtb_size);
                        break;
                case UKI_SECTION_UCODE:
                        add_piece(add_section(in, UKI_SECTION_UCODE), in->ucode, in->ucode_size);
                        break;
                case UKI_SECTION_TINITRD:
                        if (req->thin_initrd)
                                add_piece(add_section(in, UKI_SECTION_TINITRD), in->tinitrd, in->tinitrd_size);
                        break;
                case UKI_SECTION_TLINUX:
                        if (req->thin_linux)
                                add_piece(add_section(in, UKI_SECTION_TLINUX), in->tlinux, in->tlinux_size);
                        break;
                case UKI_SECTION_INITRD:
                        if (req->thin_initrd)
                                break;
                        /* One initrd as it is, so that systemd-measure --initrd
                         * of the same file predicts PCR 11; several concatenated,
                         * each padded to 4 bytes, as ukify joins them (every
                         * cpio archive must start 4-aligned). */
                        s = add_section(in, UKI_SECTION_INITRD);
                        for (size_t i = 0; i < req->n_initrds; i++) {
                                add_file_piece(s, &in->initrds[i]);
                                if (req->n_initrds > 1)
                                        add_piece(s, zeros, (4 - in->initrds[i].size % 4) % 4);
                        }
                        break;
                case UKI_SECTION_LINUX:
                        /* A thin UKI gets an empty .linux: the mark bootctl
                         * (systemd 257+: pe_is_uki() wants .osrel and .linux)
                         * lists it by; keel's readers take a .linux with no
                         * bytes beside .tlinux as no .linux at all. */
                        if (!req->thin_linux)
                                add_file_piece(add_section(in, UKI_SECTION_LINUX), &in->kernel);
                        else
                                add_section(in, UKI_SECTION_LINUX)->keep_empty = true;
                        break;
                case UKI_SECTION_PCRPKEY:
                        add_piece(add_section(in, UKI_SECTION_PCRPKEY), in->pcr_signing.pcrpkey,
                                  in->pcr_signing.pcrpkey_size);
                        break;
                case UKI_SECTION_PCRSIG:
                        /* A placeholder of the signed JSON's size; signed once the image is written.
                         * With profiles, each profile has its own (below). */
                        if (req->n_profiles == 0)
                                add_piece(add_section(in, UKI_SECTION_PCRSIG), in->pcr_signing.pcrsig_placeholder,
                                          in->pcr_signing.pcrsig_size);
                        break;
                default:
                        break;
                }
        }
        /* Each profile after the base, as systemd-stub reads them: its
         * .profile, then the sections it overrides (ukify's layout). */
        for (size_t i = 0; i < req->n_profiles; i++) {
                const struct profile_inputs *p = &in->profiles[i];

                add_piece(add_section(in, UKI_SECTION_PROFILE), p->text, p->text_size);
                if (p->os_release)
                        add_piece(add_section(in, UKI_SECTION_OSREL), p->os_release, p->os_release_size);
                if (p->cmdline)
                        add_piece(add_section(in, UKI_SECTION_CMDLINE), p->cmdline, p->cmdline_size);
                /* ukify's layout: each profile's .pcrsig signs that profile's PCR 11. */
                add_piece(add_section(in, UKI_SECTION_PCRSIG), in->pcr_signing.pcrsig_placeholder,
                          in->pcr_signing.pcrsig_size);
        }
        return 0;
}

static void free_inputs(struct build_inputs *in) {
        free(in->stub);
        input_file_close(&in->kernel);
        free(in->dtb);
        free(in->ucode);
        for (size_t i = 0; i < MAX_INITRDS; i++)
                input_file_close(&in->initrds[i]);
        free(in->cmdline);
        free(in->os_release);
        for (size_t i = 0; i < UKI_BUILD_PROFILES_MAX; i++) {
                free(in->profiles[i].text);
                free(in->profiles[i].cmdline);
                free(in->profiles[i].os_release);
        }
        uki_pcr_signing_done(&in->pcr_signing);
}

static int write_padded(struct atomic_file *f, struct pe_checksum *c, const void *data, size_t size) {
        static const uint8_t zeros[65536];

        while (size > 0) {
                const void *chunk = data ? data : zeros;
                size_t n = data ? size : (size < sizeof(zeros) ? size : sizeof(zeros));
                if (atomic_file_write(f, chunk, n) < 0)
                        return -1;
                pe_checksum_update(c, chunk, n);
                size -= n;
                if (data)
                        data = (const uint8_t *) data + n;
        }
        return 0;
}

static void observe_checksum(void *ctx, const void *data, size_t size) {
        pe_checksum_update(ctx, data, size);
}

/* The output is read back with the same PE reader the firmware side uses. */
static int verify_output(struct atomic_file *f, const struct pe_append_plan *plan) {
        struct pe_image pe;
        struct uki_sections found;
        uint8_t *head = malloc(plan->prefix_size);
        int r;

        if (!head)
                return log_error("out of memory");
        if (pread(f->fd, head, plan->prefix_size, 0) != (ssize_t) plan->prefix_size) {
                free(head);
                return log_error("cannot read back %s", f->final_path);
        }
        r = pe_parse_headers(head, plan->prefix_size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, plan->file_size);
        for (unsigned p = uki_count_profiles(&pe); r == KEEL_OK && p-- > 0;)
                r = uki_find_profile_sections(&pe, p, &found);
        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &found);
        if (r == KEEL_OK && !uki_is_uki(&found))
                r = KEEL_E_UKI_NO_LINUX;
        /* The table is the stub's, in the prefix. */
        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, head, plan->prefix_size, PE_VIEW_FILE);
        free(head);
        if (r != KEEL_OK)
                return log_error("internal error: the UKI written does not parse: %s", keel_strerror(r));
        return 0;
}

/* A thin UKI's content, for the PCR 11 prediction of --pcr-private-key:
 * the files it was checked against (mapped from the descriptors already
 * open, so that it is the same file). */
static int map_thin_content(const struct uki_build_request *req, struct build_inputs *in,
                            struct measure_thin_content *ret, void *ret_maps[2]) {
        const struct input_file *files[2] = { req->thin_linux ? &in->kernel : NULL,
                                              req->thin_initrd ? &in->initrds[0] : NULL };

        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < 2; i++) {
                void *m;
                if (!files[i])
                        continue;
                m = mmap(NULL, (size_t) files[i]->size, PROT_READ, MAP_SHARED, files[i]->fd, 0);
                if (m == MAP_FAILED)
                        return log_errno(errno, "cannot map the %s content", i == 0 ? "kernel" : "initrd");
                ret_maps[i] = m;
                if (i == 0) {
                        ret->linux_data = m;
                        ret->linux_size = (size_t) files[i]->size;
                } else {
                        ret->initrd_data = m;
                        ret->initrd_size = (size_t) files[i]->size;
                }
        }
        return 0;
}

static int write_uki(const struct uki_build_request *req, struct build_inputs *in) {
        struct measure_thin_content thin = {};
        void *maps[2] = {};
        bool is_thin = req->thin_linux || req->thin_initrd;
        struct pe_new_section new_sections[MAX_SECTIONS];
        struct pe_append_plan plan;
        struct atomic_file f;
        struct pe_checksum c;
        uint8_t checksum[4];
        int r;

        for (size_t i = 0; i < in->n_sections; i++) {
                snprintf(new_sections[i].name, sizeof(new_sections[i].name), "%s",
                         uki_section_name(in->sections[i].kind));
                new_sections[i].size = in->sections[i].size;
                new_sections[i].keep_empty = in->sections[i].keep_empty;
        }
        r = pe_append_plan(in->stub, in->stub_size, new_sections, in->n_sections, &plan);
        if (r != KEEL_OK)
                return log_error("cannot lay out the UKI: %s", keel_strerror(r));
        if (plan.dropped_signature)
                log_warning("stub %s is signed; the UKI needs a signature of its own", req->stub_path);

        if (atomic_file_open(req->output_path, &f) < 0) {
                pe_append_plan_free(&plan);
                return -1;
        }
        pe_checksum_init(&c);
        r = write_padded(&f, &c, plan.prefix, plan.prefix_size);
        for (size_t i = 0, k = 0; r == 0 && i < in->n_sections; i++) {
                const struct section_content *s = &in->sections[i];
                if (s->size == 0 && !s->keep_empty)
                        continue;
                for (size_t p = 0; r == 0 && p < s->n_pieces; p++) {
                        const struct piece *piece = &s->pieces[p];
                        if (piece->file)
                                r = atomic_file_append_file(&f, piece->file->fd, piece->size, observe_checksum, &c);
                        else
                                r = write_padded(&f, &c, piece->data, piece->size);
                }
                if (r == 0)
                        r = write_padded(&f, &c, NULL, plan.placed[k].raw_size - s->size);
                k++;
        }
        if (r == 0) {
                write_le32(checksum, pe_checksum_final(&c));
                r = atomic_file_pwrite(&f, checksum, sizeof(checksum), (off_t) plan.checksum_offset);
        }
        if (r == 0 && in->pcr_signing.sign && is_thin)
                r = map_thin_content(req, in, &thin, maps);
        if (r == 0)
                r = uki_pcr_signing_finish(&in->pcr_signing, f.fd, plan.file_size, is_thin ? &thin : NULL);
        if (maps[0])
                munmap(maps[0], thin.linux_size);
        if (maps[1])
                munmap(maps[1], thin.initrd_size);
        if (r == 0)
                r = verify_output(&f, &plan);
        if (r == 0 && req->signer)
                r = pe_sign_atomic_file(&f, plan.file_size, req->signer);
        else if (r == 0 && req->sign_key_path)
                r = pe_sign_output(&f, plan.file_size, req->sign_key_path, req->sign_cert_path);
        if (r == 0)
                r = atomic_file_commit(&f, 0644);
        atomic_file_abort(&f);
        pe_append_plan_free(&plan);
        return r;
}

int uki_build(const struct uki_build_request *req) {
        struct build_inputs *in;
        int r;

        if (!req->stub_path || !req->linux_path || !req->output_path)
                return log_error("uki build: internal error: stub, kernel and output are required");
        if (req->n_initrds > MAX_INITRDS)
                return log_error("uki build: too many initrds (%zu, at most %d)", req->n_initrds, MAX_INITRDS);
        if (req->n_initrds > 0 && !req->initrd_paths)
                return log_error("uki build: internal error: initrd count without paths");
        if (check_output_is_no_input(req, NULL, 0) < 0)
                return -1;
        if (pe_sign_check_options(req->sign_key_path, req->sign_cert_path) < 0)
                return -1;

        /* The inputs hold a header buffer per file: megabytes, so not on the stack. */
        in = calloc(1, sizeof(*in));
        if (!in)
                return log_error("out of memory");
        in->kernel.fd = -1;
        for (size_t i = 0; i < MAX_INITRDS; i++)
                in->initrds[i].fd = -1;
        r = load_inputs(req, in);
        if (r == 0)
                r = write_uki(req, in);
        free_inputs(in);
        free(in);
        return r;
}

/* --thin ROOT with several initrds: the content is their concatenation,
 * each padded to 4 bytes, exactly the fat UKI's .initrd. Written to a temporary that is unlinked at once;
 * ret_path names it through /proc/self/fd while fd stays open. */
static int concatenate_initrds(const char *const *paths, size_t n, int *ret_fd, char ret_path[64]) {
        static const uint8_t zeros[4];
        const char *tmpdir = getenv("TMPDIR");
        char *name = NULL;
        int out, r = 0;

        if (asprintf(&name, "%s/keel-initrd.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
                return log_error("out of memory");
        out = mkostemp(name, O_CLOEXEC);
        if (out < 0) {
                r = log_errno(errno, "cannot create a temporary in %s", tmpdir && *tmpdir ? tmpdir : "/tmp");
                free(name);
                return r;
        }
        unlink(name);
        free(name);
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct input_file *f = malloc(sizeof(*f));
                off_t at = lseek(out, 0, SEEK_END);
                size_t pad;

                if (!f) {
                        r = log_error("out of memory");
                        break;
                }
                f->fd = -1;
                if (input_file_open(paths[i], f) < 0) {
                        free(f);
                        r = -1;
                        break;
                }
                pad = (4 - f->size % 4) % 4;
                if (at < 0 || copy_file_range(f->fd, &(off_t) { 0 }, out, NULL, f->size, 0) != (ssize_t) f->size) {
                        /* copy_file_range() may copy less, or not work across file systems: fall back to read/write. */
                        uint8_t buf[65536];
                        uint64_t done = 0;
                        if (at < 0 || ftruncate(out, at) < 0 || lseek(out, at, SEEK_SET) < 0)
                                r = log_errno(errno, "cannot write the initrd temporary");
                        while (r == 0 && done < f->size) {
                                ssize_t got = pread(f->fd, buf, sizeof(buf), (off_t) done);
                                if (got <= 0 || write(out, buf, (size_t) got) != got)
                                        r = log_errno(got < 0 ? errno : EIO, "cannot copy %s", paths[i]);
                                done += got > 0 ? (uint64_t) got : 0;
                        }
                }
                if (r == 0 && pad > 0 && write(out, zeros, pad) != (ssize_t) pad)
                        r = log_errno(errno, "cannot write the initrd temporary");
                input_file_close(f);
                free(f);
        }
        if (r < 0) {
                close(out);
                return r;
        }
        *ret_fd = out;
        snprintf(ret_path, 64, "/proc/self/fd/%d", out);
        return 0;
}

int uki_build_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "stub", required_argument, NULL, 's' },    { "linux", required_argument, NULL, 'l' },
                { "devicetree", required_argument, NULL, 'D' }, { "microcode", required_argument, NULL, 'U' },
                { "initrd", required_argument, NULL, 'i' },  { "cmdline", required_argument, NULL, 'c' },
                { "os-release", required_argument, NULL, 'r' }, { "uname", required_argument, NULL, 'u' },
                { "output", required_argument, NULL, 'o' },  { "help", no_argument, NULL, 'h' },
                VERITY_UKI_LONG_OPTIONS,
                { "key", required_argument, NULL, 'S' },     { "cert", required_argument, NULL, 'C' },
                { "pcrpkey", required_argument, NULL, 'P' }, { "pcr-private-key", required_argument, NULL, 'K' },
                { "thin", required_argument, NULL, 'T' },
                { "profile", required_argument, NULL, 'p' },
                { "pcr-banks", required_argument, NULL, 'B' },
                { "sign-initrd-pcrs", no_argument, NULL, 'I' },
                { "no-sign-initrd-pcrs", no_argument, NULL, 'N' },
                {},
        };
        struct pcr_uki_options pcr_options = {};
        const char *initrd_paths[MAX_INITRDS];
        const char *cmdline_arg = NULL, *os_release_arg = NULL, *thin_root = NULL;
        /* Per profile: the --profile, --cmdline and --os-release arguments that follow it. */
        const char *profile_args[UKI_BUILD_PROFILES_MAX][3] = {};
        char *profile_texts[UKI_BUILD_PROFILES_MAX][3] = {};
        struct uki_build_profile profiles[UKI_BUILD_PROFILES_MAX] = {};
        size_t n_profiles = 0;
        struct uki_build_request req = { .initrd_paths = initrd_paths, .pcr_options = &pcr_options };
        struct thin_ref linux_ref, initrd_ref;
        struct verity_uki_options verity = {};
        char *cmdline = NULL, *os_release = NULL;
        char initrd_temp_path[64];
        const char *thin_initrd_path = NULL;
        int initrd_temp = -1;
        size_t size;
        int c, r = -1;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 's': req.stub_path = optarg; break;
                case 'l': req.linux_path = optarg; break;
                case 'D': req.devicetree_path = optarg; break;
                case 'U': req.microcode_path = optarg; break;
                case 'i':
                        if (req.n_initrds == MAX_INITRDS)
                                return log_error("too many --initrd (at most %d)", MAX_INITRDS), 1;
                        initrd_paths[req.n_initrds++] = optarg;
                        break;
                case 'c':
                case 'r': {
                        /* After a --profile: that profile's own section. */
                        const char **slot = n_profiles == 0 ? (c == 'c' ? &cmdline_arg : &os_release_arg)
                                                            : &profile_args[n_profiles - 1][c == 'c' ? 1 : 2];
                        if (n_profiles > 0 && *slot)
                                return log_error("uki build: %s given twice for --profile #%zu",
                                                 c == 'c' ? "--cmdline" : "--os-release", n_profiles),
                                       1;
                        *slot = optarg;
                        break;
                }
                case 'p':
                        if (n_profiles == UKI_BUILD_PROFILES_MAX)
                                return log_error("uki build: too many --profile (at most %d)", UKI_BUILD_PROFILES_MAX),
                                       1;
                        profile_args[n_profiles++][0] = optarg;
                        break;
                case 'u': req.uname = optarg; break;
                case 'o': req.output_path = optarg; break;
                case VERITY_UKI_OPT_ROOTHASH:
                case VERITY_UKI_OPT_USRHASH:
                        /* Checked here for the option's own message (given twice, bad hex). */
                        if (verity_uki_option(&verity, c, optarg) < 0)
                                return 1;
                        if (c == VERITY_UKI_OPT_ROOTHASH)
                                req.roothash = optarg;
                        else
                                req.usrhash = optarg;
                        break;
                case 'S': req.sign_key_path = optarg; break;
                case 'C': req.sign_cert_path = optarg; break;
                case 'P': req.pcrpkey_path = optarg; break;
                case 'K': req.pcr_private_key_path = optarg; break;
                case 'B':
                        /* As ukify: the last --pcr-banks wins. */
                        pcr_options.bank_mask = 0;
                        if (pcr_bank_mask_parse(optarg, &pcr_options.bank_mask) < 0)
                                return 1;
                        break;
                case 'I': pcr_options.sign_initrd = true; break;
                case 'N': pcr_options.sign_initrd = false; break;
                case 'T': thin_root = optarg; break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("uki build: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("uki build: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (optind < argc)
                return log_error("uki build: unexpected argument %s", argv[optind]), 1;
        if (!req.linux_path)
                return log_error("uki build: --linux KERNEL is required"), 1;
        if (!req.output_path)
                return log_error("uki build: -o OUTPUT is required"), 1;
        /* As ukify refuses --sign-initrd-pcrs without a key: nothing would be signed. */
        if ((pcr_options.sign_initrd || pcr_options.bank_mask) && !req.pcr_private_key_path)
                return log_error("uki build: %s needs --pcr-private-key",
                                 pcr_options.sign_initrd ? "--sign-initrd-pcrs" : "--pcr-banks"),
                       1;
        if (!req.stub_path) {
                /* The keel stub for the kernel's architecture; a kernel for
                 * a machine keel has no stub for is refused here. */
                const struct keel_arch *arch;
                if (keel_arch_of_pe_file("kernel", req.linux_path, &arch) < 0)
                        return 1;
                if (!(req.stub_path = keel_shipped_file(arch->keel_binary)))
                        return log_error("uki build: the kernel is for %s and no --stub was given, but there is no "
                                         "%s next to the keel binary",
                                         arch->name, arch->keel_binary),
                               1;
        }
        {
                const struct named_input text_files[] = {
                        { "--cmdline", cmdline_arg && cmdline_arg[0] == '@' ? cmdline_arg + 1 : NULL },
                        { "--os-release", os_release_arg && os_release_arg[0] == '@' ? os_release_arg + 1 : NULL },
                };
                struct named_input all[2 + 3 * UKI_BUILD_PROFILES_MAX];
                size_t n = 0;
                static const char *const names[3] = { "--profile", "--cmdline", "--os-release" };

                for (size_t i = 0; i < ARRAY_SIZE(text_files); i++)
                        all[n++] = text_files[i];
                for (size_t i = 0; i < n_profiles; i++)
                        for (size_t k = 0; k < 3; k++)
                                if (profile_args[i][k] && profile_args[i][k][0] == '@')
                                        all[n++] = (struct named_input) { names[k], profile_args[i][k] + 1 };
                if (check_output_is_no_input(&req, all, n) < 0)
                        return 1;
        }
        if (pe_sign_check_options(req.sign_key_path, req.sign_cert_path) < 0)
                return 1;
        if (cmdline_arg && text_arg_load("--cmdline", cmdline_arg, &cmdline, &size) < 0)
                goto out;
        if (cmdline && strlen(cmdline) != size) {
                log_error("uki build: --cmdline has a NUL byte");
                goto out;
        }
        if (os_release_arg && text_arg_load("--os-release", os_release_arg, &os_release, &size) < 0)
                goto out;
        if (os_release && strlen(os_release) != size) {
                log_error("uki build: --os-release has a NUL byte");
                goto out;
        }
        req.cmdline = cmdline;
        req.os_release = os_release;
        for (size_t i = 0; i < n_profiles; i++) {
                static const char *const names[3] = { "--profile", "--cmdline", "--os-release" };
                for (size_t k = 0; k < 3; k++) {
                        if (!profile_args[i][k])
                                continue;
                        if (text_arg_load(names[k], profile_args[i][k], &profile_texts[i][k], &size) < 0)
                                goto out;
                        if (strlen(profile_texts[i][k]) != size) {
                                log_error("uki build: %s of --profile #%zu has a NUL byte", names[k], i + 1);
                                goto out;
                        }
                }
                profiles[i] = (struct uki_build_profile) { profile_texts[i][0], profile_texts[i][1],
                                                           profile_texts[i][2] };
        }
        req.profiles = profiles;
        req.n_profiles = n_profiles;

        if (thin_root) {
                /* The content is stored before the UKI that names it is
                 * written: a crash in between leaves unused content, never
                 * a UKI whose content is missing. */
                if (thin_ref_for_file(req.linux_path, "linux", &linux_ref) < 0 ||
                    thin_content_store(thin_root, req.linux_path, &linux_ref) < 0)
                        goto out;
                req.thin_linux = &linux_ref;
                if (req.n_initrds == 1 && initrd_paths[0])
                        thin_initrd_path = initrd_paths[0];
                if (req.n_initrds > 0 && !thin_initrd_path) {
                        if (concatenate_initrds(initrd_paths, req.n_initrds, &initrd_temp, initrd_temp_path) < 0)
                                goto out;
                        thin_initrd_path = initrd_temp_path;
                }
                if (thin_initrd_path) {
                        if (thin_ref_for_file(thin_initrd_path, "initrd", &initrd_ref) < 0)
                                goto out;
                        /* Initrds of 0 bytes in all: the fat UKI has no .initrd either. */
                        if (initrd_ref.size > 0) {
                                if (thin_content_store(thin_root, thin_initrd_path, &initrd_ref) < 0)
                                        goto out;
                                req.thin_initrd = &initrd_ref;
                                initrd_paths[0] = thin_initrd_path;
                                req.n_initrds = 1;
                        } else {
                                req.n_initrds = 0;
                        }
                }
        }
        r = uki_build(&req);
out:
        if (initrd_temp >= 0)
                close(initrd_temp);
        free(cmdline);
        free(os_release);
        for (size_t i = 0; i < UKI_BUILD_PROFILES_MAX; i++)
                for (size_t k = 0; k < 3; k++)
                        free(profile_texts[i][k]);
        return r < 0 ? 1 : 0;
}
