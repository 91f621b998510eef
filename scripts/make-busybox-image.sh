#!/usr/bin/env bash
# Builds a root filesystem tar from the host's static busybox (Debian
# busybox-static) — the same layout as test/helpers/busybox-rootfs.ts — for
# `berth import` and the README's first run:
#
#   scripts/make-busybox-image.sh /tmp/busybox.tar [--gzip]
#   berth import /tmp/busybox.tar busybox:latest --change 'CMD ["sh"]'
#
# Never touches the network.
set -euo pipefail

out="${1:-}"
if [[ -z "$out" || "$out" == -h || "$out" == --help ]]; then
  echo "usage: $0 OUTPUT.tar [--gzip]" >&2
  exit 2
fi
gzip_it="${2:-}"
busybox="${BUSYBOX:-/bin/busybox}"
if [[ ! -x "$busybox" ]]; then
  echo "$0: $busybox not found: install busybox-static (apt-get install -y busybox-static)" >&2
  exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' && ldd "$busybox" >/dev/null 2>&1; then
  echo "$0: $busybox is dynamically linked; a container root needs the static one (busybox-static)" >&2
  exit 1
fi

root="$(mktemp -d /tmp/berth-busybox-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"

for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp root home var/www run; do
  mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] && continue
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
staff:x:50:
GROUP

tmp_out="$out.tmp.$$"
if [[ "$gzip_it" == --gzip ]]; then
  tar --numeric-owner --owner=0 --group=0 --sort=name -C "$root" -czf "$tmp_out" .
else
  tar --numeric-owner --owner=0 --group=0 --sort=name -C "$root" -cf "$tmp_out" .
fi
mv -f "$tmp_out" "$out"
echo "$out"
