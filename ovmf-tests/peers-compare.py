#!/usr/bin/env python3
# The differential comparison of issue 21: one boot of an ESP by keel
# (loader + stub) against the same boot by systemd-boot + systemd-stub
# (262), as facts. A fact is "KIND KEY" -> value, collected from what the
# booted system reported (kernel command line, EFI variables, the /.extra
# tree, PCR values, the event log parsed from its TCG2 binary form here,
# bootctl status/list run in the guest) and from the ESP after the boot.
# Every fact present on either side must be equal on both, unless the table
# DIFFERENCES below names it:
#   deliberate  keel differs on purpose: both sides must match the named
#               values (a difference that disappears fails too, so the
#               table and the README stay true);
#   volatile    differs from boot to boot (times, random seeds): present on
#               both sides, value not compared;
#   own         the UKI's own bytes (its stub's .sbat, its signed policy):
#               each side must equal what the scenario computed for its own
#               UKI with the peers' tools (EXPECT files);
#   defect N / feature
#               issue 21 is changing keel here: the check is the one that
#               holds after the change (equal), and a failure names it.
# Any other difference fails as unknown.
#
#   peers-compare.py compare BOOT KEEL_WORK SD_WORK   (each WORK has report.log,
#                    eventlog.bin, esp-after/ and optionally expect.txt)
#   peers-compare.py facts WORK                        (prints the facts)
#   peers-compare.py entries LABEL KEEL_ENTRIES.json ESP VERSION=BOOTCTL_LIST.json...
#                    (keel entries --json against bootctl --json=short list)
#   peers-compare.py readme README.md                  (every deliberate
#                    difference has its row in the README's table)
#   peers-compare.py authenticode PE                   (its Authenticode SHA-256)
#   peers-compare.py section PE NAME N                 (the N-th section NAME, raw)
import hashlib
import json
import os
import re
import struct
import sys

# ---------------------------------------------------------------- PE files
# Read here with the PE/COFF specification's layout, not with keel's code,
# for the values a scenario expects of each flavour's own UKI.


