#!/usr/bin/env python3
# An independent model of what systemd-stub hands the OS from beside a UKI
# (credentials, system and configuration extensions) and how it measures
# them, written from systemd's src/boot/stub.c and cpio.c (not from keel):
# for an ESP tree on the host, the /.extra tree the initrd must see, the
# cpio archive of each directory byte for byte, the PCR 12/13 events and
# values. Semantics "252" is systemd-stub 252 (credentials, global
# credentials, *.raw as sysexts, *.confext.raw included); "keel" is the
# current systemd-stub's set (confexts, \loader\extensions) with keel's
# limits (files per directory, sizes), which systemd-stub does not have.
#
#   sidecar-model.py events EVENTLOG.yaml   (PCR 12/13 events as events.txt has them)
#   sidecar-model.py ESP_DIR UKI_VOLUME_PATH SEMANTICS OUT_DIR
# writes OUT_DIR/tree.txt ("path mode sha256|dir"), OUT_DIR/events.txt
# ("pcr description sha256-of-archive"), OUT_DIR/pcrs.txt ("bank pcr hex")
# and OUT_DIR/archive-N.cpio.
import hashlib
import os
import re
import sys

CRED_MAX = 1024 * 1024 + 128 * 1024
EXT_MAX = 1 << 30

#        dir (None: UKI's .extra.d)  suffix          exclude        target                    dmode  fmode  pcr description                              max files  max size
KINDS_252 = [
    (None, ".cred", None, ".extra/credentials", 0o500, 0o400, 12, "Credentials initrd", None, None),
    ("loader/credentials", ".cred", None, ".extra/global_credentials", 0o500, 0o400, 12, "Global credentials initrd", None, None),
    (None, ".raw", None, ".extra/sysext", 0o555, 0o444, 13, "System extension initrd", None, None),
]
KINDS_KEEL = [
    (None, ".cred", None, ".extra/credentials", 0o500, 0o400, 12, "Credentials initrd", 128, CRED_MAX),
    ("loader/credentials", ".cred", None, ".extra/global_credentials", 0o500, 0o400, 12, "Global credentials initrd", 128, CRED_MAX),
    (None, ".raw", ".confext.raw", ".extra/sysext", 0o555, 0o444, 13, "System extension initrd", 32, EXT_MAX),
    ("loader/extensions", ".raw", ".confext.raw", ".extra/global_sysext", 0o555, 0o444, 13, "Global system extension initrd", 32, EXT_MAX),
    (None, ".confext.raw", None, ".extra/confext", 0o555, 0o444, 12, "Configuration extension initrd", 32, EXT_MAX),
    ("loader/extensions", ".confext.raw", None, ".extra/global_confext", 0o555, 0o444, 12, "Global configuration extension initrd", 32, EXT_MAX),
]


def hdr(ino, mode, nlink, size, namesize):
    f = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0]
    return b"070701" + b"".join(b"%08x" % v for v in f)


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


TRAILER = (b"070701" + b"00000000" * 4 + b"00000001" + b"00000000" * 6 + b"0000000B" + b"00000000"
           + b"TRAILER!!!\0\0\0\0")


def archive(target, dmode, fmode, files):
    out = b""
    ino = 1
    parts = target.split("/")
    for i in range(len(parts)):
        p = "/".join(parts[: i + 1]).encode()
        mode = dmode if i == len(parts) - 1 else 0o555
        out += pad(hdr(ino, 0o040000 | mode, 1, 0, len(p) + 1) + p + b"\0")
        ino += 1
    for name, data in files:
        p = (target + "/" + name).encode()
        out += pad(hdr(ino, 0o100000 | fmode, 1, len(data), len(p) + 1) + p + b"\0")
        out += pad(data)
        ino += 1
    assert len(out) % 4 == 0
    return out + TRAILER


def utf16_key(name):
    # systemd's strcmp16: UTF-16 code units (names are ASCII here anyway)
    b = name.encode("utf-16-le")
    return [int.from_bytes(b[i:i + 2], "little") for i in range(0, len(b), 2)]


