/* SPDX-License-Identifier: MIT */
/* keel uki build: appends UKI sections after a stub's image. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "host-tools/core/commands.h"
#include "common/cmdline.h"
#include "common/error.h"
#include "common/uki.h"
#include "common/utf.h"

#define STUB_MAX_SIZE (64u * 1024 * 1024)
#define MAX_INITRDS 64
#define MAX_PIECES (2 * MAX_INITRDS)

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
};

struct build_options {
        const char *stub_path;
        const char *linux_path;
        const char *initrd_paths[MAX_INITRDS];
        size_t n_initrds;
        const char *cmdline_arg;
        const char *os_release_arg;
        const char *uname_arg;
        struct verity_uki_options verity; /* --roothash, --usrhash */
        const char *sign_key_path;      /* --key/--cert: Authenticode-sign the UKI */
        const char *sign_cert_path;
        const char *pcrpkey_path;
        const char *pcr_private_key_path;
        const char *output_path;
};

struct build_inputs {
        uint8_t *stub;
        size_t stub_size;
        struct input_file kernel;
        struct input_file initrds[MAX_INITRDS];
        char *cmdline;
        size_t cmdline_size;
        char *os_release;
        size_t os_release_size;
        char uname[256];
        struct uki_pcr_signing pcr_signing;
        struct section_content sections[_UKI_SECTION_MAX];
        size_t n_sections;
};

/* The order sections take in the file: small metadata first, the kernel last. */
static const enum uki_section layout_order[] = {
        UKI_SECTION_OSREL,  UKI_SECTION_CMDLINE, UKI_SECTION_UNAME,  UKI_SECTION_SPLASH, UKI_SECTION_DTB,
        UKI_SECTION_PCRPKEY, UKI_SECTION_PCRSIG, UKI_SECTION_UCODE, UKI_SECTION_INITRD, UKI_SECTION_LINUX,
};

/* Every file the build reads, with the option that names it. */
#define MAX_INPUT_FILES (MAX_INITRDS + 10)
struct named_input {
        const char *option;
        const char *path;
};

static size_t list_input_files(const struct build_options *o, struct named_input *ret) {
        const struct named_input fixed[] = {
                { "--stub", o->stub_path },
                { "--linux", o->linux_path },
                { "--cmdline", o->cmdline_arg && o->cmdline_arg[0] == '@' ? o->cmdline_arg + 1 : NULL },
                { "--os-release", o->os_release_arg && o->os_release_arg[0] == '@' ? o->os_release_arg + 1 : NULL },
                { "--pcrpkey", o->pcrpkey_path },
                { "--pcr-private-key", o->pcr_private_key_path },
                { "--key", o->sign_key_path },
                { "--cert", o->sign_cert_path },
        };
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                if (fixed[i].path)
                        ret[n++] = fixed[i];
        for (size_t i = 0; i < o->n_initrds; i++)
                ret[n++] = (struct named_input) { "--initrd", o->initrd_paths[i] };
        return n;
}

/* The output replaces its path by rename, so -o naming an input (by any
 * name: a hard link or a symlink is the same file) would destroy the kernel,
 * stub or key the UKI was made from. An output that does not exist yet, or
 * an input that cannot be stat'ed (its reader reports that), is no clash. */
static int check_output_is_no_input(const struct build_options *o) {
        struct named_input inputs[MAX_INPUT_FILES];
        size_t n = list_input_files(o, inputs);
        struct stat out, st;

        if (stat(o->output_path, &out) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (stat(inputs[i].path, &st) < 0 || st.st_dev != out.st_dev || st.st_ino != out.st_ino)
                        continue;
                if (strcmp(inputs[i].path, o->output_path) == 0)
                        return log_error("uki build: -o %s is also the %s input; write the UKI to another file",
                                         o->output_path, inputs[i].option);
                return log_error("uki build: -o %s is the same file as the %s input %s; write the UKI to another file",
                                 o->output_path, inputs[i].option, inputs[i].path);
        }
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: keel uki build [--stub STUB] --linux KERNEL [--initrd FILE]... [--cmdline TEXT|@FILE]\n"
                "                      [--os-release TEXT|@FILE] [--uname VERSION] " VERITY_UKI_USAGE " -o OUTPUT\n"
                "Packs a kernel, initrds, command line and os-release into a Unified Kernel Image.\n"
                "STUB defaults to keelx64.efi next to the keel binary.\n"
                "Line breaks in the command line become spaces; one the kernel would cut (2048 bytes\n"
                "or more, --roothash/--usrhash included) is refused.\n"
                "--key KEY --cert CERT signs the UKI for Secure Boot (Authenticode), as keel sign does.\n"
                "--pcrpkey PUB.pem embeds a public key (.pcrpkey); --pcr-private-key KEY.pem also signs\n"
                "the image's PCR 11 for systemd-cryptenroll --tpm2-public-key (.pcrsig).\n");
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

