#!/usr/bin/env bash
# Runs systemd/occlumesh.service under a real systemd and checks readiness, the socket, a client, reload, the
# bridge unit (occlumesh-bridge@.service) delivering OSC, watchdog restart of a hung process, and a graceful stop.
#
# Usage: scripts/systemd-integration.sh BINARY [HANG_FLAG]
#   BINARY     the daemon to run as /usr/local/bin/occlumeshd: the real one (.build/debug/occlumeshd) or the
#              lifecycle probe with synthetic frames (.build/debug/occlumesh-systemd-probe)
#   HANG_FLAG  arguments that make BINARY's pipeline stop making progress after about a second, for the
#              watchdog check. Probe default: --hang-after 1. occlumeshd default: --source of a clip whose
#              frame 30 is stamped 1000 s after frame 29, which --realtime pacing waits for: the pipeline
#              stalls, its heartbeat stops, and WATCHDOG=1 must stop with it.
#
# With the real daemon the service plays the first 20 s of ../shared/data/videos/d6.mp4 at its own pace
# (source.realtime), with the repository's models (models/orn.onnx + orn.json, models/ict-face-model.ocfm, the
# short-range detector); without them the script skips (77).
#
# systemd runs as PID 1 of a new PID and mount namespace (unshare), and is driven with nsenter + systemctl.
# That systemd shares the host's file systems, so it must not act on them as a booting system would: its
# tmpfiles service would empty the host's /tmp, its enabled services (databases, timers) would start on the
# host's data. So inside the namespace only:
#   - /etc is a copy in which every unit any *.wants directory pulls in is masked (journald excepted), no
#     host service is enabled, journald keeps its journal in memory, and an "occlumesh" user (in group
#     video), the unit and the config are installed;
#   - /tmp, /var/tmp, /run, /var/lib/systemd and /usr/local/bin are fresh tmpfs mounts (the last one holding
#     BINARY as /usr/local/bin/occlumeshd); mounts are private to the namespace.
# The scratch directory lives under the worktree's .build, not /tmp.
# Exits 0 when every check passes, 1 on a failed check, 77 (skip) when the machine cannot boot systemd so.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
binary=$(realpath "${1:?usage: scripts/systemd-integration.sh BINARY [HANG_FLAG]}")
real_daemon=false
[[ $(basename "$binary") == occlumeshd ]] && real_daemon=true
hang_flag=${2:-}

