"""Python client of the occlumesh mesh socket (protocol version 1, see docs/protocol.md).

    from occlumesh_client import OcclumeshClient
    with OcclumeshClient("/run/occlumesh/mesh.sock", vertex_format="f16") as client:
        print(client.topology.model_id, client.topology.triangles.shape)
        for frame in client.frames():
            for face in frame.faces:
                print(frame.sequence, face.track, face.vertices.shape, face.landmarks[:2])

Depends on numpy only. Arrays are little-endian numpy arrays; vertices are float32 whatever the wire format.
Identities, which the server sends only when they change, are filled into every face from a per-track cache.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np

MAGIC = 0x484D434F
VERSION = 1
HEADER = struct.Struct("<IB")
MAX_MESSAGE = 256 << 20

HELLO, SUBSCRIBE = 0x01, 0x02
WELCOME, TOPOLOGY, FRAME, STATUS, GOODBYE = 0x81, 0x82, 0x83, 0x84, 0x85

VERTEX_FORMATS = {"none": 0, "f32": 1, "f16": 2}
REGIONS = {"face-area": 0, "whole-head": 1}
GOODBYE_CODES = {1: "server_stopping", 2: "unsupported_version", 3: "protocol_violation", 4: "too_many_clients", 5: "stalled"}


class ProtocolError(Exception):
    """The server sent bytes that are not a valid message."""


class Refused(Exception):
    """The server closed the connection during the handshake; carries its goodbye."""

    def __init__(self, goodbye: "Goodbye"):
        super().__init__(f"server refused the connection ({goodbye.code}): {goodbye.reason}")
        self.goodbye = goodbye


@dataclass
class Welcome:
    version: int
    queue_capacity: int
    server_name: str


@dataclass
class Topology:
    model_id: str
    region: str
    vertex_count: int
    head_vertex_indices: np.ndarray  # (V,) uint32 for the face area, empty for the whole head
    triangles: np.ndarray  # (T, 3) uint32, indices into the region's vertices
    texture_coordinates: np.ndarray  # (V, 2) float32
    landmark_indices: np.ndarray  # (68,) uint32 head vertex indices
    expression_names: list
    identity_dimension: int


@dataclass
class Face:
    track: int
    confidence: float
    rotation: np.ndarray  # (4,) quaternion x, y, z, w
    translation: np.ndarray  # (3,)
    scale: float
    expression: np.ndarray  # (53,) float32
    identity: np.ndarray  # (I,) float32, from the cache when unchanged
    landmarks: np.ndarray  # (68, 2) float32 image pixels, or (0, 2)
    visibility: np.ndarray  # (68,) float32, or (0,)
    vertices: np.ndarray  # (V, 3) float32, or (0, 3)


@dataclass
class Frame:
    sequence: int
    timestamp: float
    latency: float  # seconds, capture to publish
    dropped_before: int
    faces: list = field(default_factory=list)


@dataclass
class Status:
    dropped_for_client: int
    counters: dict


@dataclass
class Goodbye:
    code: str
    reason: str


class _Reader:
    """Reads little-endian fields from one message body."""

    def __init__(self, body: memoryview):
        self.body = body
        self.offset = 0

    def take(self, count: int) -> memoryview:
        if count < 0 or self.offset + count > len(self.body):
            raise ProtocolError(f"message truncated: need {count} bytes, {len(self.body) - self.offset} left")
        view = self.body[self.offset:self.offset + count]
        self.offset += count
        return view

    def unpack(self, fmt: str):
        layout = struct.Struct("<" + fmt)
        return layout.unpack(self.take(layout.size))

    def one(self, fmt: str):
        return self.unpack(fmt)[0]

    def string(self) -> str:
        return bytes(self.take(self.one("H"))).decode("utf-8")

    def array(self, dtype: str, count: int, shape=None) -> np.ndarray:
        dt = np.dtype(dtype).newbyteorder("<")
        values = np.frombuffer(self.take(count * dt.itemsize), dtype=dt).copy()
        return values.reshape(shape) if shape is not None else values

    def finish(self):
        if self.offset != len(self.body):
            raise ProtocolError(f"{len(self.body) - self.offset} bytes after the last field")


def encode_hello(version: int = VERSION) -> bytes:
    body = struct.pack("<IH", MAGIC, version)
    return HEADER.pack(len(body) + 1, HELLO) + body


def encode_subscribe(vertex_format: str = "f32", region: str = "face-area", landmarks: bool = True, max_rate: float = 0.0) -> bytes:
    body = struct.pack("<BBBBf", VERTEX_FORMATS[vertex_format], REGIONS[region], 1 if landmarks else 0, 0, max_rate)
    return HEADER.pack(len(body) + 1, SUBSCRIBE) + body


def decode_message(kind: int, body: memoryview):
    """Decodes one server message body into Welcome, Topology, Frame, Status or Goodbye."""
    reader = _Reader(body)
    if kind == WELCOME:
        version, capacity = reader.unpack("HH")
        message = Welcome(version, capacity, reader.string())
    elif kind == TOPOLOGY:
        model_id = reader.string()
        region = {0: "face-area", 1: "whole-head"}[reader.one("B")]
        vertex_count = reader.one("I")
        head = reader.array("u4", reader.one("I"))
        triangle_count = reader.one("I")
        triangles = reader.array("u4", triangle_count * 3, (triangle_count, 3))
        uv_count = reader.one("I")
        uvs = reader.array("f4", uv_count * 2, (uv_count, 2))
        landmark_indices = reader.array("u4", reader.one("H"))
        names = [reader.string() for _ in range(reader.one("H"))]
        message = Topology(model_id, region, vertex_count, head, triangles, uvs, landmark_indices, names, reader.one("H"))
    elif kind == FRAME:
        sequence, timestamp, latency_us, dropped, vertex_format, _region, face_count = reader.unpack("QdIIBBH")
        faces = []
        for _ in range(face_count):
            track, confidence = reader.unpack("If")
            rotation = reader.array("f4", 4)
            translation = reader.array("f4", 3)
            scale = reader.one("f")
            expression = reader.array("f4", reader.one("H"))
            identity = reader.array("f4", reader.one("H"))
            landmark_count = reader.one("H")
            landmarks = reader.array("f4", landmark_count * 2, (landmark_count, 2))
            visibility = reader.array("f4", landmark_count)
            vertex_count = reader.one("I")
            if vertex_format == 2:
                vertices = reader.array("f2", vertex_count * 3, (vertex_count, 3)).astype(np.float32)
            elif vertex_format == 1:
                vertices = reader.array("f4", vertex_count * 3, (vertex_count, 3))
            elif vertex_count == 0:
                vertices = np.zeros((0, 3), np.float32)
            else:
                raise ProtocolError("vertices sent with vertex format none")
            faces.append(Face(track, confidence, rotation, translation, scale, expression, identity, landmarks, visibility, vertices))
        message = Frame(sequence, timestamp, latency_us / 1e6, dropped, faces)
    elif kind == STATUS:
        dropped = reader.one("Q")
        counters = {}
        for _ in range(reader.one("H")):
            name = reader.string()
            counters[name] = reader.one("d")
        message = Status(dropped, counters)
    elif kind == GOODBYE:
        code = reader.one("B")
        message = Goodbye(GOODBYE_CODES.get(code, f"code {code}"), reader.string())
    else:
        raise ProtocolError(f"unknown message type 0x{kind:02x}")
    reader.finish()
    return message


class OcclumeshClient:
    """A blocking connection to occlumeshd: connects, subscribes, and yields decoded messages."""

    def __init__(self, socket_path: str = "/run/occlumesh/mesh.sock", vertex_format: str = "f32", region: str = "face-area",
                 landmarks: bool = True, max_rate: float = 0.0, timeout: Optional[float] = None):
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        self._buffer = bytearray()
        self._identities = {}
        self.goodbye: Optional[Goodbye] = None
        self.last_status: Optional[Status] = None
        try:
            self._socket.connect(socket_path)
            self._socket.sendall(encode_hello() + encode_subscribe(vertex_format, region, landmarks, max_rate))
            self.welcome = self._handshake_message(Welcome)
            self.topology = self._handshake_message(Topology)
        except BaseException:
            self._socket.close()
            raise

    def _handshake_message(self, expected):
        message = self.next_message()
        if isinstance(message, Goodbye):
            raise Refused(message)
        if not isinstance(message, expected):
            raise ProtocolError(f"expected {expected.__name__}, got {type(message).__name__}")
        return message

    def next_message(self):
        """The next decoded message, or None once the server said goodbye or closed between messages."""
        while True:
            if len(self._buffer) >= 4:
                (length,) = struct.unpack_from("<I", self._buffer)
                if length < 1 or length > MAX_MESSAGE:
                    raise ProtocolError(f"message length {length} outside 1..{MAX_MESSAGE}")
                if len(self._buffer) >= 4 + length:
                    kind = self._buffer[4]
                    body = memoryview(bytes(self._buffer[5:4 + length]))
                    del self._buffer[:4 + length]
                    return self._remember(decode_message(kind, body))
            if self.goodbye is not None:
                return None
            chunk = self._socket.recv(1 << 16)
            if not chunk:
                if self._buffer:
                    raise ProtocolError("server closed the connection in the middle of a message")
                return None
            self._buffer += chunk

    def _remember(self, message):
        if isinstance(message, Frame):
            for face in message.faces:
                if face.identity.size:
                    self._identities[face.track] = face.identity
                else:
                    face.identity = self._identities.get(face.track, face.identity)
        elif isinstance(message, Status):
            self.last_status = message
        elif isinstance(message, Goodbye):
            self.goodbye = message
        elif isinstance(message, Topology):
            self.topology = message
        return message

    def frames(self) -> Iterator[Frame]:
        """Yields frames until the server says goodbye or closes; status messages update last_status."""
        while True:
            message = self.next_message()
            if message is None or isinstance(message, Goodbye):
                return
            if isinstance(message, Frame):
                yield message

    def close(self):
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
