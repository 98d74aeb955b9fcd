#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the host-tools fuzzers (fuzz-pe-append,
fuzz-pcr-sign, fuzz-esp) in the input formats their headers describe. PE
images come from make-pe-corpus.py's Image class; keys from `openssl
genpkey` (so rerunning changes the key seeds, not their kind).

    tests/fuzz/make-host-corpus.py [CORPUS_DIR]

CORPUS_DIR defaults to tests/fuzz/corpus next to this script. Every seed
stays below 8 KiB."""

import importlib.util
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SEED = 8 * 1024

_spec = importlib.util.spec_from_file_location("make_pe_corpus", os.path.join(HERE, "make-pe-corpus.py"))
pe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pe)
Image = pe.Image

# ---- fuzz-pe-append --------------------------------------------------------
# header: stub length (u16), section mask (u16; bit 15: huge .linux), huge
# extra in 4 KiB units (u32), nine small section sizes (u8 each).
ALL_SMALL = 0x01FF


def pe_append_input(stub, kernel, mask=ALL_SMALL, huge=0, sizes=(24, 19, 10, 0, 0, 0, 0, 0, 16)):
    assert len(sizes) == 9
    return struct.pack("<HHI9B", len(stub), mask, huge, *sizes) + stub + kernel


def tiny_kernel():
    """An EFI-stub-kernel-shaped PE: what uki-build.c's check_kernel wants."""
    return pe.small([(".text", b"\xc3" * 8)]).build()


def stub_sections():
    return [(".text", b"\xc3" * 16), (".reloc", b"\0" * 12), (".sbat", pe.SBAT)]


def pe_append_seeds():
    out = {}
    kernel = tiny_kernel()
    stub = Image(stub_sections()).build()  # FileAlignment 0x200, as the writer requires
    out["stub-all-sections"] = pe_append_input(stub, kernel)
    out["stub-linux-only"] = pe_append_input(stub, kernel, mask=0)
    out["stub-empty-kernel"] = pe_append_input(stub, b"", mask=0x0003)
    out["stub-huge-kernel"] = pe_append_input(stub, kernel, mask=0x8000 | 0x0003, huge=0x0003FFFF)
    out["stub-huge-overflow"] = pe_append_input(stub, kernel, mask=0x8000, huge=0xFFFFFFFF)
    out["stub-many-sections-padding"] = pe_append_input(stub, kernel, sizes=(255,) * 9)
    # Section table ends at the header boundary: adding sections grows the headers.
    full = Image([(".s%d" % i, b"\x01" * 4) for i in range(8)], section_alignment=0x2000)
    out["stub-headers-full"] = pe_append_input(full.build(), kernel, sizes=(7,) * 9)
    # No room to grow: the first section starts right after the headers.
    tight = Image([(".s%d" % i, b"\x02" * 4) for i in range(8)], section_alignment=0x200)
    out["stub-no-header-room"] = pe_append_input(tight.build(), kernel, sizes=(7,) * 9)
    # A debug directory whose entry points at file data: moved with the headers.
    dbg = Image([(".text", b"\xc3" * 8), (".data", b"\0" * 64), (".rdata", b"RSDS" + b"\1" * 28)] +
                [(".p%d" % i, b"") for i in range(5)])
    entry = struct.pack("<IIHHIIII", 0, 0, 0, 0, 2, 32, dbg.sections[2]["va"], dbg.sections[2]["raw"])
    dbg.patch(dbg.sections[1]["raw"], "<28s", entry)
    dbg.directories[6] = (dbg.sections[1]["va"], 28)
    out["stub-debug-directory"] = pe_append_input(dbg.build(), kernel, sizes=(7,) * 9)
    # Signed stub (certificate table after the sections) and a COFF symbol table pointer.
    signed = Image(stub_sections())
    data_end = len(signed.build())
    cert = struct.pack("<IHH", 0x28, 0x0200, 0x0002) + b"\x30\x82" + b"\x5a" * 30
    signed.trailer = cert
    signed.directories[4] = (data_end, len(cert))
    signed.patch(pe.FILE_HEADER + 8, "<I", data_end)
    signed.patch(pe.FILE_HEADER + 12, "<I", 1)
    out["stub-signed-symbols"] = pe_append_input(signed.build(), kernel)
    # .bss-like section: memory without file data; SizeOfImage past the sections.
    bss = Image([(".text", b"\xc3"), (".bss", b"")])
    bss.sections[1]["vsize"] = 0x3000
    bss.image_size += 0x3000
    out["stub-bss"] = pe_append_input(bss.build(), kernel)
    # Stubs uki-build.c refuses but the writer takes: already a UKI; no data directories.
    out["stub-already-uki"] = pe_append_input(Image(stub_sections() + [(".linux", b"MZ")]).build(), kernel)
    out["stub-no-data-dirs"] = pe_append_input(Image(stub_sections(), n_dirs=0).build(), kernel)
    # Alignments at the limits the writer accepts.
    out["stub-file-alignment-256"] = pe_append_input(
        Image([(".text", b"\xc3")], file_alignment=0x100).build(), kernel)
    return out


# ---- fuzz-pcr-sign ---------------------------------------------------------
def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def keys(tmp):
    def gen(name, *opts):
        path = os.path.join(tmp, name)
        openssl("genpkey", *opts, "-out", path)
        return path

    def pub(path):
        return openssl("pkey", "-in", path, "-pubout")

    k = {}
    rsa = gen("rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    other = gen("other.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    small = gen("small.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
    ec = gen("ec.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    k["rsa"] = open(rsa, "rb").read()
    k["rsa-traditional"] = openssl("pkey", "-in", rsa, "-traditional")
    k["rsa-pub"] = pub(rsa)
    k["rsa-pub-pkcs1"] = openssl("rsa", "-in", rsa, "-RSAPublicKey_out")
    k["other-pub"] = pub(other)
    k["small"] = open(small, "rb").read()
    k["small-pub"] = pub(small)
    k["ec"] = open(ec, "rb").read()
    k["ec-pub"] = pub(ec)
    k["rsa-encrypted"] = openssl("pkey", "-in", rsa, "-aes128", "-passout", "pass:secret")
    return k


def uki_image():
    return pe.small(pe.uki_sections()).build()


def pcr_sign_seeds():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        k = keys(tmp)
    for name in ("rsa-pub", "rsa-pub-pkcs1", "small-pub", "ec-pub", "rsa"):
        out["public-" + name] = b"\x00" + k[name]
    out["public-garbage-armor"] = b"\x00-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
    out["private-rsa"] = b"\x01" + k["rsa"]
    out["private-rsa-traditional"] = b"\x01" + k["rsa-traditional"]
    out["private-rsa-with-pub"] = b"\x01" + k["rsa"] + b"\x00" + k["rsa-pub"]
    out["private-rsa-wrong-pub"] = b"\x01" + k["rsa"] + b"\x00" + k["other-pub"]
    out["private-small"] = b"\x01" + k["small"]
    out["private-ec"] = b"\x01" + k["ec"]
    out["private-encrypted"] = b"\x01" + k["rsa-encrypted"]
    uki = uki_image()
    out["predict-sha256"] = b"\x02\x02" + uki
    out["predict-all-banks"] = b"\x02\x0f" + uki
    out["predict-no-linux"] = b"\x02\x01" + pe.small(pe.stub_sections()).build()
    out["predict-truncated"] = b"\x02\x08" + uki[:-7]
    # bank, flags (bit 0: ukify's initrd group), phase NUL, policy reference NUL, UKI
    for bank in range(4):
        out["sign-bank%d" % bank] = b"\x03" + bytes([bank, 0]) + b"enter-initrd:leave-initrd\x00\x00" + uki
    out["sign-empty-phase"] = b"\x03\x01\x00\x00\x00" + uki
    out["sign-policyref"] = b"\x03\x01\x00enter-initrd\x00luks-root\x00" + uki
    out["sign-initrd-group"] = b"\x03\x03\x01enter-initrd:leave-initrd\x00\x00" + uki
    out["sign-initrd-group-repeat"] = b"\x03\x01\x01enter-initrd\x00initrd\x00" + uki
    out["sign-policyref-not-utf8"] = b"\x03\x01\x01ready\x00\xc0\xaf\x01\x00" + uki
    out["strings-banks"] = b"\x04sha1,sha256,SHA2-384,sha512\x00enter-initrd::leave-initrd:"
    out["strings-unknown-bank"] = b"\x04md5,,sha256\x00:::"
    out["strings-banks-spaces"] = b"\x04sha384 sha512,\tsha1,\x00initrd"
    out["strings-policyref-unicode"] = b"\x04sha256\x00\xc3\xbcber \"ref\"\\/"
    return out


# ---- fuzz-esp --------------------------------------------------------------
SEP = b"\n===\n"


def esp_input(loader_conf, files):
    return loader_conf + b"".join(SEP + path + b"\n" + content for path, content in files)


def esp_uki(osrel, cmdline=b"quiet", machine=0x8664):
    sections = pe.stub_sections() + [(".osrel", osrel), (".cmdline", cmdline), (".linux", b"MZ" + b"\0" * 14)]
    return pe.small(sections, machine=machine).build()


def thin_ref(digit, size, suffix):
    """A .tlinux/.tinitrd text naming /EFI/keel/content/<digit x 64>.<suffix>."""
    digest = digit * 64
    return b"%s %d /EFI/keel/content/%s.%s\n" % (digest, size, digest, suffix)


def esp_seeds():
    out = {}
    conf = b"timeout 3\ndefault os-*\neditor no\nconsole-mode max\nkeel-watchdog-sec 60\n"
    entry = b"title OS %s\nversion %s\nsort-key os\nmachine-id 0123456789abcdef0123456789abcdef\n" \
            b"linux /vmlinuz\ninitrd /initrd.img\noptions root=LABEL=root quiet\n"
    out["type1-two-entries"] = esp_input(conf, [
        (b"vmlinuz", b"kernel"), (b"initrd.img", b"cpio"),
        (b"loader/entries/os-1.0.conf", entry % (b"1.0", b"1.0")),
        (b"loader/entries/os-2.0+3-1.conf", entry % (b"2.0", b"2.0")),
    ])
    out["type1-missing-files"] = esp_input(b"", [
        (b"loader/entries/a.conf", b"title A\nlinux /missing\n"),
        (b"loader/entries/b.conf", b"title B\nlinux /../outside\n"),
        (b"loader/entries/c.conf", b"title C\nefi \\EFI\\tools\\shell.efi\narchitecture x64\n"),
        (b"EFI/tools/shell.efi", b"MZ"),
    ])
    out["mixed-case-paths"] = esp_input(b"", [
        (b"Loader/Entries/Upper.CONF", b"title Upper\nlinux \\VMLINUZ\n"),
        (b"vmlinuz", b"k"),
        (b"efi/linux/os.EFI", esp_uki(b'ID=os\nVERSION_ID=1\nPRETTY_NAME="OS 1"\n')),
    ])
    uki = esp_uki(b'ID=os\nIMAGE_VERSION=2\nPRETTY_NAME="OS 2"\n', b"root=LABEL=root ro\0trailing")
    out["type2-ukis"] = esp_input(b"timeout menu-force\n", [
        (b"EFI/Linux/os-2+0.efi", uki),
        (b"EFI/Linux/os-1.efi", esp_uki(b"NAME=OS\n")),
        (b"EFI/Linux/arm.efi", esp_uki(b"ID=arm\n", machine=0xAA64)),
        (b"EFI/Linux/no-osrel.efi", pe.small(pe.stub_sections() + [(".linux", b"MZ")]).build()),
        (b"EFI/Linux/broken.efi", uki[:300]),
    ])
    out["xbootldr"] = esp_input(b"default xb*\n", [
        (b"X:loader/entries/xb-1.conf", b"title On XBOOTLDR\nlinux /vmlinuz\n"),
        (b"X:vmlinuz", b"k"),
        (b"loader/entries/esp-1.conf", b"title On ESP\nlinux /vmlinuz\n"),
        (b"X:EFI/Linux/xb.efi", esp_uki(b"ID=xb\n")),
    ])
    many = [(b"vmlinuz", b"k")] + [(b"loader/entries/e%d+%d.conf" % (i, i % 3), b"title E%d\nversion %d\nlinux /vmlinuz\n" % (i, i))
                                   for i in range(9)]
    out["over-capacity"] = esp_input(b"timeout 0\n", many)
    out["loader-conf-only"] = b"timeout menu-hidden\ndefault \"quoted\"\nauto-entries yes\nauto-firmware no\n" \
                              b"secure-boot-enroll force\nunknown-key value\n"
    out["loader-conf-respelled"] = esp_input(b"", [(b"LOADER/LOADER.CONF", b"timeout 7\n")])
    # Thin UKIs started by Type #1 entries (`efi`, `linux` with '\\'), a
    # multi-profile one whose profile names its own kernel (keel install's
    # GC must keep what every one of them names).
    rescue = pe.small(pe.stub_sections() + [(".osrel", b"ID=rescue\n"), (".tlinux", thin_ref(b"a", 16, b"linux")),
                                            (".tinitrd", thin_ref(b"b", 4, b"initrd"))]).build()
    profiles = pe.small(pe.stub_sections() + [(".osrel", b"ID=p\n"), (".tlinux", thin_ref(b"c", 16, b"linux")),
                                              (".profile", b"ID=one\n"), (".tlinux", thin_ref(b"d", 16, b"linux"))]).build()
    out["type1-thin-ukis"] = esp_input(b"", [
        (b"EFI/rescue/rescue.efi", rescue),
        (b"loader/entries/rescue.conf", b"title Rescue\nefi /EFI/rescue/rescue.efi\n"),
        (b"loader/entries/rescue-2.conf", b"title Rescue 2\nlinux \\EFI\\RESCUE\\RESCUE.EFI\n"),
        (b"X:EFI/Linux/profiles.efi", profiles),
        (b"X:loader/entries/p.conf", b"title P\nefi /EFI/Linux/profiles.efi\n"),
    ])
    return out


def write(outdir, seeds):
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(seeds.items()):
        if len(data) > MAX_SEED:
            sys.exit("seed %s is %d bytes, more than %d" % (name, len(data), MAX_SEED))
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), outdir))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(os.path.join(corpus, "fuzz-pe-append"), pe_append_seeds())
    write(os.path.join(corpus, "fuzz-pcr-sign"), pcr_sign_seeds())
    write(os.path.join(corpus, "fuzz-esp"), esp_seeds())


if __name__ == "__main__":
    main()
