#!/usr/bin/env python3
"""Differential test: `keel entries` (the loader's own common/ code) vs
`bootctl --esp-path=DIR list` (systemd 252) on many generated ESP trees:
the same entries, in the same order, with the same default. With --peers
BUILD, the same trees also against bootctl 262 (Debian sid) and 257
(Debian 13), run in scripts/debian-suite's trees of those suites; and then
some UKIs get profiles (systemd 257), judged by bootctl 262's rules only:
252 does not know profiles, and 257 keeps a UKI's profiles together where
262 sorts them among the other entries. bootctl 257/262 call profile 0
"X.efi@ID" while systemd-boot 262's LoaderEntries (and keel) call it
"X.efi": a named difference, read past here. Profile N > 0 is "X.efi@ID"
(the .profile's ID=) in 257/262; keel's "X.efi@N" is issue 21's defect 2.

keel deliberately differs in one case (documented): when bootctl's default
is an entry with no tries left while a good entry exists, keel picks the
first good entry matching the same rule instead. The expectation for that
case is derived from bootctl's own listing.

Usage: entries.py KEEL STUB [TREES [SEED]] [--peers BUILD]
Needs root (mounts a tmpfs: bootctl 252 insists on a mount point)."""
import fnmatch
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bootctl_list import bootctl_list, bootctl_lists  # noqa: E402  (tests/bootctl_list.py)

ARGS = sys.argv[1:]
PEERS_BUILD = None
if "--peers" in ARGS:
    i = ARGS.index("--peers")
    PEERS_BUILD = os.path.abspath(ARGS[i + 1])
    del ARGS[i:i + 2]
KEEL = os.path.abspath(ARGS[0])
STUB = os.path.abspath(ARGS[1])
TREES = int(ARGS[2]) if len(ARGS) > 2 else 60
SEED = int(ARGS[3]) if len(ARGS) > 3 else 1
# The peers' bootctl: (Debian suite, systemd version).
PEERS = [("sid", "262"), ("trixie", "257")]
rng = random.Random(SEED)
prng = random.Random(SEED + 1000)  # the profiles of the extra trees
PROFILES = ["ID=debug\nTITLE=Debugging\n", "ID=rescue\n", "TITLE=No ID\n"]

NAMES = ["fedora-6.1", "nixos-generation-12", "nixos-generation-9", "a", "b", "entry_1.2", "debian-6.1.0-56",
         "debian-6.1.0-9", "linux", "linux-lts", "z9", "1.10", "1.9~rc1", "1.0^post", "arch"]
