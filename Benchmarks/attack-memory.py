#!/usr/bin/env python3
"""Resident memory of occlumeshd before, during and after each family of hostile-client attack.

Runs the daemon on the bundled clip samples/face.mp4 (looped, at its own 30 fps pace) with the repository's models
and the documented client limits (max_clients 16, queue_capacity 4), keeps two well-behaved subscribers reading,
and sends each attack from raw sockets for a few seconds: junk bytes, subscribe and hello floods, clients that
vanish mid-message and mid-frame, 4 × max_clients slow and stalled readers of the largest frames (those past
max_clients refused), region changes from clients that read nothing, oversize length fields and bodies, and
connection churn past max_clients. /proc/PID/status (VmRSS, VmHWM) is sampled every
20 ms. Prints one table row per attack, and the bound the documented limits give:

    max_clients × (queue_capacity × largest frame + 2 × topology + framer buffer)

the most that all clients' queues and input buffers together may hold (docs/daemon.md, "Hostile input").

Usage: Benchmarks/attack-memory.py [--daemon PATH] [--seconds S] [--settle S] [--rounds N]
    --daemon   the occlumeshd to run (default .build/release/occlumeshd)
    --seconds  length of each attack (default 6)
    --settle   seconds after each attack before "after" is read (default 3)
    --rounds   times the whole series is run (default 1); memory that keeps growing from round to round is a leak
Needs: the daemon built, models/orn.onnx + orn.json, models/ict-face-model.ocfm (scripts/setup.sh), ffmpeg.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_CLIENTS, QUEUE_CAPACITY = 16, 4
# The server's per-client input buffer: reads of 4 KiB only while under 4 KiB is unread, compacted once more than
# 64 KiB was consumed (MessageFramer), in an array that may have doubled past that.
FRAMER_BYTES = 2 * (65536 + 2 * 4096)
HELLO = struct.pack("<IBIH", 7, 0x01, 0x484D434F, 1)
FRAME, TOPOLOGY = 0x83, 0x82


def subscribe(vertex_format=1, region=1, landmarks=1, reserved=0, rate=0.0):
    return struct.pack("<IBBBBBf", 9, 0x02, vertex_format, region, landmarks, reserved, rate)


def status_kib(pid):
    """VmRSS and VmHWM of the process, in KiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def connect(path, receive_buffer=None):
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if receive_buffer:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    peer.connect(path)
    return peer


def send_some(peer, data):
    """Sends what the socket takes now (a hostile peer does not care whether the server hung up)."""
    try:
        peer.setblocking(False)
        peer.send(data)
    except OSError:
        pass


def hard_close(peer):
    """Closes with a reset (SO_LINGER 0): the peer vanishes, whatever the server was writing."""
    try:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    peer.close()


class Reader(threading.Thread):
    """A well-behaved subscriber that reads everything; counts frames and remembers message sizes."""

    def __init__(self, path, message):
        super().__init__(daemon=True)
        self.path, self.message = path, message
        self.frames, self.frame_bytes, self.topology_bytes = 0, 0, 0
        self.stop = False

    def run(self):
        peer = connect(self.path)
        peer.sendall(HELLO + self.message)
        buffer = bytearray()
        while not self.stop:
            chunk = peer.recv(1 << 20)
            if not chunk:
                return
            buffer += chunk
            while len(buffer) >= 5:
                length, kind = struct.unpack_from("<IB", buffer)
                if len(buffer) < 4 + length:
                    break
                if kind == FRAME:
                    self.frames += 1
                    self.frame_bytes = max(self.frame_bytes, 4 + length)
                elif kind == TOPOLOGY:
                    self.topology_bytes = max(self.topology_bytes, 4 + length)
                del buffer[:4 + length]


def parallel(workers, seconds, body):
    """Runs body(worker, deadline) on `workers` threads until the deadline; returns the connections they made."""
    deadline = time.monotonic() + seconds
    counts = [0] * workers

    def run(index):
        rng = random.Random(index)
        while time.monotonic() < deadline:
            try:
                counts[index] += body(rng, deadline)
            except OSError:
                time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts)