/* keelx64.efi installed next to the keel binary is the default stub. */
static const char *default_stub_path(void) {
        static char path[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("keelx64.efi"));
        char *slash;

        if (n <= 0)
                return NULL;
        path[n] = '\0';
        slash = strrchr(path, '/');
        if (!slash)
                return NULL;
        strcpy(slash + 1, "keelx64.efi");
        return access(path, R_OK) == 0 ? path : NULL;
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

static int check_stub(const struct build_inputs *in, const char *path, struct pe_image *ret_pe) {
        struct uki_sections found;
        int r;

        if (pe_file_check_size("stub", path, in->stub_size) < 0)
                return -1;
        r = pe_parse_headers(in->stub, in->stub_size, ret_pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(ret_pe, in->stub_size);
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
        if (pe.machine != stub_machine)
                return log_error("kernel %s: built for machine 0x%04x, the stub for 0x%04x", path, pe.machine,
                                 stub_machine);
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
        free(units);
        if (r == KEEL_E_CMDLINE_TOO_LONG)
                return log_error("uki build: the command line%s is %zu bytes, the kernel keeps at most %d",
                                 verity_words ? " with --roothash/--usrhash" : "", bytes, CMDLINE_KERNEL_MAX_BYTES - 1);
        if (r != KEEL_OK)
                return log_error("uki build: %s", keel_strerror(r));
        return 0;
}

static int load_cmdline(const struct build_options *o, struct build_inputs *in) {
        bool verity_words = o->verity.roothash[0] || o->verity.usrhash[0];

        if (o->cmdline_arg) {
                if (text_arg_load("--cmdline", o->cmdline_arg, &in->cmdline, &in->cmdline_size) < 0)
                        return -1;
                /* Lines become words; a file's final newline, folded to a
                 * space, goes with the other trailing whitespace. */
                in->cmdline_size = fold_line_breaks(in->cmdline, in->cmdline_size);
                in->cmdline_size = strip_trailing_whitespace(in->cmdline, in->cmdline_size);
        }
        if (verity_uki_extend_cmdline(&o->verity, &in->cmdline, &in->cmdline_size) < 0)
                return -1;
        return check_cmdline_reaches_kernel(in->cmdline, in->cmdline_size, verity_words);
}

static int load_inputs(const struct build_options *o, struct build_inputs *in) {
        struct pe_image stub_pe;
        struct section_content *s;

        if (read_file(o->stub_path, STUB_MAX_SIZE, &in->stub, &in->stub_size) < 0)
                return -1;
        if (check_stub(in, o->stub_path, &stub_pe) < 0)
                return -1;
        if (input_file_open(o->linux_path, &in->kernel) < 0)
                return -1;
        if (check_kernel(in, o->linux_path, stub_pe.machine) < 0)
                return -1;
        for (size_t i = 0; i < o->n_initrds; i++)
                if (input_file_open(o->initrd_paths[i], &in->initrds[i]) < 0)
                        return -1;
        if (load_cmdline(o, in) < 0)
                return -1;
        if (o->os_release_arg &&
            text_arg_load("--os-release", o->os_release_arg, &in->os_release, &in->os_release_size) < 0)
                return -1;
        if (o->uname_arg)
                snprintf(in->uname, sizeof(in->uname), "%s", o->uname_arg);
        else
                kernel_release_from_bzimage(&in->kernel, in->uname, sizeof(in->uname));
        if ((o->pcrpkey_path || o->pcr_private_key_path) &&
            uki_pcr_signing_prepare(o->pcrpkey_path, o->pcr_private_key_path, &in->pcr_signing) < 0)
                return -1;

        for (size_t k = 0; k < sizeof(layout_order) / sizeof(layout_order[0]); k++) {
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
                case UKI_SECTION_INITRD:
                        /* Concatenated cpio archives, each padded to 4 bytes as the kernel expects. */
                        s = add_section(in, UKI_SECTION_INITRD);
                        for (size_t i = 0; i < o->n_initrds; i++) {
                                add_file_piece(s, &in->initrds[i]);
                                add_piece(s, zeros, (4 - in->initrds[i].size % 4) % 4);
                        }
                        break;
                case UKI_SECTION_LINUX:
                        add_file_piece(add_section(in, UKI_SECTION_LINUX), &in->kernel);
                        break;
                case UKI_SECTION_PCRPKEY:
                        add_piece(add_section(in, UKI_SECTION_PCRPKEY), in->pcr_signing.pcrpkey,
                                  in->pcr_signing.pcrpkey_size);
                        break;
                case UKI_SECTION_PCRSIG:
                        /* A placeholder of the signed JSON's size; signed once the image is written. */
                        add_piece(add_section(in, UKI_SECTION_PCRSIG), in->pcr_signing.pcrsig_placeholder,
                                  in->pcr_signing.pcrsig_size);
                        break;
                default:
                        break;
                }
        }
        return 0;
}

static void free_inputs(struct build_inputs *in) {
        free(in->stub);
        input_file_close(&in->kernel);
        for (size_t i = 0; i < MAX_INITRDS; i++)
                input_file_close(&in->initrds[i]);
        free(in->cmdline);
        free(in->os_release);
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
        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &found);
        if (r == KEEL_OK && !uki_is_uki(&found))
                r = KEEL_E_UKI_NO_LINUX;
        free(head);
        if (r != KEEL_OK)
                return log_error("internal error: the UKI written does not parse: %s", keel_strerror(r));
        return 0;
}

