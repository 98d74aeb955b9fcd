# Sourced-as-text by the sidecar scenarios into their initramfs /init
# addition: lists what the stub put below /.extra's subdirectories,
# "SIDECAR path mode sha256|dir" (the files of /.extra itself, .pcrsig,
# .osrel..., are not sidecars); ends the script when there is no /.extra.
[ -d /.extra ] || exit 0
find /.extra | sort | while read -r p; do
        [ "$p" = /.extra ] && continue
        [ -f "$p" ] && [ "$(dirname "$p")" = /.extra ] && continue
        if [ -d "$p" ]; then
                echo "SIDECAR $p $(stat -c %a "$p") dir"
        else
                echo "SIDECAR $p $(stat -c %a "$p") $(sha256sum <"$p" | cut -d' ' -f1)"
        fi
done
