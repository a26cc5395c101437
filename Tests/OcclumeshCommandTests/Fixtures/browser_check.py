"""Drives headless Chromium (Debian's `chromium`) on `occlumesh view`'s page through the DevTools protocol, for the
viewer test. Talks to the Swift test on stdout/stdin, one line each:

  prints {"phase": "open", ...}       once the page's WebSocket is open (the test then starts the daemon)
  prints {"phase": "live", ...}       once >= --frames frames were drawn: state, screenshot path, mesh pixel counts,
                                      and the share of the face's pixels that changed over 3 x --frames more frames
  prints {"phase": "stopped", ...}    once the page says the daemon stopped (the test then starts it again)
  prints {"phase": "recovered", ...}  once a new topology and >= --frames frames after it arrived
  prints {"phase": "timeout", ...}    if a phase does not come within --timeout seconds

"state" is the page's own window.viewerState. The screenshot is kept at --screenshot.
"""
import argparse
import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--screenshot", required=True)
parser.add_argument("--frames", type=int, default=15)
parser.add_argument("--timeout", type=float, default=90)
arguments = parser.parse_args()

profile = tempfile.mkdtemp(prefix="occlumesh-chromium-")
browser = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu-sandbox", "--enable-unsafe-swiftshader",
     "--use-angle=swiftshader", "--window-size=1280,800", "--no-first-run", "--disable-extensions",
     "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def say(phase, **fields):
    sys.stdout.write(json.dumps({"phase": phase, **fields}) + "\n")
    sys.stdout.flush()


try:
    port = None
    for line in browser.stderr:
        found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
        if found:
            port = int(found.group(1))
            break
    if port is None:
        say("timeout", reason="chromium did not start")
        sys.exit(1)
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
    page = next(target for target in targets if target["type"] == "page")
    devtools = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
    next_id = 0

    def call(method, **params):
        global next_id
        next_id += 1
        devtools.send(json.dumps({"id": next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(devtools.recv())
            if reply.get("id") == next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def page_state():
        result = call("Runtime.evaluate", expression="JSON.stringify(window.viewerState || null)", returnByValue=True)
        return json.loads(result["result"].get("value") or "null")

    def wait(phase, condition, **fields):
        deadline = time.monotonic() + arguments.timeout
        while time.monotonic() < deadline:
            state = page_state()
            if state and condition(state):
                return state
            time.sleep(0.1)
        say("timeout", waiting_for=phase, state=page_state())
        sys.exit(1)

    call("Page.enable")
    call("Page.navigate", url=arguments.url)
    state = wait("open", lambda s: s["socketOpens"] >= 1)
    say("open", state=state)

    state = wait("live", lambda s: s["frames"] >= arguments.frames)
    shot = call("Page.captureScreenshot", format="png")
    with open(arguments.screenshot, "wb") as file:
        file.write(base64.b64decode(shot["data"]))
    # Mesh pixels: where the face is drawn (the middle of the 3-D view) the colour differs from the background
    # (#15171c); the view's corner is background.
    image = Image.open(arguments.screenshot).convert("RGB")
    canvas = json.loads(call("Runtime.evaluate", returnByValue=True, expression=(
        "JSON.stringify((r => [r.left, r.top, r.width, r.height])(document.querySelector('#scene canvas').getBoundingClientRect()))"
    ))["result"]["value"])
    left, top, width, height = (int(round(value)) for value in canvas)

    def differs(x, y):
        r, g, b = image.getpixel((x, y))
        return abs(r - 0x15) + abs(g - 0x17) + abs(b - 0x1c) > 40

    def fraction(x0, y0, x1, y1):
        points = [(x, y) for x in range(x0, x1, 4) for y in range(y0, y1, 4)]
        return sum(differs(x, y) for x, y in points) / len(points)

    center_x, center_y = left + width // 2, top + height // 2
    center = fraction(center_x - width // 10, center_y - height // 10, center_x + width // 10, center_y + height // 10)
    corner = fraction(left + 2, top + 2, left + width // 10, top + height // 10)

    # Frames keep being drawn: after more frames the face's pixels have changed (the sample's face moves and talks).
    # Three times --frames apart, so a stretch where the face holds still (one CI run saw 0.6 % changed over
    # --frames frames on a loaded machine) does not pass for a page that stopped drawing.
    drawn = state["frames"]
    state = wait("more frames", lambda s: s["frames"] >= drawn + 3 * arguments.frames)
    later = Image.open(io.BytesIO(base64.b64decode(call("Page.captureScreenshot", format="png")["data"]))).convert("RGB")
    points = [(x, y) for x in range(center_x - width // 5, center_x + width // 5, 2)
              for y in range(center_y - height // 5, center_y + height // 5, 2)]
    changed = sum(sum(abs(a - b) for a, b in zip(image.getpixel(point), later.getpixel(point))) > 12
                  for point in points) / len(points)
    say("live", state=state, screenshot=arguments.screenshot, size=list(image.size), center=center, corner=corner,
        changed=changed)

    state = wait("stopped", lambda s: not s["daemonRunning"])
    say("stopped", state=state)
    topologies = state["topologies"]
    state = wait("recovered", lambda s: s["daemonRunning"] and s["topologies"] > topologies
                 and s["framesSinceTopology"] >= arguments.frames)
    say("recovered", state=state)
finally:
    browser.terminate()
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
        browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
