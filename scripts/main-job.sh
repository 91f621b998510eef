#!/usr/bin/env bash
# berth's main job, the README's first run (after scripts/setup.sh has built
# the tree): start berthd on a temporary data root, build a busybox image
# from the host's static busybox (no internet), run
#   busybox httpd -f -p 80 -h /www
# published on 127.0.0.1:<free port>, fetch the page from the host, print
# it, then remove the container, stop berthd and leave nothing behind (temp
# dirs, the container, its bridge and the bridge's iptables rules).
#
#   bash scripts/main-job.sh            # exits non-zero naming the step that failed
#
# Environment: BERTH_MAIN_KEEP=1 keeps the temp dir (logs) for debugging;
# BERTH_DISABLE_PLUGINS="plugins/registry,..." leaves built-in plugins out.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
berth_js="$repo/dist/core/bin/berth.js"
berthd_js="$repo/dist/core/bin/berthd.js"
node_bin="${NODE:-node}"
image="busybox:latest"
name="berth-main-web"
# Names of this run only (another main job or berthd may run at the same time):
# bridge btm<5 hex>, iptables chains BTM<5 HEX>…, veths btm<2 hex>…, cgroup parent bt-main-<pid>.
hex="$(printf '%05x' $(( ($$ * 7919 + RANDOM) % 1048576 )))"
bridge="btm$hex"
chain_prefix="BTM${hex^^}"
veth_prefix="btm${hex:0:2}"
cgroup_parent="bt-main-$$"
ip_forward_before="$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || true)"
page="hello from a berth container: busybox httpd on a published port"

step=""
work=""
execroot=""
berthd_pid=""

say() { printf 'main-job: %s\n' "$*"; }
fail() {
  printf 'main-job: FAILED at step "%s": %s\n' "$step" "$*" >&2
  if [[ -n "$work" && -f "$work/berthd.log" ]]; then
    printf 'main-job: last lines of berthd.log:\n' >&2
    tail -n 15 "$work/berthd.log" >&2
  fi
  exit 1
}
berth() { "$node_bin" "$berth_js" -H "unix://$work/berth.sock" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$berthd_pid" ]] && kill -0 "$berthd_pid" 2>/dev/null; then
    berth rm -f "$name" >/dev/null 2>&1
    kill -TERM "$berthd_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$berthd_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$berthd_pid" 2>/dev/null; then
      say "berthd did not stop on SIGTERM; killing it" >&2
      kill -KILL "$berthd_pid" 2>/dev/null
      rc=1
    fi
  fi
  # berthd leaves its bridge and chains in place when it stops (as dockerd leaves docker0):
  # remove ours — the rules naming the bridge, the jumps into our chains, the chains.
  for table in nat filter; do
    iptables -w -t "$table" -S 2>/dev/null | grep -E -- "(^| )$bridge( |$)|-j $chain_prefix" | grep -v -- "^-A $chain_prefix" \
      | sed 's/^-A /-D /' | while read -r rule; do eval "iptables -w -t $table $rule" 2>/dev/null; done
    for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk -v p="$chain_prefix" '$1 == "-N" && index($2, p) == 1 { print $2 }'); do
      iptables -w -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk -v p="$chain_prefix" '$1 == "-N" && index($2, p) == 1 { print $2 }'); do
      iptables -w -t "$table" -X "$chain" 2>/dev/null
    done
  done
  [[ -e "/sys/class/net/$bridge" ]] && ip link del "$bridge" 2>/dev/null
  [[ -n "$ip_forward_before" ]] && echo "$ip_forward_before" > /proc/sys/net/ipv4/ip_forward 2>/dev/null
  # the containers' parent cgroup, in every hierarchy (children first)
  for cg in /sys/fs/cgroup/*/"$cgroup_parent" /sys/fs/cgroup/"$cgroup_parent"; do
    [[ -d "$cg" ]] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  for dir in "$execroot" "$work"; do
    [[ -n "$dir" && -d "$dir" ]] || continue
    # anything still mounted below (container roots, netns), deepest first
    awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  done
  if [[ "${BERTH_MAIN_KEEP:-}" == 1 ]]; then
    say "kept $work for inspection"
  else
    [[ -n "$work" ]] && rm -rf "$work"
  fi
  [[ -n "$execroot" ]] && rm -rf "$execroot"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step="check the build"
[[ -f "$berth_js" && -f "$berthd_js" ]] || fail "$berth_js or $berthd_js missing: run 'npm run build' (or bash scripts/setup.sh --no-run) first"
[[ "$(id -u)" == 0 ]] || fail "berthd needs root (namespaces, mounts, cgroups, bridges)"
command -v "$node_bin" >/dev/null || fail "node not found"

step="prepare a temporary data root"
work="$(mktemp -d /tmp/berth-main-job.XXXXXX)" || fail "mktemp failed"
# The exec root holds <exec-root>/containers/<64 hex>/shim.sock: keep its path short.
execroot="$(mktemp -d /tmp/berth-run.XXXXXX)" || fail "mktemp failed"
mkdir -p "$work/data" "$work/www"
printf '%s\n' "$page" > "$work/www/index.html"
disabled=""
if [[ -n "${BERTH_DISABLE_PLUGINS:-}" ]]; then
  disabled="\"disable-plugins\": [$(printf '%s' "$BERTH_DISABLE_PLUGINS" | sed 's/[^,][^,]*/"&"/g')],"
