"""Connects to an occlumesh socket, reads frames and prints what arrived as one JSON document.

Used by the Swift test PythonClientTests, which runs a real MeshPublisher and compares this output with
the frames it published:  python3 clients/python/check_stream.py SOCKET FRAMES VERTEX_FORMAT REGION
"""

import json
import sys

from occlumesh_client import OcclumeshClient


def main():
    path, frame_count, vertex_format, region = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with OcclumeshClient(path, vertex_format=vertex_format, region=region, timeout=30) as client:
        print("subscribed", flush=True)
        frames = []
        for frame in client.frames():
            frames.append({
                "sequence": frame.sequence,
                "timestamp": frame.timestamp,
                "dropped_before": frame.dropped_before,
                "faces": [{
                    "track": face.track,
                    "rotation": face.rotation.tolist(),
                    "translation": face.translation.tolist(),
                    "scale": face.scale,
                    "expression": face.expression.tolist(),
                    "identity": face.identity.tolist(),
                    "landmarks": face.landmarks.tolist(),
                    "visibility": face.visibility.tolist(),
                    "vertices": face.vertices.tolist(),
                } for face in frame.faces],
            })
            if len(frames) == frame_count:
                break
        topology = client.topology
        print(json.dumps({
            "server": client.welcome.server_name,
            "model_id": topology.model_id,
            "vertex_count": topology.vertex_count,
            "triangles": topology.triangles.tolist(),
            "head_vertex_indices": topology.head_vertex_indices.tolist(),
            "expression_names": topology.expression_names,
            "status": client.last_status.counters if client.last_status else None,
            "frames": frames,
        }))


if __name__ == "__main__":
    main()
