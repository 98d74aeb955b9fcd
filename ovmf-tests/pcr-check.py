#!/usr/bin/env python3
# Independent PCR arithmetic for the pcr-* OVMF scenarios: written from the
# TCG and systemd documentation with hashlib, sharing no code with keel, so
# that the scenarios never take an expected value from keel itself.
#
#   pcr-check.py model UKI DIR
#       Extracts UKI's sections (objcopy) into DIR, checks that this model
#       gives what systemd-measure 252 computes for the sections it knows,
#       then prints PCR 11 before any phase ("BANK=HEX") for sha1 and sha256
#       with every section keel measures (.uname and .sbat as well).
#   pcr-check.py digests UKI DIR BANK
#       The same model as a list of event digests (one hex per line), for
#       replaying PCR 11 into a TPM with tpm2_pcrextend.
#   pcr-check.py eventlog YAML
#       Reads tpm2_eventlog's output; prints "EVENT pcr type sha1 sha256
#       description" for PCR 11/12 events and "REPLAY bank pcr hex" for the
#       PCR values tpm2_eventlog replayed.
#   pcr-check.py rawlog EVENTLOG PCR
#       Reads the binary TCG crypto-agile event log (what the kernel shows in
#       binary_bios_measurements); prints "TYPE-HEX SHA1 SHA256 DATA-HEX" for
#       every event of PCR, in log order (the event data whole: a tagged
#       event's tag, size and description).
#   pcr-check.py extend BANK HEX [DATA-HEX]...   extends HEX by H(DATA) each
#   pcr-check.py phase BANK HEX WORDS            systemd-pcrphase words
#   pcr-check.py utf16 TEXT                      hex of UTF-16LE TEXT + NUL
import hashlib
import os
import re
import subprocess
import sys

# systemd-stub's canonical order; systemd-measure 252 knows the marked ones.
SECTIONS = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat", ".pcrpkey"]
MEASURE_252 = {".linux": "linux", ".osrel": "osrel", ".cmdline": "cmdline", ".initrd": "initrd",
               ".splash": "splash", ".dtb": "dtb", ".pcrpkey": "pcrpkey"}
BANKS = ["sha1", "sha256"]


def extend(bank, value, data):
    return hashlib.new(bank, value + hashlib.new(bank, data).digest()).digest()


def chain(bank, sections):
    value = bytes(hashlib.new(bank).digest_size)
    for name, data in sections:
        if not data:
            continue  # systemd-stub skips empty sections
        value = extend(bank, value, name.encode() + b"\0")
        value = extend(bank, value, data)
    return value


def section_names(uki):
    out = subprocess.run(["objdump", "-h", uki], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"^\s*\d+\s+(\S+)", out, re.M))


def model(uki, outdir, digests_bank=None):
    os.makedirs(outdir, exist_ok=True)
    present = section_names(uki)
    sections = []
    for name in SECTIONS:
        if name not in present:
            continue
        path = os.path.join(outdir, name.lstrip("."))
        # objcopy writes VirtualSize bytes for a PE section: what the stub measures.
        subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name, uki, path], check=True)
        with open(path, "rb") as f:
            sections.append((name, f.read(), path))

    args = ["/usr/lib/systemd/systemd-measure", "calculate", "--phase=", "--bank=sha1", "--bank=sha256"]
    args += ["--%s=%s" % (MEASURE_252[n], p) for n, _, p in sections if n in MEASURE_252]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    oracle = dict(re.findall(r"^11:(\w+)=([0-9a-f]+)$", out, re.M))
    for bank in BANKS:
        mine = chain(bank, [(n, d) for n, d, _ in sections if n in MEASURE_252]).hex()
        if oracle.get(bank) != mine:
            sys.exit("model disagrees with systemd-measure (%s): %s vs %s" % (bank, mine, oracle.get(bank)))
    if digests_bank:
        for name, data, _ in sections:
            if data:
                print(hashlib.new(digests_bank, name.encode() + b"\0").hexdigest())
                print(hashlib.new(digests_bank, data).hexdigest())
        return
    for bank in BANKS:
        print("%s=%s" % (bank, chain(bank, [(n, d) for n, d, _ in sections]).hex()))


def eventlog(path):
    text = open(path).read()
    events, replay = text.split("\npcrs:\n", 1) if "\npcrs:\n" in text else (text, "")
    for block in re.split(r"\n- EventNum: ", events)[1:]:
        pcr = int(re.search(r"PCRIndex: (\d+)", block).group(1))
        if pcr not in (11, 12):
            continue
        etype = re.search(r"EventType: (\S+)", block).group(1)
        digests = dict(re.findall(r"AlgorithmId: (\w+)\n\s+Digest: \"([0-9a-f]+)\"", block))
        m = re.search(r'String: \|-\n\s+"(.*)"', block)
        desc = m.group(1).replace("\\0", "") if m else "?"
        print("EVENT %d %s %s %s %s" % (pcr, etype, digests.get("sha1"), digests.get("sha256"), desc))
    bank = None
    for line in replay.splitlines():
        m = re.match(r"^  (\w+):$", line)
        if m:
            bank = m.group(1)
            continue
        m = re.match(r"^\s+(\d+)\s*: 0x([0-9a-f]+)$", line)
        if m and bank:
            print("REPLAY %s %s %s" % (bank, m.group(1), m.group(2)))


def rawlog(path, want_pcr):
    import struct
    d = open(path, "rb").read()
    # The first event is in the SHA-1 log format: pcr, type, 20-byte digest,
    # size, then the Spec ID event naming the digests of all later events.
    size = struct.unpack_from("<I", d, 28)[0]
    spec = d[32:32 + size]
    sizes = {}
    for i in range(struct.unpack_from("<I", spec, 24)[0]):
        alg, n = struct.unpack_from("<HH", spec, 28 + 4 * i)
        sizes[alg] = n
    names = {0x4: "sha1", 0xb: "sha256"}
    off = 32 + size
    while off < len(d):
        pcr, etype, count = struct.unpack_from("<III", d, off)
        off += 12
        digests = {}
        for _ in range(count):
            alg = struct.unpack_from("<H", d, off)[0]
            digests[names.get(alg, alg)] = d[off + 2:off + 2 + sizes[alg]].hex()
            off += 2 + sizes[alg]
        n = struct.unpack_from("<I", d, off)[0]
        data = d[off + 4:off + 4 + n]
        off += 4 + n
        if pcr == want_pcr:
            print("%08x %s %s %s" % (etype, digests.get("sha1"), digests.get("sha256"), data.hex()))


def main():
    cmd = sys.argv[1]
    if cmd == "model":
        model(sys.argv[2], sys.argv[3])
    elif cmd == "digests":
        model(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "eventlog":
        eventlog(sys.argv[2])
    elif cmd == "rawlog":
        rawlog(sys.argv[2], int(sys.argv[3]))
    elif cmd == "extend":
        bank, value = sys.argv[2], bytes.fromhex(sys.argv[3])
        for d in sys.argv[4:]:
            value = extend(bank, value, bytes.fromhex(d))
        print(value.hex())
    elif cmd == "phase":
        bank, value = sys.argv[2], bytes.fromhex(sys.argv[3])
        for word in sys.argv[4].split(":"):
            if word:
                value = extend(bank, value, word.encode())
        print(value.hex())
    elif cmd == "utf16":
        print((sys.argv[2] + "\0").encode("utf-16-le").hex())
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