fi
cat > "$work/daemon.json" <<EOF
{
  $disabled
  "data-root": "$work/data",
  "exec-root": "$execroot",
  "hosts": ["unix://$work/berth.sock"],
  "pidfile": "$work/berthd.pid",
  "bridge": "$bridge",
  "cgroup-parent": "$cgroup_parent",
  "plugin-options": {
    "networkdriver.bridge": { "defaultBridge": "$bridge", "chainPrefix": "$chain_prefix", "vethPrefix": "$veth_prefix" }
  }
}
EOF

step="start berthd"
"$node_bin" "$berthd_js" --config-file "$work/daemon.json" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
up=""
for _ in $(seq 1 200); do
  kill -0 "$berthd_pid" 2>/dev/null || fail "berthd exited during start-up"
  if berth version >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
[[ -n "$up" ]] || fail "berthd did not answer on unix://$work/berth.sock within 20 s"
say "berthd $(berth version --format '{{.Server.Version}}') is up on unix://$work/berth.sock (data root $work/data, exec root $execroot, bridge $bridge)"

step="build the busybox image"
[[ -x "$repo/scripts/make-busybox-image.sh" || -f "$repo/scripts/make-busybox-image.sh" ]] || fail "scripts/make-busybox-image.sh is missing"
bash "$repo/scripts/make-busybox-image.sh" "$work/busybox.tar" >/dev/null || fail "make-busybox-image.sh could not build a rootfs tar"
image_id="$(berth import --change 'CMD ["sh"]' "$work/busybox.tar" "$image" | tail -n 1)" || fail "berth import refused the rootfs tar"
say "imported $image ($image_id)"

step="pick a free port on 127.0.0.1"
port="$("$node_bin" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')" || fail "no free port"

step="run busybox httpd"
cid="$(berth run -d --name "$name" -p "127.0.0.1:$port:80" -v "$work/www:/www:ro" "$image" busybox httpd -f -p 80 -h /www)" \
  || fail "berth run -d could not start the container"
say "container ${cid:0:12} serves /www on 127.0.0.1:$port"

step="fetch the page from the host"
fetched="$("$node_bin" - "$port" <<'JS'
const http = require('node:http');
const port = Number(process.argv[2]);
let tries = 0;
const get = () => {
  http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d) => { body += d; });
    res.on('end', () => {
      if (res.statusCode !== 200) { console.error(`HTTP ${res.statusCode}`); process.exit(1); }
      process.stdout.write(body);
    });
  }).on('error', (err) => {
    if (++tries >= 100) { console.error(`GET http://127.0.0.1:${port}/: ${err.message}`); process.exit(1); }
    setTimeout(get, 100);
  });
};
get();
JS
)" || fail "could not GET http://127.0.0.1:$port/ (container logs: $(berth logs "$name" 2>&1 | tail -n 5))"
printf '%s\n' "$fetched"
[[ "$fetched" == "$page" ]] || fail "the page fetched differs from the page served"

step="remove the container"
berth rm -f "$name" >/dev/null || fail "berth rm -f $name failed"

step="stop berthd"
kill -TERM "$berthd_pid" || fail "cannot signal berthd"
for _ in $(seq 1 100); do kill -0 "$berthd_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$berthd_pid" 2>/dev/null && fail "berthd still running 10 s after SIGTERM"
wait "$berthd_pid" 2>/dev/null
berthd_pid=""
say "done: page fetched from a container through 127.0.0.1:$port; container removed, berthd stopped"