def listing(path, suffix, exclude, keel):
    if not os.path.isdir(path):
        return []
    names = []
    for n in os.listdir(path):
        full = os.path.join(path, n)
        if n.startswith(".") or os.path.isdir(full):
            continue
        if not n.lower().endswith(suffix) or (exclude and n.lower().endswith(exclude)):
            continue
        if any(ord(c) > 0x7F for c in n) or len(n) > 255:
            continue
        if keel and any(ord(c) < 0x20 or ord(c) == 0x7F for c in n):
            continue
        names.append(n)
    return sorted(names, key=utf16_key)


def eventlog(path):
    """PCR 12 and 13 events of a tpm2_eventlog YAML: "pcr type description sha256"."""
    text = open(path).read().split("\npcrs:\n", 1)[0]
    for block in re.split(r"\n- EventNum: ", text)[1:]:
        pcr = int(re.search(r"PCRIndex: (\d+)", block).group(1))
        if pcr not in (12, 13):
            continue
        etype = re.search(r"EventType: (\S+)", block).group(1)
        digests = dict(re.findall(r"AlgorithmId: (\w+)\n\s+Digest: \"([0-9a-f]+)\"", block))
        m = re.search(r'String: \|-\n\s+"(.*)"', block)
        desc = m.group(1).replace("\\0", "") if m else "?"
        print("%d %s %s %s" % (pcr, etype, desc, digests.get("sha256")))


def main():
    if sys.argv[1] == "events":
        return eventlog(sys.argv[2])
    esp, uki, sem, out = sys.argv[1:5]
    keel = sem == "keel"
    kinds = KINDS_KEEL if keel else KINDS_252
    os.makedirs(out, exist_ok=True)
    uki = uki.strip("/\\").replace("\\", "/")
    if keel:
        # systemd-stub 257's rule: "NAME+LEFT[-DONE].EXT" has its files in
        # NAME.EXT.extra.d (the counter as the Boot Loader Specification
        # defines it: the last '+' before the last '.').
        uki = re.sub(r"\+\d+(-\d+)?(\.[^./]*)$", r"\2", uki)
    extra_d = os.path.join(esp, uki + ".extra.d")
    pcr = {b: {12: bytes(hashlib.new(b).digest_size), 13: bytes(hashlib.new(b).digest_size)} for b in ("sha1", "sha256")}
    tree, events = {}, []
    total = 0
    for n, (d, suffix, exclude, target, dmode, fmode, index, desc, max_files, max_size) in enumerate(kinds):
        names = listing(extra_d if d is None else os.path.join(esp, d), suffix, exclude, keel)
        if max_files is not None:
            names = names[:max_files]
        if not names:
            continue
        files = []
        for name in names:
            data = open(os.path.join(extra_d if d is None else os.path.join(esp, d), name), "rb").read()
            if max_size is not None and (len(data) > max_size or total + len(data) > (1 << 30)):
                continue
            total += len(data)
            files.append((name, data))
        a = archive(target, dmode, fmode, files)
        open(os.path.join(out, "archive-%d.cpio" % n), "wb").write(a)
        events.append("%d EV_IPL %s %s" % (index, desc, hashlib.sha256(a).hexdigest()))
        for b in pcr:
            pcr[b][index] = hashlib.new(b, pcr[b][index] + hashlib.new(b, a).digest()).digest()
        parts = target.split("/")
        for i in range(1, len(parts)):  # /.extra itself is not listed
            tree["/" + "/".join(parts[: i + 1])] = "%o dir" % (dmode if i == len(parts) - 1 else 0o555)
        for name, data in files:
            tree["/" + target + "/" + name] = "%o %s" % (fmode, hashlib.sha256(data).hexdigest())
    with open(os.path.join(out, "tree.txt"), "w") as f:
        for p in sorted(tree):
            f.write("%s %s\n" % (p, tree[p]))
    with open(os.path.join(out, "events.txt"), "w") as f:
        f.write("".join(e + "\n" for e in events))
    with open(os.path.join(out, "pcrs.txt"), "w") as f:
        for b in pcr:
            for i in (12, 13):
                f.write("%s %d %s\n" % (b, i, pcr[b][i].hex()))


main()