skip() { echo "systemd-integration: SKIP: $*" >&2; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to create namespaces"
for tool in unshare nsenter python3; do command -v $tool >/dev/null || skip "$tool not found"; done
[[ -x /lib/systemd/systemd ]] || skip "/lib/systemd/systemd not found (apt-get install systemd)"
python3 -c 'import numpy' 2>/dev/null || skip "python3 numpy not found (the check client needs it)"

mkdir -p .build
work=$(mktemp -d "$repo/.build/systemd-integration.XXXXXX")
unshare_pid=""
cleanup() {
    if [[ -n ${systemd_pid:-} ]]; then kill -KILL "$systemd_pid" 2>/dev/null || true; fi
    if [[ -n $unshare_pid ]]; then wait "$unshare_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The /etc the namespace sees.
cp -a /etc "$work/etc"
rm -rf "$work"/etc/systemd/system/*.wants
for unit in /usr/lib/systemd/system/*.wants/* /etc/systemd/system/*.wants/*; do
    name=$(basename "$unit")
    case $name in systemd-journald*) continue ;; esac
    ln -sfn /dev/null "$work/etc/systemd/system/$name"
done
echo "# none" > "$work/etc/fstab"
mkdir -p "$work/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$work/etc/systemd/journald.conf.d/volatile.conf"
getent group video >/dev/null || echo "video:x:44:" >> "$work/etc/group"
sed -i 's/^\(video:[^:]*:[^:]*:\)\(.*\)$/\1\2,occlumesh/; s/^\(video:[^:]*:[^:]*:\),/\1/' "$work/etc/group"
echo "occlumesh:x:990:" >> "$work/etc/group"
echo "occlumesh:x:990:990:occlumesh daemon:/nonexistent:/usr/sbin/nologin" >> "$work/etc/passwd"
[[ -f $work/etc/shadow ]] && echo "occlumesh:!:19000::::::" >> "$work/etc/shadow"
install -D -m 0644 systemd/occlumesh.service "$work/etc/systemd/system/occlumesh.service"
install -D -m 0644 config/occlumesh.toml "$work/etc/occlumesh/occlumesh.toml"
install -D -m 0755 "$binary" "$work/bin/occlumeshd"
# The bridge: the occlumesh built beside BINARY.
bridge_binary=$(dirname "$binary")/occlumesh
[[ -x $bridge_binary ]] || skip "$bridge_binary not found (the bridge unit's command)"
if $real_daemon; then
    # Models and clips the service user can read, and a config pointing at them.
    clip=../shared/data/videos/d6.mp4
    for file in "$clip" models/orn.onnx models/orn.json models/ict-face-model.ocfm models/face_detection_short_range.json \
        models/face_detection_short_range_occlusion.onnx; do
        [[ -f $file ]] || skip "$file not found (the real daemon needs the models and ../shared/data)"
    done
    command -v ffmpeg >/dev/null || skip "ffmpeg not found (cuts the test clips)"
    chmod 0755 "$work"
    install -d -m 0755 "$work/share"
    install -m 0644 -t "$work/share" models/orn.onnx models/orn.json models/ict-face-model.ocfm \
        models/face_detection_short_range.json models/face_detection_short_range_occlusion.onnx \
        models/face_detection_full_range.json models/face_detection_full_range.onnx
    ffmpeg -v error -i "$clip" -t 20 -an -c:v libx264 -pix_fmt yuv420p "$work/share/talk.mp4"
    ffmpeg -v error -i "$clip" -frames:v 60 -vf "setpts='if(gte(N,30),PTS+1000/TB,PTS)'" -fps_mode passthrough \
        -an -c:v libx264 -pix_fmt yuv420p "$work/share/stall.mp4"
    chmod 0644 "$work"/share/*.mp4
    sed -e "s|^input = .*|input = \"$work/share/talk.mp4\"|; s|^width = .*|width = 0|; s|^height = .*|height = 0|" \
        -e "s|^realtime = .*|realtime = true|; s|\"/usr/share/occlumesh/|\"$work/share/|" \
        config/occlumesh.toml > "$work/etc/occlumesh/occlumesh.toml"
    hang_flag=${hang_flag:---source $work/share/stall.mp4}
else
    hang_flag=${hang_flag:---hang-after 1}
fi
# The socket's group named as the service's own: the unit filters chown out, so the daemon must see it is already so.
sed -i 's/^group = .*/group = "occlumesh"/' "$work/etc/occlumesh/occlumesh.toml"

# The namespace's /dev: a copy of the host's (its own mounts bound back in) plus a camera node /dev/video0 (V4L2's
# major 81, group video) that no driver answers, so opening it fails with ENXIO once the sandbox lets it through.
unshare --pid --mount --fork --mount-proc /bin/bash -c "
    set -e
    mkdir -p '$work/dev'
    mount -t tmpfs -o mode=0755 tmpfs '$work/dev'
    cp -a --one-file-system /dev/. '$work/dev/' 2>/dev/null || true
    for directory in \$(findmnt -rn -o TARGET | grep '^/dev/'); do
        mkdir -p '$work'\$directory
        mount --rbind \$directory '$work'\$directory
    done
    [ -e '$work/dev/video0' ] || { mknod -m 0660 '$work/dev/video0' c 81 0; chgrp video '$work/dev/video0'; }
    mount --rbind '$work/dev' /dev
    mount --bind '$work/etc' /etc
    mount -t tmpfs -o mode=0755 tmpfs /usr/local/bin
    cp '$work/bin/occlumeshd' /usr/local/bin/occlumeshd
    for directory in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs \$directory; done
    for directory in /run /var/lib/systemd; do mount -t tmpfs -o mode=0755 tmpfs \$directory; done
    exec /lib/systemd/systemd --system --unit=basic.target --log-level=warning
" > "$work/systemd.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 100); do
    systemd_pid=$(pgrep -P "$unshare_pid" || true)
    [[ -n $systemd_pid ]] && break
    sleep 0.1
done
[[ -n ${systemd_pid:-} ]] || skip "systemd did not start in a namespace: $(cat "$work/systemd.log")"
in_namespace() { nsenter -t "$systemd_pid" -p -m "$@"; }
state=""
for _ in $(seq 300); do
    state=$(in_namespace systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 0.1
done
[[ $state == running || $state == degraded ]] || skip "systemd in the namespace did not come up (state '$state')"

failures=0
check() {  # check DESCRIPTION COMMAND...
    local description=$1; shift
    if "$@"; then echo "ok    $description"; else echo "FAIL  $description"; failures=$((failures + 1)); fi
}
property() { in_namespace systemctl show -P "$1" occlumesh.service; }

milliseconds() { date +%s%3N; }
start=$(milliseconds)
check "systemctl start returns after READY=1" in_namespace systemctl start occlumesh.service
echo "      start took $(( $(milliseconds) - start )) ms"
check "service is active" in_namespace systemctl is-active --quiet occlumesh.service
check "runs as user occlumesh" test "$(in_namespace ps -o user= -p "$(property MainPID)" | tr -d ' ')" = occlumesh
check "socket is mode 660, group occlumesh" test "$(in_namespace stat -c '%a %G' /run/occlumesh/mesh.sock)" = "660 occlumesh"
receive_frames() { in_namespace python3 "$repo/clients/python/check_stream.py" /run/occlumesh/mesh.sock 5 f32 face-area > "$work/client.json"; }
check "a client receives 5 frames" receive_frames
check "reload (SIGHUP) keeps it active" in_namespace systemctl reload occlumesh.service
check "still active after reload" in_namespace systemctl is-active --quiet occlumesh.service

# The bridge unit as users enable it (occlumesh-bridge@NAME with /etc/occlumesh/bridge-NAME.env), sandbox included
# (DynamicUser, the occlumesh group for the socket, loopback-only UDP), sending OSC to a receiver on 127.0.0.1.
install -D -m 0644 systemd/occlumesh-bridge@.service "$work/etc/systemd/system/occlumesh-bridge@.service"
echo "OCCLUMESH_BRIDGE=osc --to 127.0.0.1:39541" > "$work/etc/occlumesh/bridge-check.env"
in_namespace install -m 0755 "$bridge_binary" /usr/local/bin/occlumesh
in_namespace systemctl daemon-reload
in_namespace timeout 30 python3 -c '
import socket
receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
receiver.bind(("127.0.0.1", 39541))
receiver.settimeout(25)
frames = 0
while frames < 10:
    data, _ = receiver.recvfrom(65536)
    frames += data.startswith(b"#bundle\0") and b"/occlumesh/frame\0" in data
print(frames)' > "$work/osc.txt" 2>&1 &
receiver_pid=$!
sleep 0.5
check "systemctl start occlumesh-bridge@check" in_namespace systemctl start occlumesh-bridge@check.service
check "the bridge unit delivers OSC frames to loopback" wait "$receiver_pid"
echo "      received: $(tr '\n' ' ' < "$work/osc.txt")"
[[ $(head -1 "$work/osc.txt") == 10 ]] || in_namespace journalctl -u occlumesh-bridge@check.service --no-pager | tail -8 || true
check "the bridge runs as a dynamic user, not root" \
    test "$(in_namespace systemctl show -P DynamicUser occlumesh-bridge@check.service)" = yes
in_namespace systemctl stop occlumesh-bridge@check.service || true

# The camera through the sandbox (private /dev, BindPaths, DeviceAllow, the video group in a user namespace): the
# service's own first command opens /dev/video0 and gets as far as the missing driver (ENXIO), not EACCES/EPERM/ENOENT.
mkdir -p "$work/etc/systemd/system/occlumesh.service.d"
cat > "$work/etc/systemd/system/occlumesh.service.d/camera.conf" <<'CONF'
[Service]
ExecStartPre=-/bin/sh -c '{ true 3<>/dev/video0 && echo "camera open: ok"; } 2>&1 | sed "s/^/camera check: /"'
CONF
in_namespace systemctl daemon-reload
in_namespace systemctl restart occlumesh.service || true
camera=$(in_namespace journalctl -u occlumesh.service --no-pager 2>/dev/null | grep "camera check:" | tail -1 || true)
echo "      ${camera#*: }"
check "the camera node opens inside the sandbox (as far as its driver)" grep -qE "No such device or address|camera open: ok" <<<"$camera"
rm -r "$work/etc/systemd/system/occlumesh.service.d"
in_namespace systemctl daemon-reload

# Watchdog: the same unit, told to hang after a second, with a 2 s watchdog.
mkdir -p "$work/etc/systemd/system/occlumesh.service.d"
cat > "$work/etc/systemd/system/occlumesh.service.d/hang.conf" <<CONF
[Service]
ExecStart=
ExecStart=/usr/local/bin/occlumeshd --config /etc/occlumesh/occlumesh.toml $hang_flag
WatchdogSec=2s
CONF
in_namespace systemctl daemon-reload
in_namespace systemctl restart occlumesh.service
restarted=false
for _ in $(seq 150); do
    if [[ $(property NRestarts) -ge 1 ]]; then restarted=true; break; fi
    sleep 0.1
done
check "hung process is killed by the watchdog and restarted" $restarted
journal=$(in_namespace journalctl -u occlumesh.service --no-pager 2>/dev/null || true)
check "journal records the watchdog timeout" grep -q "Watchdog timeout" <<<"$journal"
rm -r "$work/etc/systemd/system/occlumesh.service.d"
in_namespace systemctl daemon-reload
in_namespace systemctl restart occlumesh.service

start=$(milliseconds)
check "systemctl stop succeeds" in_namespace systemctl stop occlumesh.service
echo "      stop took $(( $(milliseconds) - start )) ms"
check "stopped cleanly (Result=success)" test "$(property Result)" = success
check "socket file removed" test ! -e /proc/"$systemd_pid"/root/run/occlumesh/mesh.sock

if [[ $failures -gt 0 ]]; then
    echo "systemd-integration: $failures check(s) failed; journal:"
    in_namespace journalctl -u occlumesh.service --no-pager | tail -40 || true
    exit 1
fi
echo "systemd-integration: all checks passed"
