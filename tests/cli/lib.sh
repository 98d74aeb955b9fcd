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

# summary: the closing line and the exit status.
summary() {
        echo "$passes passed, $failures failed"
        [ "$failures" -eq 0 ]
}
