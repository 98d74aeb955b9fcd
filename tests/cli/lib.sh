# Shared helpers for the CLI test scripts (sourced; $T is the script's
# scratch directory). Each case prints one PASS/FAIL line.

# need_build DIR: sets BUILD, KEEL and STUB (absolute), or stops the script.
need_build() {
        if [ $# -ne 1 ] || [ ! -d "$1" ]; then
                echo "usage: $0 BUILD_DIR" >&2
                exit 2
        fi
        BUILD=$(cd "$1" && pwd)
        KEEL=$BUILD/keel
        STUB=$BUILD/keelx64.efi
        for f in "$KEEL" "$STUB"; do
                [ -e "$f" ] || { echo "FAIL $f does not exist (run 'make all')"; exit 1; }
        done
}

# need_tools TOOL...: stops the script when one is missing.
need_tools() {
        for tool in "$@"; do
                command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed"; exit 1; }
        done
}

passes=0
failures=0
pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# run NAME CMD...: like check, for a CMD that explains its failure on
# stdout/stderr; that explanation is shown only when it fails.
run() {
        local name=$1 why
        shift
        if why=$("$@" 2>&1); then
                pass "$name"
        else
                fail "$name"
                [ -n "$why" ] && printf '%s\n' "$why" | head -n 20 | sed 's/^/    /'
        fi
}

check() { # check NAME CMD...
        local name=$1
        shift
        if "$@"; then pass "$name"; else fail "$name"; fi
}

# fails_cleanly OUTPUT CMD...: CMD fails cleanly — an exit status below
# 126, exactly one "keel: ..." line on stderr (left in $T/stderr), nothing
# on stdout — and leaves neither OUTPUT (when given) nor a temporary next to
# it (OUTPUT.keel-tmp-XXXXXX, .keel-*) behind. Otherwise sets WHY and returns 1.
fails_cleanly() {
        local out=$1 rc=0 dir leftovers
        shift
        dir=$(dirname "${out:-$T/x}")
        "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
        leftovers=$(find "$dir" -maxdepth 1 \( -name "$(basename "${out:-none}").*" -o -name '.keel-*' \) 2>/dev/null)
        if [ $rc -ne 0 ] && [ $rc -lt 126 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -q '^keel: ' "$T/stderr" &&
           [ ! -s "$T/stdout" ] && { [ -z "$out" ] || [ ! -e "$out" ]; } && [ -z "$leftovers" ]; then
                return 0
        fi
        WHY="rc=$rc, stderr: $(head -c 300 "$T/stderr"), stdout: $(head -c 200 "$T/stdout"), left: $leftovers"
        return 1
}

# expect_error NAME OUTPUT CMD...: one PASS/FAIL line for fails_cleanly.
expect_error() {
        local name=$1
        shift
        if fails_cleanly "$@"; then
                pass "$name ($(cat "$T/stderr"))"
        else
                fail "$name ($WHY)"
        fi
}

# expect_error_saying NAME OUTPUT TEXT CMD...: expect_error, and the one
# line contains TEXT (a fixed string).
expect_error_saying() {
        local name=$1 out=$2 text=$3
        shift 3
        if ! fails_cleanly "$out" "$@"; then
                fail "$name ($WHY)"
        elif ! grep -qF -- "$text" "$T/stderr"; then
                fail "$name (the line does not say \"$text\": $(cat "$T/stderr"))"
        else
                pass "$name ($(cat "$T/stderr"))"
        fi
}

# expect_error_untouched NAME FILE CMD...: like expect_error, for a CMD that
# is given FILE (an existing file, typically one of its inputs) as its
# output: FILE keeps its inode, contents and modification time, and no
# temporary (FILE.keel-tmp-XXXXXX) is left next to it.
expect_error_untouched() {
        local name=$1 file=$2 before leftovers
        shift 2
        cp "$file" "$T/untouched.copy"
        before=$(stat -L -c '%i %y' "$file")
        if ! fails_cleanly "" "$@"; then
                fail "$name ($WHY)"
                return
        fi
        leftovers=$(find "$(dirname "$file")" -maxdepth 1 -name "$(basename "$file").*" 2>/dev/null)
        if [ "$(stat -L -c '%i %y' "$file" 2>&1)" != "$before" ] || ! cmp -s "$file" "$T/untouched.copy" ||
           [ -n "$leftovers" ]; then
                fail "$name ($file was replaced or changed; left: $leftovers)"
        else
                pass "$name ($(cat "$T/stderr"))"
        fi
}

# pcrsig_eq_252 KEEL_JSON MEASURE_252_JSON [PUB.pem]: keel's signed PCR
# policy (a file, or a .pcrsig section padded with NULs) is systemd-measure
# 252's but for the signatures of the banks other than sha256: 252 signed
# those with the bank's own hash, keel signs every bank with SHA-256 as 262
# does (tests/cli/test-pcr-262.sh compares with 262 byte for byte); with
# PUB.pem, keel's signatures there must verify that way (openssl).
pcrsig_eq_252() {
        python3 - "$@" <<'EOF'
import base64, json, subprocess, sys, tempfile
keel = json.loads(open(sys.argv[1], "rb").read().rstrip(b"\0"))
m252 = json.load(open(sys.argv[2]))
pub = sys.argv[3] if len(sys.argv) > 3 else None
def strip(j):
    return {b: [{k: v for k, v in e.items() if b == "sha256" or k != "sig"} for e in es] for b, es in j.items()}
if strip(keel) != strip(m252) or list(keel) != list(m252):
    sys.exit("differs from systemd-measure 252 beyond the non-sha256 signatures")
with tempfile.TemporaryDirectory() as d:
    for b, es in keel.items():
        for e in es:
            if pub is None or b == "sha256":
                continue
            open(d + "/pol", "wb").write(bytes.fromhex(e["pol"]))
            open(d + "/sig", "wb").write(base64.b64decode(e["sig"]))
            subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", d + "/sig", d + "/pol"],
                           check=True, capture_output=True)
EOF
}

# section UKI NAME: the section's bytes (VirtualSize of them) as objcopy
# reads them ($T/section, $T/objcopy-out.efi are its scratch files).
section() {
        rm -f "$T/section"
        objcopy --dump-section "$2=$T/section" "$1" "$T/objcopy-out.efi" 2>/dev/null && cat "$T/section"
}

# pad4 FILE...: each file followed by zeros up to a multiple of 4 bytes (as
# initrds are concatenated in a UKI's .initrd).
pad4() {
        local f n
        for f; do
                cat "$f"
                n=$(( (4 - $(stat -c %s "$f") % 4) % 4 ))
                head -c "$n" /dev/zero
        done
}

# summary: the closing line and the exit status.
summary() {
        echo "$passes passed, $failures failed"
        [ "$failures" -eq 0 ]
}