static int write_uki(const struct build_options *o, struct build_inputs *in) {
        struct pe_new_section new_sections[_UKI_SECTION_MAX];
        struct pe_append_plan plan;
        struct atomic_file f;
        struct pe_checksum c;
        uint8_t checksum[4];
        int r;

        for (size_t i = 0; i < in->n_sections; i++) {
                snprintf(new_sections[i].name, sizeof(new_sections[i].name), "%s",
                         uki_section_name(in->sections[i].kind));
                new_sections[i].size = in->sections[i].size;
        }
        r = pe_append_plan(in->stub, in->stub_size, new_sections, in->n_sections, &plan);
        if (r != KEEL_OK)
                return log_error("cannot lay out the UKI: %s", keel_strerror(r));
        if (plan.dropped_signature)
                log_warning("stub %s is signed; the UKI needs a signature of its own", o->stub_path);

        if (atomic_file_open(o->output_path, &f) < 0) {
                pe_append_plan_free(&plan);
                return -1;
        }
        pe_checksum_init(&c);
        r = write_padded(&f, &c, plan.prefix, plan.prefix_size);
        for (size_t i = 0, k = 0; r == 0 && i < in->n_sections; i++) {
                const struct section_content *s = &in->sections[i];
                if (s->size == 0)
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
        if (r == 0)
                r = uki_pcr_signing_finish(&in->pcr_signing, f.fd, plan.file_size);
        if (r == 0)
                r = verify_output(&f, &plan);
        if (r == 0 && o->sign_key_path)
                r = pe_sign_output(&f, plan.file_size, o->sign_key_path, o->sign_cert_path);
        if (r == 0)
                r = atomic_file_commit(&f, 0644);
        atomic_file_abort(&f);
        pe_append_plan_free(&plan);
        return r;
}

int uki_build_main(int argc, char **argv) {
        static const struct option long_options[] = {
                { "stub", required_argument, NULL, 's' },    { "linux", required_argument, NULL, 'l' },
                { "initrd", required_argument, NULL, 'i' },  { "cmdline", required_argument, NULL, 'c' },
                { "os-release", required_argument, NULL, 'r' }, { "uname", required_argument, NULL, 'u' },
                { "output", required_argument, NULL, 'o' },  { "help", no_argument, NULL, 'h' },
                VERITY_UKI_LONG_OPTIONS,
                { "key", required_argument, NULL, 'S' },     { "cert", required_argument, NULL, 'C' },
                { "pcrpkey", required_argument, NULL, 'P' }, { "pcr-private-key", required_argument, NULL, 'K' },
                {},
        };
        struct build_options o = {};
        struct build_inputs *in;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
                switch (c) {
                case 's': o.stub_path = optarg; break;
                case 'l': o.linux_path = optarg; break;
                case 'i':
                        if (o.n_initrds == MAX_INITRDS)
                                return log_error("too many --initrd (at most %d)", MAX_INITRDS), 1;
                        o.initrd_paths[o.n_initrds++] = optarg;
                        break;
                case 'c': o.cmdline_arg = optarg; break;
                case 'r': o.os_release_arg = optarg; break;
                case 'u': o.uname_arg = optarg; break;
                case 'o': o.output_path = optarg; break;
                case VERITY_UKI_OPT_ROOTHASH:
                case VERITY_UKI_OPT_USRHASH:
                        if (verity_uki_option(&o.verity, c, optarg) < 0)
                                return 1;
                        break;
                case 'S': o.sign_key_path = optarg; break;
                case 'C': o.sign_cert_path = optarg; break;
                case 'P': o.pcrpkey_path = optarg; break;
                case 'K': o.pcr_private_key_path = optarg; break;
                case 'h': usage(stdout); return 0;
                case ':': return log_error("uki build: option %s needs a value", argv[optind - 1]), 1;
                default: return log_error("uki build: unknown option %s", argv[optind - 1]), 1;
                }
        }
        if (optind < argc)
                return log_error("uki build: unexpected argument %s", argv[optind]), 1;
        if (!o.linux_path)
                return log_error("uki build: --linux KERNEL is required"), 1;
        if (!o.output_path)
                return log_error("uki build: -o OUTPUT is required"), 1;
        if (!o.stub_path && !(o.stub_path = default_stub_path()))
                return log_error("uki build: no --stub given and no keelx64.efi next to the keel binary"), 1;
        if (check_output_is_no_input(&o) < 0)
                return 1;
        if (pe_sign_check_options(o.sign_key_path, o.sign_cert_path) < 0)
                return 1;

        /* The inputs hold a header buffer per file: megabytes, so not on the stack. */
        in = calloc(1, sizeof(*in));
        if (!in)
                return log_error("out of memory"), 1;
        in->kernel.fd = -1;
        for (size_t i = 0; i < MAX_INITRDS; i++)
                in->initrds[i].fd = -1;
        r = load_inputs(&o, in);
        if (r == 0)
                r = write_uki(&o, in);
        free_inputs(in);
        free(in);
        return r < 0 ? 1 : 0;
}