COUNTERS = ["", "", "", "+3", "+0-3", "+1-2", "+03", "+3-", "+-1", "+0", "+2-0", "+10-1", "++2", "+1+2"]
SORT_KEYS = [None, None, "nixos", "fedora", "debian", "Nixos", "a-b"]
MACHINE_IDS = [None, None, "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]
VERSIONS = [None, "1.10", "1.9", "1.9~rc1", "1.0^post", "1.0", "6.1.0-56-amd64", "6.1.0-9-amd64", "2",
            "10", "1.0-1", "1.0-2", "abc", "1a"]
DEFAULTS = [None, None, "*", "nixos-*", "debian*", "*.efi", "*.conf", "[ab]*", "?.conf", "LINUX*", "z*",
            "nomatch", "*generation-1?*", "fedora-6.1.conf"]


def ensure_mount(path):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", path], check=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_type1(esp, used):
    name = rng.choice(NAMES)
    fname = name + rng.choice(COUNTERS) + ".conf"
    if fname.lower() in used:
        return
    used.add(fname.lower())
    lines = []
    if rng.random() < 0.9:
        lines.append(f"title {name.title()} entry")
    for key, pool in (("sort-key", SORT_KEYS), ("machine-id", MACHINE_IDS), ("version", VERSIONS)):
        v = rng.choice(pool)
        if v is not None:
            sep = rng.choice([" ", "  ", "\t"])
            lines.append(f"{key}{sep}{v}")
    kernel = f"/{name}/linux"
    write(esp + kernel, "kernel")
    if rng.random() < 0.2:
        lines.append(f"efi {kernel}")
    else:
        lines.append(f"linux {kernel}")
    lines.append(f"options root=/dev/sda quiet id={name}")
    if rng.random() < 0.3:
        lines.append("# a comment")
    rng.shuffle(lines)
    write(f"{esp}/loader/entries/{fname}", "\n".join(lines) + ("\n" if rng.random() < 0.8 else ""))


def quote(v):
    return rng.choice([v, f'"{v}"', f"'{v}'"])


# For UKIs, only counters that cannot leave a '+' in the ID: bootctl lists
# UKIs in readdir() order, so two IDs that compare equal as versions ("b.efi",
# "b+.efi") have no reproducible order.
UKI_COUNTERS = [c for c in COUNTERS if c.count("+") <= 1 and not c.endswith("-") and c != "+-1"]


def make_type2(esp, used, workdir, profile_tree=False):
    name = rng.choice(NAMES)
    fname = name + rng.choice(UKI_COUNTERS) + ".efi"
    if fname.lower() in used:
        return
    used.add(fname.lower())
    osrel = []
    for key, pool in (("PRETTY_NAME", [None, "Fancy OS 1", "NixOS 24.05"]), ("IMAGE_ID", [None, "nixos", "debian"]),
                      ("NAME", [None, "NixOS", "Debian"]), ("ID", [None, "nixos", "debian", "fedora"]),
                      ("IMAGE_VERSION", [None, "1.10", "1.9~rc1"]), ("VERSION", [None, "24.05 (Uakari)"]),
                      ("VERSION_ID", [None, "24.05", "12", "1.0^post"]), ("BUILD_ID", [None, "2024-01", "7"])):
        v = rng.choice(pool)
        if v is not None:
            osrel.append(f"{key}={quote(v)}")
    if not any(l.split("=")[0] in ("PRETTY_NAME", "IMAGE_ID", "NAME", "ID") for l in osrel):
        osrel.append("ID=fallback")
    osrel_path = os.path.join(workdir, "osrel")
    write(osrel_path, "\n".join(osrel) + "\n")
    out = f"{esp}/EFI/Linux/{fname}"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    profiles = []
    # Multi-profile UKIs (257) only in the trees bootctl 262 alone judges.
    if profile_tree and prng.random() < 0.6:
        profiles = [prng.choice(["ID=main\nTITLE=Main\n", "TITLE=Main\n"])]
        profiles += prng.sample(PROFILES, prng.randint(1, 2))
    args = []
    for n, text in enumerate(profiles):
        args += ["--profile", text] + (["--cmdline", f"quiet id={name} profile={n}"] if n else [])
    subprocess.run([KEEL, "uki", "build", "--stub", STUB, "--linux", STUB, "--cmdline", f"quiet id={name}",
                    "--os-release", "@" + osrel_path, *args, "-o", out], check=True)
    return bool(profiles)


def listing_entries(listing):
    """bootctl's entries as id, default, bad. bootctl 257/262 call profile 0
    of a multi-profile UKI "X.efi@ID (without profile: X.efi)"; systemd-boot
    262's LoaderEntries, and keel, call it "X.efi" (a named difference)."""
    out, files = [], set()
    for e in listing:
        ident = e["id"]
        m = re.match(r"^(\S+) \(without profile: (\S+)\)$", ident)
        if m:  # a UKI's first entry is its profile 0
            ident = m.group(1) if e.get("source") in files else m.group(2)
        files.add(e.get("source"))
        out.append({"id": ident, "default": e["default"], "bad": e.get("tries", "").startswith("0 left")})
    return out


def bootctl_list_entries(esp):
    return listing_entries(bootctl_list(esp))


def expected_default(entries, pattern):
    """bootctl's default, except where keel goes beyond it (see module doc)."""
    default = next((e for e in entries if e["default"]), None)
    if default is None or not default["bad"] or all(e["bad"] for e in entries):
        return default and default["id"]
    if pattern:
        for e in entries:
            if not e["bad"] and fnmatch.fnmatchcase(e["id"].lower(), pattern.lower()):
                return e["id"]
    return next(e["id"] for e in entries if not e["bad"])


def compare(tree, what, reference, pattern, keel_ids, keel_default, mnt):
    """One tree: keel's order and default against REFERENCE's; prints and
    returns 1 on a difference."""
    ref_ids = [e["id"] for e in reference]
    want_default = expected_default(reference, pattern)
    if keel_ids == ref_ids and keel_default == want_default:
        return 0
    print(f"FAIL tree {tree} (default pattern {pattern!r}):")
    if any("@" in i for i in ref_ids + keel_ids):
        print("  (profile entries: issue 21 defect 2 until keel names them X.efi@<.profile ID> as 257/262 do)")
    print(f"  {what} order:  {ref_ids}, default {want_default}")
    print(f"  keel order:     {keel_ids}, default {keel_default}")
    subprocess.run(["find", mnt, "-type", "f"])
    return 1


def main():
    failures = 0
    peer_failures = {version: 0 for _, version in PEERS}
    peer_trees = {version: 0 for _, version in PEERS}
    mnt = tempfile.mkdtemp(prefix="keel-esp-")
    work = tempfile.mkdtemp(prefix="keel-diff-")
    kept = {}  # tree -> (pattern, keel ids, keel default), for the peers
    ensure_mount(mnt)
    try:
        # The trees of the seed, then (with --peers) a third as many with multi-profile UKIs.
        for tree in range(TREES + (TREES // 3 if PEERS_BUILD else 0)):
            for child in os.listdir(mnt):
                shutil.rmtree(os.path.join(mnt, child))
            used = set()
            for _ in range(rng.randint(0, 7)):
                make_type1(mnt, used)
            profiled = False
            for _ in range(rng.randint(1 if tree >= TREES else 0, 4)):
                profiled = make_type2(mnt, used, work, tree >= TREES) or profiled
            pattern = rng.choice(DEFAULTS)
            if pattern:
                write(f"{mnt}/loader/loader.conf", f"timeout 3\ndefault {pattern}\n")
            keel = json.loads(subprocess.run([KEEL, "entries", "--esp", mnt, "--json"], capture_output=True,
                                             text=True, check=True).stdout)
            keel_ids = [e["id"] for e in keel if e["type"] != "auto"]
            keel_default = next((e["id"] for e in keel if e["is_default"]), None)
            if tree < TREES:  # (bootctl 252 does not know profiles)
                failures += compare(tree, "bootctl", bootctl_list_entries(mnt), pattern, keel_ids, keel_default, mnt)
            if PEERS_BUILD:
                shutil.copytree(mnt, os.path.join(work, "trees", "%04d" % tree), symlinks=True)
                kept["%04d" % tree] = (pattern, keel_ids, keel_default, profiled)
        for suite, version in PEERS if PEERS_BUILD else []:
            # Profile entries by 262's rules only (257 orders them otherwise).
            judged = {name: k for name, k in kept.items() if version == "262" or not k[3]}
            peer_trees[version] = len(judged)
            trees = {name: os.path.join(work, "trees", name) for name in judged}
            lists = bootctl_lists(sorted(trees.values()), ["--no-variables"], suite, PEERS_BUILD)
            for name, (pattern, keel_ids, keel_default, _) in sorted(judged.items()):
                peer_failures[version] += compare(int(name), f"bootctl {version}", listing_entries(lists[trees[name]]),
                                                  pattern, keel_ids, keel_default, trees[name])
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)
        shutil.rmtree(work)
    print(f"entries: {TREES - failures}/{TREES} trees agree with bootctl")
    for _, version in PEERS if PEERS_BUILD else []:
        print(f"entries: {peer_trees[version] - peer_failures[version]}/{peer_trees[version]} trees agree with "
              f"bootctl {version}")
    return 1 if failures or any(peer_failures.values()) else 0


sys.exit(main())