def pe_layout(data):
    """(checksum offset, security directory entry offset, SizeOfHeaders, sections)."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not a PE image")
    nsec, optsize = struct.unpack_from("<H", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
    opt = pe + 24
    magic = struct.unpack_from("<H", data, opt)[0]
    dirs = opt + (112 if magic == 0x20B else 96)
    sections = []
    for i in range(nsec):
        s = opt + optsize + 40 * i
        name = data[s:s + 8].rstrip(b"\0").decode("ascii", "replace")
        vsize, _, rsize, rptr = struct.unpack_from("<IIII", data, s + 8)
        sections.append((name, vsize, rsize, rptr))
    return opt + 64, dirs + 4 * 8, struct.unpack_from("<I", data, opt + 60)[0], sections


def authenticode_sha256(path):
    """The Authenticode digest the firmware extends PCR 4 with for an image."""
    data = open(path, "rb").read()
    checksum, secdir, headers, sections = pe_layout(data)
    cert_size = struct.unpack_from("<I", data, secdir + 4)[0]
    h = hashlib.sha256()
    h.update(data[:checksum])
    h.update(data[checksum + 4:secdir])
    h.update(data[secdir + 8:headers])
    done = headers
    for _, _, rsize, rptr in sorted((s for s in sections if s[2]), key=lambda s: s[3]):
        h.update(data[rptr:rptr + rsize])
        done += rsize
    if len(data) > done + cert_size:
        h.update(data[done:len(data) - cert_size])
    return h.hexdigest()


def section(path, name, index):
    """The INDEX-th (from 0) section NAME: its VirtualSize bytes, as the stub uses them."""
    data = open(path, "rb").read()
    found = [s for s in pe_layout(data)[3] if s[0] == name]
    _, vsize, rsize, rptr = found[index]
    return data[rptr:rptr + min(vsize, rsize)]


# ---------------------------------------------------------------- facts


def report_lines(work):
    with open(os.path.join(work, "report.log"), "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r", "").split("\n")


def block(lines, begin, end_prefix):
    """The lines between BEGIN and the line starting with END_PREFIX."""
    out, inside = [], False
    for line in lines:
        if line == begin:
            inside, out = True, []
        elif inside and line.startswith(end_prefix):
            return out, line[len(end_prefix):].strip()
        elif inside:
            out.append(line)
    return None, None


def bootctl_status_facts(lines, facts):
    """bootctl status: "section/key" = value; a feature list as one fact
    per feature ("section/Features/NAME" = yes|no)."""
    section, key = "-", None
    for line in lines:
        if not line.strip():
            continue
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            section, key = line.rstrip()[:-1], None
            continue
        m = re.match(r"^\s*([A-Za-z0-9 $()/_.-]+?): (.*)$", line)
        if m and not line.startswith(" " * 16):
            key, value = m.group(1).strip(), m.group(2).strip()
        elif key is not None:
            value = line.strip()
        else:
            continue
        feature = re.match(r"^([✓✗+-]) (.*)$", value)
        if key == "Features" and feature:
            facts["bootctl-status %s/Features/%s" % (section, feature.group(2))] = \
                "yes" if feature.group(1) in "✓+" else "no"
            continue
        k = "bootctl-status %s/%s" % (section, key)
        facts[k] = facts[k] + " | " + value if k in facts else value


def bootctl_list_facts(lines, facts):
    entry = None
    for line in lines + [""]:
        m = re.match(r"^\s*([a-z -]+): (.*)$", line)
        if not line.strip():
            entry = None
        elif m and m.group(1) == "type":
            entry = {"type": m.group(2)}
        elif m and entry is not None:
            entry[m.group(1)] = m.group(2)
            if m.group(1) == "id":
                ident = m.group(2).split()[0]
                entry["_id"] = ident
                facts["bootctl-list %s/type" % ident] = entry["type"]
                for k, v in entry.items():
                    if not k.startswith("_") and k != "type":
                        facts["bootctl-list %s/%s" % (ident, k)] = v
            elif "_id" in entry:
                facts["bootctl-list %s/%s" % (entry["_id"], m.group(1))] = m.group(2)


def utf16z(data):
    text = data.decode("utf-16-le", "replace")
    return text.split("\0", 1)[0]


def text_of(data):
    """Event text: UTF-16 (systemd's, keel's) or ASCII (Linux's), up to its NUL."""
    if len(data) >= 2 and len(data) % 2 == 0 and all(b == 0 for b in data[1::2][:8]):
        return utf16z(data)
    return data.split(b"\0", 1)[0].decode("ascii", "replace")


def event_description(etype, data):
    if etype == 0xD:  # EV_IPL
        return "'%s'" % text_of(data)
    if etype == 0x6 and len(data) >= 8:  # EV_EVENT_TAG: id, size, data
        tid, size = struct.unpack_from("<II", data)
        return "tag %08x '%s'" % (tid, text_of(data[8:8 + size]))
    if etype in (0x80000001, 0x80000002, 0x800000E0) and len(data) >= 32:  # EFI variables
        n = struct.unpack_from("<Q", data, 16)[0]
        return "var %s" % data[32:32 + 2 * n].decode("utf-16-le", "replace")
    if etype in (0x3, 0x80000007, 0x5):  # separator, action, ASCII actions
        return "'%s'" % data.decode("ascii", "replace")
    return "data %s" % hashlib.sha256(data).hexdigest()[:16]


EVENT_TYPES = {0x0: "EV_PREBOOT_CERT", 0x1: "EV_POST_CODE", 0x3: "EV_NO_ACTION", 0x4: "EV_SEPARATOR",
               0x5: "EV_ACTION", 0x6: "EV_EVENT_TAG", 0x7: "EV_S_CRTM_CONTENTS", 0x8: "EV_S_CRTM_VERSION",
               0xA: "EV_NONHOST_CODE", 0xD: "EV_IPL", 0x80000001: "EV_EFI_VARIABLE_DRIVER_CONFIG",
               0x80000002: "EV_EFI_VARIABLE_BOOT", 0x80000003: "EV_EFI_BOOT_SERVICES_APPLICATION",
               0x80000004: "EV_EFI_BOOT_SERVICES_DRIVER", 0x80000006: "EV_EFI_GPT_EVENT",
               0x80000007: "EV_EFI_ACTION", 0x80000008: "EV_EFI_PLATFORM_FIRMWARE_BLOB",
               0x8000000A: "EV_EFI_PLATFORM_FIRMWARE_BLOB2", 0x800000E0: "EV_EFI_VARIABLE_AUTHORITY"}


def eventlog_facts(path, facts):
    """Each event of the TCG2 (crypto-agile) log: "event PCR TYPE DESCRIPTION[#N]" = sha256.
    Keyed by description rather than position, so one extra event is one
    difference, not a shifted tail."""
    if not os.path.exists(path) or os.path.getsize(path) < 32:
        return
    b = open(path, "rb").read()
    o = 32 + struct.unpack_from("<I", b, 28)[0]
    n = struct.unpack_from("<I", b, 32 + 24)[0]
    sizes = {}
    for i in range(n):
        alg, size = struct.unpack_from("<HH", b, 32 + 28 + 4 * i)
        sizes[alg] = size
    seen = {}
    while o + 12 <= len(b):
        pcr, etype, count = struct.unpack_from("<III", b, o)
        p = o + 12
        sha256 = None
        for _ in range(count):
            alg = struct.unpack_from("<H", b, p)[0]
            if alg == 0xB:
                sha256 = b[p + 2:p + 2 + sizes[alg]].hex()
            p += 2 + sizes[alg]
        esize = struct.unpack_from("<I", b, p)[0]
        data = b[p + 4:p + 4 + esize]
        o = p + 4 + esize
        if etype == 0x80000003:  # an image the firmware loaded: named by its Authenticode digest
            key = "event %d EV_EFI_BOOT_SERVICES_APPLICATION image %s" % (pcr, sha256)
            facts[key] = "measured"
            continue
        key = "event %d %s %s" % (pcr, EVENT_TYPES.get(etype, "0x%x" % etype), event_description(etype, data))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += " #%d" % seen[key]
        facts[key] = sha256


def esp_facts(root, facts):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            facts["esp-file /" + os.path.relpath(path, root)] = "file"


def collect(work):
    lines = report_lines(work)
    facts = {"report complete": "yes" if "KEEL-REPORT-END" in lines else "no"}
    for line in lines:
        m = re.match(r"^(CMDLINE|SECUREBOOT|TPM)=(.*)$", line)
        if m:
            facts[m.group(1).lower()] = m.group(2)
        m = re.match(r"^EFIVAR ([A-Za-z0-9]+)=(.*)$", line)
        if m:
            facts["efivar " + m.group(1)] = m.group(2)
        m = re.match(r"^EXTRA-DIR mode=(\d+)$", line)
        if m:
            facts["extra /.extra"] = "%s dir" % m.group(1)
        m = re.match(r"^EXTRA (\S+) mode=(\d+) sha256=(\w+)$", line)
        if m:
            facts["extra /.extra/" + m.group(1)] = "%s %s" % (m.group(2), m.group(3))
        m = re.match(r"^SIDECAR (\S+) (\d+) (\w+)$", line)
        if m:
            facts["extra " + m.group(1)] = "%s %s" % (m.group(2), m.group(3))
        m = re.match(r"^PCR (sha1|sha256) (\d+)=(\w+)$", line)
        if m:
            facts["pcr %s %s" % (m.group(1), m.group(2).rjust(2))] = m.group(3).lower()
    for line in lines:
        m = re.match(r"^BOOTCTL-(status|list)-STDERR (\d+) (.*)$", line)
        if m:
            facts["bootctl-%s stderr %s" % (m.group(1), m.group(3))] = m.group(2)
    status, rc = block(lines, "BOOTCTL-status-BEGIN", "BOOTCTL-status-END")
    if status is not None:
        facts["bootctl-status rc"] = rc
        bootctl_status_facts(status, facts)
    listing, rc = block(lines, "BOOTCTL-list-BEGIN", "BOOTCTL-list-END")
    if listing is not None:
        facts["bootctl-list rc"] = rc
        bootctl_list_facts(listing, facts)
    eventlog_facts(os.path.join(work, "eventlog.bin"), facts)
    if os.path.isdir(os.path.join(work, "esp-after")):
        esp_facts(os.path.join(work, "esp-after"), facts)
    return facts


def expectations(work):
    path = os.path.join(work, "expect.txt")
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                out[k] = v
    return out


# ---------------------------------------------------------------- the table

class Diff:
    """A named difference: which facts (KEY regex, BOOTS or all), what it is
    (KIND: deliberate, open = found here and not in issue 21's list, defect
    N / feature = issue 21 is changing keel, volatile, derived, own), and how
    it is checked (CHECK: equal, match = each side matches its regex or is
    absent for None, expect = each side equals its EXPECT file, present =
    on both sides, differ = on both sides and different, none = explained by
    other facts)."""

    def __init__(self, name, kind, key, check, keel=None, sd=None, boots=None):
        self.name, self.kind, self.key, self.check = name, kind, re.compile(key), check
        self.keel, self.sd, self.boots = keel, sd, boots

    def applies(self, boot, key):
        return (self.boots is None or boot in self.boots) and self.key.search(key)


ANY = r"."
D2 = "profile entries"
D3 = "bootctl lists thin UKIs"
D4 = ".initrd measured as given"
DIFFERENCES = [
    # What keel is.
    Diff("identity: LoaderInfo, StubInfo", "deliberate", r"^efivar (LoaderInfo|StubInfo)$", "match",
         keel=r"^keel \d", sd=r"^systemd-(boot|stub) \d"),
    Diff("identity: LoaderInfo, StubInfo", "deliberate", r"^bootctl-status Current (Boot Loader|Stub)/Product$",
         "match", keel=r"^keel \d", sd=r"^systemd-(boot|stub) \d"),
    Diff("identity: the boot binaries (PCR 4)", "own", r"^event 4 EV_EFI_BOOT_SERVICES_APPLICATION image ", "expect"),
    Diff("the UKI's own bytes: its stub's .sbat", "own", r"^event 11 EV_IPL '\.sbat' #2$", "expect"),
    Diff("the UKI's own bytes: its signed PCR 11 policy", "own", r"^extra /\.extra/tpm2-pcr-signature\.json$", "expect"),
    Diff("PCR 11 = systemd-measure 262 of the flavour's own UKI", "own", r"^pcr \w+ 11$", "expect",
         boots={"uki", "old", "t1uki"}),
    Diff("thin UKIs: kernel and initrd once in \\EFI\\keel\\content", "deliberate", r"^esp-file /EFI/keel/content/",
         "match", keel=ANY, sd=None),
    Diff("feature bits: one fact per feature (bootctl status)", "derived", r"^efivar (Loader|Stub)Features$", "none"),
    Diff("loader.conf's PCR 5 event: the file's bytes", "own", r"^event 5 EV_EVENT_TAG tag f5bc582a 'loader\.conf'$",
         "expect"),
    Diff("the firmware's PCR 4, 10 follow from their events (and IMA's boot_aggregate)", "derived",
         r"^pcr \w+ +(4|10)$", "none"),
    Diff("loader timestamps", "deliberate", r"^efivar LoaderTime(Init|Menu|Exec)USec$", "match", keel=r"^\d+$", sd=None),
    Diff("no network boot: URLs", "deliberate",
         r"^bootctl-status Current (Boot Loader|Stub)/Features/(Loader|Stub) reports network boot URL$|"
         r"^bootctl-status Current Boot Loader/Features/Support Type #1 uki-url field$", "match", keel="^no$", sd="^yes$"),
    Diff("no shim protocols", "deliberate", r"^bootctl-status Current Boot Loader/Features/Retain SHIM protocols$",
         "match", keel="^no$", sd="^yes$"),
    Diff("Type #1 initrd=", "deliberate", r"^cmdline$", "match", boots={"type1"},
         keel=r"^console=ttyS0 loglevel=1 panic=-1 keel\.test=type1 keel\.smbios=boot$",
         sd=r"^initrd=\\[0-9a-f]{32}\\[^ ]+\\initrd console=ttyS0 loglevel=1 panic=-1 keel\.test=type1 keel\.smbios=boot$"),
    Diff("Type #1 initrd=", "deliberate", r"^event 12 EV_IPL 'console=", "match", boots={"type1"}, keel=ANY, sd=None),
    Diff("Type #1 initrd=", "deliberate", r"^event 12 EV_IPL 'initrd=", "match", boots={"type1"}, keel=None, sd=ANY),
    Diff("Type #1 initrd=", "deliberate", r"^event 9 EV_EVENT_TAG tag 8f3b22ed 'LOADED_IMAGE::LoadOptions'$",
         "differ", boots={"type1"}),
    Diff("Type #1 initrd=", "deliberate", r"^pcr \w+ +(9|12)$", "none", boots={"type1"}),
    Diff("the UKI's own bytes: the initrd holds its signed PCR 11 policy (PCR 9)", "own",
         r"^event 9 EV_EVENT_TAG tag 8f3b22ec 'Linux initrd'$|^pcr \w+ +9$", "none", boots={"uki", "old", "t1uki"}),
    # Found by this comparison, not in issue 21's list: keel reports what it measured.
    Diff("StubPcrInitRDSysExts/ConfExts for global extensions only", "deliberate",
         r"^efivar StubPcrInitRD(SysExts|ConfExts)$", "match", keel=r"^1[23]$", sd=None, boots={"old", "t1uki"}),
    Diff("StubPcrKernelParameters without a UKI's own sidecars", "deliberate", r"^efivar StubPcrKernelParameters$",
         "match", keel=r"^12$", sd=None, boots={"t1uki"}),
    # Found by this comparison and implemented since: the checks as they hold now.
    Diff("firmware keyboard layout", "feature",
         r"^bootctl-status Current Boot Loader/(Features/Loader reports firmware keyboard layout|Keyboard Layout)$|"
         r"^efivar LoaderKeyboardLayout$", "equal"),
    # Issue 21's defects: the checks as they hold once fixed.
    Diff(D3, "defect 3", r"^bootctl-(list|status) stderr Parsed PE file .* is not a UKI\.$", "equal"),
    Diff(D2, "defect 2", r"^efivar (LoaderEntries|LoaderEntrySelected)$|^bootctl-list |"
         r"^bootctl-status Current Boot Loader/(Current Entry|Features/Support Type #1 uki field)$", "equal"),
    Diff(D2, "defect 2", r"^event 12 EV_IPL '@\d+'$", "equal"),
    Diff(D2, "defect 2", r"^(cmdline|efivar StubProfile|extra /\.extra/.*|pcr \w+ +(9|12|13)|event (9|11|12|13) .*)$",
         "equal", boots={"uki"}),
    Diff(D4, "defect 4", r"^event 11 EV_IPL '\.initrd' #2$", "equal", boots={"old"}),
    # Issue 21's missing features: the checks as they hold once keel has them.
    Diff("SMBIOS measured into PCR 1", "feature", r"^event 1 EV_EVENT_TAG tag \w+ 'smbios:|^pcr \w+ +1$|"
         r"^efivar LoaderPcrSMBIOS$|^bootctl-status Current (Boot Loader|Stub)/Features/(Loader|Stub) measures SMBIOS",
         "equal"),
    Diff("LoaderTpm2ActivePcrBanks", "feature", r"^efivar LoaderTpm2ActivePcrBanks$|"
         r"^bootctl-status Current Boot Loader/Features/Loader reports active TPM2 PCR banks$", "equal"),
    Diff("StubDevicePartUUID, StubImageIdentifier", "feature", r"^efivar Stub(DevicePartUUID|ImageIdentifier)$|"
         r"^bootctl-status Current Stub/(Partition|Stub|Features/Stub reports stub partition information)$", "equal"),
    Diff("the stub's own random seed", "feature",
         r"^bootctl-status Current Stub/Features/Support for passing random seed to OS$", "equal"),
    Diff("drop-in drivers", "feature", r"^bootctl-status Current Boot Loader/Features/Load drop-in drivers$", "equal"),
    Diff("menu-disabled", "feature", r"^bootctl-status Current Boot Loader/Features/Menu can be disabled$", "equal"),
    Diff("LoaderInfo marker for bootctl", "feature", r"^bootctl-status Available Boot Loaders on ESP/File$", "match",
         keel=r"/EFI/BOOT/BOOTX64\.EFI \(keel \d", sd=r"/EFI/BOOT/BOOTX64\.EFI \(systemd-boot \d"),
]

# ---------------------------------------------------------------- compare


def show(v):
    return "(absent)" if v is None else "'%s'" % (v if len(v) <= 100 else v[:97] + "...")


def check(rule, key, kv, sv, ek, es):
    """Problems with one fact under RULE (None: no rule, must be equal)."""
    how = "equal" if rule is None else rule.check
    if how == "equal":
        return [] if kv == sv else ["keel %s, systemd %s" % (show(kv), show(sv))]
    if how == "none":
        return []
    if how == "present":
        return [] if kv is not None and sv is not None else ["keel %s, systemd %s" % (show(kv), show(sv))]
    if how == "differ":
        return [] if kv is not None and sv is not None and kv != sv else ["keel %s, systemd %s" % (show(kv), show(sv))]
    if how == "expect":
        return ["%s has %s, its own files give %s" % (side, show(v), show(e.get(key)))
                for side, v, e in (("keel", kv, ek), ("systemd", sv, es)) if v != e.get(key)]
    if how == "match":
        bad = []
        for side, v, want in (("keel", kv, rule.keel), ("systemd", sv, rule.sd)):
            if (v is not None) if want is None else (v is None or not re.search(want, v)):
                bad.append("%s %s (want %s)" % (side, show(v), "absent" if want is None else want))
        return bad
    raise ValueError(how)


def compare(boot, keel_work, sd_work):
    k, s = collect(keel_work), collect(sd_work)
    ek, es = expectations(keel_work), expectations(sd_work)
    failures, equal, named = 0, 0, {}
    for key in sorted(set(k) | set(s) | set(ek) | set(es)):
        kv, sv = k.get(key), s.get(key)
        rule = next((d for d in DIFFERENCES if d.applies(boot, key)), None)
        problems = check(rule, key, kv, sv, ek, es)
        if problems:
            what = "unknown difference" if rule is None else \
                "%s '%s'" % ("issue 21 " + rule.kind if rule.kind.startswith(("defect", "feature")) else rule.kind,
                             rule.name)
            for p in problems:
                print("  FAIL: %s: %s: %s" % (boot, what, key))
                print("        %s" % p)
            failures += 1
        elif rule is None or (rule.check == "equal" and kv == sv):
            equal += 1
        else:
            named.setdefault((rule.kind, rule.name), []).append(key)
    print("  ok: %s: %d facts equal" % (boot, equal))
    for (kind, name), keys in named.items():
        print("  ok: %s: %s difference '%s' (%d fact%s: %s)" % (
            boot, kind, name, len(keys), "" if len(keys) == 1 else "s",
            "; ".join(keys) if len(keys) <= 2 else "; ".join(keys[:2]) + "; ..."))
    return failures


def is_thin(path):
    """A keel thin UKI: it names its kernel (.tlinux) instead of carrying it."""
    try:
        return any(name == ".tlinux" for name, _, _, _ in pe_layout(open(path, "rb").read())[3])
    except (OSError, ValueError, TypeError, struct.error):
        return False


def entry_keys(listing, keel):
    """Each entry as (KEY, ID): KEY pairs keel's entries with bootctl's (a
    UKI's file name and profile number, a Type #1 entry's ID), whatever
    either calls it."""
    out, seen = [], {}
    for e in listing:
        if keel and e["type"] == "auto":
            continue
        path = e.get("path") or ""
        if (keel and e["type"] == "type2") or (not keel and e.get("type") == "type2"):
            name = os.path.basename(path)
            # bootctl 257's JSON has no profile number: a UKI's profiles come in order.
            profile = e.get("profile", seen.get(name, 0))
            seen[name] = profile + 1
            out.append((("type2", name, profile), e["id"], e))
        else:
            out.append((("type1", e["id"]), e["id"], e))
    return out


def uses_uki_key(path):
    try:
        return any(line.split()[:1] == ["uki"] for line in open(path))
    except OSError:
        return False


def entries(label, keel_json, esp, peers):
    """`keel entries` against bootctl VERSION's list on the same ESP: the
    same entries in the same order with the same default. Named: profile
    0's ID (bootctl calls it "X.efi@ID" where systemd-boot's LoaderEntries,
    which keel follows, says "X.efi"), thin UKIs bootctl does not list
    (defect 3), Type #1 `uki` entries bootctl 257 lists without a kernel
    (its `uki` key is 259's). Profile entries and Type #1 `uki` entries
    are issue 21's defect 2, fixed: a difference there fails under its name."""
    keel = entry_keys(json.load(open(keel_json)), True)
    failures = 0
    for spec in peers:
        version, path = spec.split("=", 1)
        try:
            theirs = entry_keys(json.load(open(path)), False)
        except (OSError, ValueError):
            print("  FAIL: %s: bootctl %s list gave no JSON (%s)" % (label, version, path))
            failures += 1
            continue
        problems, notes = [], []
        kmap, tmap = {k: (i, e) for k, i, e in keel}, {k: (i, e) for k, i, e in theirs}
        for k, i, e in keel:
            if k in tmap:
                continue
            if k[0] == "type2" and is_thin(os.path.join(esp, "EFI/Linux", k[1])):
                problems.append(("issue 21 defect 3 '%s'" % D3, "keel lists the thin UKI %s, bootctl %s does not" % (i, version)))
            else:
                problems.append(("unknown difference", "keel lists %s, bootctl %s does not" % (i, version)))
        for k, i, e in theirs:
            if k in kmap:
                continue
            if k[0] == "type1" and uses_uki_key(os.path.join(esp, "loader/entries", k[1])):
                if version == "257":
                    notes.append("bootctl 257 lists %s, whose `uki` key it does not know (259), as an entry without "
                                 "a kernel; keel hides such entries" % i)
                else:
                    problems.append(("issue 21 defect 2 '%s'" % D2, "bootctl %s lists the Type #1 uki entry %s, keel does not"
                                     % (version, i)))
            else:
                problems.append(("unknown difference", "bootctl %s lists %s, keel does not" % (version, i)))
        for k, i, e in keel:
            if k not in tmap or tmap[k][0] == i:
                continue
            if k[0] == "type2" and k[2] == 0 and tmap[k][0].split("@", 1)[0] == i:
                notes.append("bootctl %s calls profile 0 %s; systemd-boot 262's LoaderEntries and keel call it %s" %
                             (version, tmap[k][0], i))
            else:
                what = "issue 21 defect 2 '%s'" % D2 if k[0] == "type2" else "unknown difference"
                problems.append((what, "%s: keel calls it %s, bootctl %s %s" % (k[1], i, version, tmap[k][0])))
        order_k = [k for k, _, _ in keel if k in tmap]
        order_t = [k for k, _, _ in theirs if k in kmap]
        if order_k != order_t:
            problems.append(("unknown difference", "order: keel %s, bootctl %s %s" % (
                [kmap[k][0] for k in order_k], version, [tmap[k][0] for k in order_t])))
        kd = next((k for k, _, e in keel if e.get("is_default")), None)
        td = next((k for k, _, e in theirs if e.get("isDefault")), None)
        if kd != td:
            what = "issue 21 defect 2 '%s'" % D2 if td and "@" in tmap[td][0] else "unknown difference"
            problems.append((what, "default: keel %s, bootctl %s %s" % (
                kmap[kd][0] if kd else None, version, tmap[td][0] if td else None)))
        for what, p in problems:
            print("  FAIL: %s: %s: %s" % (label, what, p))
        failures += len(problems)
        for n in notes:
            print("  ok: %s: named difference: %s" % (label, n))
        if not problems:
            print("  ok: %s: keel entries = bootctl %s list: %d entries in the same order, default %s" % (
                label, version, len(order_k), kmap[kd][0] if kd else None))
    return failures


def readme(path):
    text = open(path).read()
    missing = [d.name for d in DIFFERENCES if d.kind == "deliberate" and "| %s |" % d.name not in text]
    for name in missing:
        print("  FAIL: the README's table of differences from systemd 262 lacks '%s'" % name)
    if not missing:
        print("  ok: every deliberate difference is in the README's table")
    return len(missing)


def main():
    cmd = sys.argv[1]
    if cmd == "facts":
        for k, v in sorted(collect(sys.argv[2]).items()):
            print("%s = %s" % (k, v))
        return 0
    if cmd == "compare":
        return 1 if compare(sys.argv[2], sys.argv[3], sys.argv[4]) else 0
    if cmd == "authenticode":
        print(authenticode_sha256(sys.argv[2]))
        return 0
    if cmd == "section":
        sys.stdout.buffer.write(section(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return 0
    if cmd == "entries":
        return 1 if entries(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]) else 0
    if cmd == "readme":
        return 1 if readme(sys.argv[2]) else 0
    sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main())
