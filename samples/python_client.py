"""Sample: print meshes from a running occlumeshd with the Python client.

    PYTHONPATH=clients/python python3 samples/python_client.py [SOCKET]   (default /run/occlumesh/mesh.sock)
"""

import sys

from occlumesh_client import OcclumeshClient

socket_path = sys.argv[1] if len(sys.argv) > 1 else "/run/occlumesh/mesh.sock"
with OcclumeshClient(socket_path, vertex_format="f16", region="face-area") as client:
    topology = client.topology
    print(f"model {topology.model_id}: {topology.vertex_count} vertices, {len(topology.triangles)} triangles")
    for frame in client.frames():
        for face in frame.faces:
            nose = face.landmarks[30] if len(face.landmarks) == 68 else None
            print(f"frame {frame.sequence} track {face.track}: vertices {face.vertices.shape}, nose tip {nose}, "
                  f"latency {frame.latency * 1000:.1f} ms")
    print("server said goodbye:", client.goodbye.reason if client.goodbye else "connection closed")
