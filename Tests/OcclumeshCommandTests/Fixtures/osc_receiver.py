"""A real OSC receiver for the bridge tests: python-osc's UDP server on 127.0.0.1.

Prints the port it listens on, then receives until it has seen --frames messages with the address --end (each
bridge bundle ends in one) or --timeout seconds passed, and prints one JSON line per message received:
{"address": ..., "types": "sf...", "values": [...]}. The types are read back from the decoded values
(python-osc decodes by the type tags: int for i, float for f, str for s, bool for T/F).
"""
import argparse
import json
import sys
import time

from pythonosc import dispatcher, osc_server

parser = argparse.ArgumentParser()
parser.add_argument("--end", required=True)
parser.add_argument("--frames", type=int, required=True)
parser.add_argument("--timeout", type=float, default=60)
arguments = parser.parse_args()

received = []
ends = 0


def tag(value):
    if isinstance(value, bool):
        return "T" if value else "F"
    return {int: "i", float: "f", str: "s", bytes: "b"}.get(type(value), "?")


def record(address, *values):
    global ends
    received.append({"address": address, "types": "".join(tag(v) for v in values), "values": list(values)})
    if address == arguments.end:
        ends += 1


table = dispatcher.Dispatcher()
table.set_default_handler(record)
server = osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), table)
server.timeout = 0.2
print(server.server_address[1], flush=True)
deadline = time.monotonic() + arguments.timeout
while ends < arguments.frames and time.monotonic() < deadline:
    server.handle_request()
server.server_close()
for message in received:
    sys.stdout.write(json.dumps(message) + "\n")