def attacks(path):
    """Each attack family: a name and a function of the attack's length returning the connections it made."""

    def junk(seconds):
        def body(rng, _):
            peer = connect(path)
            send_some(peer, rng.randbytes(rng.choice([1, 13, 4096, 65536])))
            peer.close()
            return 1
        return parallel(4, seconds, body)

    def floods(seconds):
        def body(rng, _):
            peer = connect(path)
            kind = rng.randrange(3)
            if kind == 0:
                send_some(peer, HELLO + subscribe() * 10000)
            elif kind == 1:
                send_some(peer, HELLO * 10000)
            else:
                send_some(peer, subscribe(rate=-1e30) * 10000)
            peer.settimeout(2)
            try:
                while peer.recv(65536):
                    pass
            except OSError:
                pass
            peer.close()
            return 1
        return parallel(8, seconds, body)

    def vanish(seconds):
        def body(rng, _):
            peer = connect(path)
            if rng.random() < 0.5:
                # Half a message, then gone.
                message = HELLO + subscribe()
                send_some(peer, message[:rng.randrange(1, len(message))])
                hard_close(peer)
            else:
                # Subscribed to the largest frames, part of one read, then gone while the server writes.
                peer.sendall(HELLO + subscribe())
                peer.settimeout(1)
                try:
                    peer.recv(rng.randrange(1, 300000))
                except OSError:
                    pass
                hard_close(peer)
            return 1
        return parallel(4, seconds, body)

    def slow_readers(seconds):
        # 4 × max_clients readers of the largest frames (whole head, float32, landmarks), those past max_clients
        # refused: half read 4 KiB every 100 ms (never stalled), half read nothing (evicted after stall_timeout).
        peers = []
        for index in range(4 * MAX_CLIENTS):
            peer = connect(path, receive_buffer=4096)
            peer.sendall(HELLO + subscribe())
            peers.append((peer, index % 2 == 0))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for peer, trickles in peers:
                if trickles:
                    try:
                        peer.setblocking(False)
                        peer.recv(4096)
                    except OSError:
                        pass
            time.sleep(0.1)
        for peer, _ in peers:
            hard_close(peer)
        return len(peers)

    def region_changes(seconds):
        # Region changes at 9 a second (under the subscribe limit) from clients that read nothing: each queues a
        # topology; at most two may wait, one more is a goodbye. Reconnects as the server sends them away.
        def body(rng, deadline):
            peer = connect(path, receive_buffer=4096)
            send_some(peer, HELLO + subscribe())
            region = 1
            for _ in range(20):
                if time.monotonic() >= deadline:
                    break
                region = 1 - region
                send_some(peer, subscribe(region=region))
                time.sleep(0.11)
            hard_close(peer)
            return 1
        return parallel(MAX_CLIENTS - 2, seconds, body)

    def oversize(seconds):
        def body(rng, _):
            peer = connect(path)
            length = rng.choice([257, 65536, 0x7FFFFFFF, 0xFFFFFFFF])
            prefix = HELLO if rng.random() < 0.5 else b""
            send_some(peer, prefix + struct.pack("<IB", length, 0x02) + b"\0" * (1 << 20))
            peer.close()
            return 1
        return parallel(4, seconds, body)

    def churn(seconds):
        # Fills the free places, then connects and disconnects as fast as it can: those past max_clients are refused.
        held = [connect(path) for _ in range(MAX_CLIENTS - 2)]
        for peer in held:
            send_some(peer, HELLO)

        def body(rng, _):
            peer = connect(path)
            if rng.random() < 0.5:
                send_some(peer, HELLO)
            peer.close()
            return 1
        count = parallel(4, seconds, body)
        for peer in held:
            peer.close()
        return count + len(held)

    return [("junk bytes", junk), ("subscribe / hello floods", floods), ("vanish mid-message / mid-frame", vanish),
            ("64 slow and stalled readers", slow_readers), ("region changes, nothing read", region_changes), ("oversize length fields", oversize),
            ("connection churn past max_clients", churn)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", default=os.path.join(ROOT, ".build/release/occlumeshd"))
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--settle", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    arguments = parser.parse_args()
    models = os.path.join(ROOT, "models")
    for needed in [arguments.daemon, f"{models}/orn.onnx", f"{models}/ict-face-model.ocfm",
                   f"{models}/face_detection_short_range.json"]:
        if not os.path.exists(needed):
            sys.exit(f"attack-memory: {needed} is missing (swift build -c release; scripts/setup.sh)")
    scratch = tempfile.mkdtemp(prefix="occlumesh-attack-")
    daemon = None
    try:
        families = attacks(os.path.join(scratch, "mesh.sock"))
        total = 2 * arguments.settle + arguments.rounds * len(families) * (arguments.seconds + arguments.settle) + 30
        clip = os.path.join(scratch, "looped.mp4")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-stream_loop", str(int(total / 3) + 1), "-i",
                        os.path.join(ROOT, "samples/face.mp4"), "-c", "copy", "-y", clip], check=True)
        with open(os.path.join(scratch, "occlumesh.toml"), "w") as config:
            config.write(f'[source]\ninput = "{clip}"\nwidth = 0\nheight = 0\n'
                         f'[model]\nregressor = "{models}/orn.onnx"\nface_model = "{models}/ict-face-model.ocfm"\n'
                         f'detector = "{models}/face_detection_short_range.json"\n'
                         f'[socket]\npath = "{scratch}/mesh.sock"\n'
                         f'[clients]\nmax_clients = {MAX_CLIENTS}\nqueue_capacity = {QUEUE_CAPACITY}\n'
                         f'[log]\nlevel = "notice"\n')
        log = open(os.path.join(scratch, "daemon.log"), "w")
        daemon = subprocess.Popen([arguments.daemon, "--config", f"{scratch}/occlumesh.toml", "--realtime"],
                                  stderr=log, stdout=subprocess.DEVNULL)
        path = os.path.join(scratch, "mesh.sock")
        for _ in range(600):
            if os.path.exists(path) or daemon.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(path):
            sys.exit("attack-memory: the daemon never listened: " + open(log.name).read())

        samples = []  # (time, rss KiB, hwm KiB)
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                reading = status_kib(daemon.pid)
                if reading:
                    samples.append((time.monotonic(), *reading))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        full = Reader(path, subscribe())
        coefficients = Reader(path, subscribe(vertex_format=0, region=0, landmarks=0))
        full.start()
        coefficients.start()
        time.sleep(2 * arguments.settle)

        def rss_between(start, end):
            return [rss for when, rss, _ in samples if start <= when <= end]

        baseline = status_kib(daemon.pid)[0]
        rows = []
        for repetition, (name, attack) in [(index, family) for index in range(arguments.rounds) for family in families]:
            name = name if arguments.rounds == 1 else f"{name}, round {repetition + 1}"
            before = status_kib(daemon.pid)[0]
            frames_before = full.frames
            start = time.monotonic()
            connections = attack(arguments.seconds)
            end = time.monotonic()
            time.sleep(arguments.settle)
            reading = status_kib(daemon.pid)
            if reading is None or daemon.poll() is not None:
                sys.exit(f"attack-memory: the daemon died during '{name}': " + open(log.name).read()[-2000:])
            peak = max(rss_between(start, end + arguments.settle) or [before])
            rows.append((name, connections, before, peak, reading[0], full.frames - frames_before,
                         round((time.monotonic() - start) * 30)))
        hwm = status_kib(daemon.pid)[1]
        sampling.set()
        bound = MAX_CLIENTS * (QUEUE_CAPACITY * full.frame_bytes + 2 * full.topology_bytes + FRAMER_BYTES)

        def mb(kib):
            return f"{kib / 1024:.1f}"

        print(f"occlumeshd {arguments.daemon}: samples/face.mp4 looped, --realtime, 2 good subscribers; "
              f"attacks of {arguments.seconds:g} s, 'after' read {arguments.settle:g} s later")
        print(f"largest frame {full.frame_bytes} B, topology {full.topology_bytes} B: bound "
              f"{MAX_CLIENTS} × ({QUEUE_CAPACITY} × frame + 2 × topology + {FRAMER_BYTES} B) = {mb(bound / 1024)} MB; "
              f"baseline RSS {mb(baseline)} MB")
        print()
        print("| attack | connections | RSS before (MB) | peak during (MB) | after (MB) | after − baseline (MB) "
              "| frames to a good client (of ~) |")
        print("|---|---|---|---|---|---|---|")
        for name, connections, before, peak, after, frames, expected in rows:
            print(f"| {name} | {connections:,} | {mb(before)} | {mb(peak)} | {mb(after)} | {mb(after - baseline)} "
                  f"| {frames} ({expected}) |")
        print()
        print(f"VmHWM at the end {mb(hwm)} MB (start-up included); peak over all attacks − baseline "
              f"{mb(max(row[3] for row in rows) - baseline)} MB; bound {mb(bound / 1024)} MB")
    finally:
        if daemon and daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
