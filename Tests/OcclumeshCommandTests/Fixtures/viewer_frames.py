"""Reads `occlumesh view`'s WebSocket (/live) as its page does, without a browser, for the viewer's live-source test:
asks for one frame at a time ("next"), decodes the binary messages (docs/viewer.md: kind 1 topology, kind 2
vertices as float16), and prints one JSON line once --frames vertex frames arrived or --timeout passed:

  {"topologies": T, "topology_vertices": V, "sequences": [...], "faces": [...], "vertices": [...], "finite": bool}

"faces" holds the face count of each frame, "vertices" the vertex count of each face seen.
"""
import argparse
import json
import struct
import time

import numpy as np
import websocket

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True, help="the page's address, http://HOST:PORT/")
parser.add_argument("--frames", type=int, default=30)
parser.add_argument("--timeout", type=float, default=60)
arguments = parser.parse_args()

socket = websocket.create_connection(arguments.url.replace("http://", "ws://").rstrip("/") + "/live",
                                     timeout=arguments.timeout)
report = {"topologies": 0, "topology_vertices": 0, "sequences": [], "faces": [], "vertices": [], "finite": True}
deadline = time.monotonic() + arguments.timeout
socket.send("next")
while len(report["sequences"]) < arguments.frames and time.monotonic() < deadline:
    opcode, data = socket.recv_data()
    if opcode != websocket.ABNF.OPCODE_BINARY or not data:
        continue
    if data[0] == 1:
        report["topologies"] += 1
        report["topology_vertices"] = struct.unpack_from("<I", data, 8)[0]
    elif data[0] == 2:
        faces, sequence = struct.unpack_from("<HI", data, 2)
        offset = 8
        for _ in range(faces):
            _, count = struct.unpack_from("<II", data, offset)
            offset += 8
            values = np.frombuffer(data, dtype="<f2", count=3 * count, offset=offset)
            offset += 6 * count
            report["vertices"].append(count)
            report["finite"] = report["finite"] and bool(np.isfinite(values).all())
        report["sequences"].append(sequence)
        report["faces"].append(faces)
        socket.send("next")
socket.close()
print(json.dumps(report), flush=True)
