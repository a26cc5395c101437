/// The one page `occlumesh view` serves: three.js (from libjs-three, served by the viewer) draws the live mesh; the
/// page keeps its own state in `window.viewerState` and in `#state` (JSON) so a test can read it from the DOM.
enum ViewerPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>occlumesh view</title>
<style>
  body { margin: 0; font: 13px/1.35 system-ui, sans-serif; background: #15171c; color: #e8e8e8; display: grid;
         grid-template-columns: 1fr 330px; grid-template-rows: 34px 1fr; height: 100vh; overflow: hidden; }
  header { grid-column: 1 / 3; display: flex; gap: 18px; align-items: center; padding: 0 12px; background: #20232b; }
  header b { color: #fff; }
  #daemon.stopped { color: #ff6b5e; font-weight: bold; }
  #daemon.running { color: #6fdc8c; }
  #scene { position: relative; min-width: 0; min-height: 0; }
  #scene canvas { display: block; width: 100%; height: 100%; }
  #banner { position: absolute; top: 40%; left: 0; right: 0; text-align: center; font-size: 22px; color: #ff6b5e;
            display: none; pointer-events: none; }
  aside { overflow-y: auto; padding: 8px 10px; background: #1b1e25; }
  h2 { font-size: 12px; text-transform: uppercase; color: #9aa3b5; margin: 10px 0 4px; }
  .bar { display: grid; grid-template-columns: 120px 1fr 36px; gap: 6px; align-items: center; height: 13px; font-size: 11px; }
  .bar div { background: #2c313c; height: 8px; }
  .bar span.fill { display: block; background: #5aa9e6; height: 8px; }
  #landmarks2d { width: 100%; background: #0f1115; }
  #faces div { margin: 2px 0; }
  #state { display: none; }
</style>
</head>
<body>
<header><b>occlumesh view</b><span id="daemon">connecting…</span><span id="fps">– fps</span>
  <span id="latency">latency –</span><span id="dropped">dropped –</span><span id="count">0 frames</span></header>
<div id="scene"><div id="banner">daemon stopped</div></div>
<aside>
  <h2>faces</h2><div id="faces">none</div>
  <h2>landmarks (image pixels)</h2><canvas id="landmarks2d" width="300" height="300"></canvas>
  <h2>expressions</h2><div id="bars"></div>
</aside>
<pre id="state">{}</pre>
<script src="/three/three.min.js"></script>
<script src="/three/OrbitControls.js"></script>
<script>
"use strict";
const state = window.viewerState = { socketOpens: 0, topologies: 0, frames: 0, lastSequence: -1, outOfOrder: 0,
  daemonRunning: false, daemonMessage: "", stoppedSeen: 0, framesSinceTopology: 0, faces: 0, vertices: 0 };
const halfTable = new Float32Array(65536);
for (let h = 0; h < 65536; h++) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  halfTable[h] = exponent === 0 ? sign * Math.pow(2, -14) * (fraction / 1024)
    : exponent === 31 ? (fraction ? NaN : sign * Infinity) : sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
}
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x15171c);
scene.add(new THREE.HemisphereLight(0xffffff, 0x404050, 0.7));
const light = new THREE.DirectionalLight(0xffffff, 0.7);
scene.add(light);
const container = document.getElementById("scene");
const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
container.appendChild(renderer.domElement);
const camera = new THREE.PerspectiveCamera(35, 1, 1, 100000);
const controls = new THREE.OrbitControls(camera, renderer.domElement);
camera.position.set(0, 0, 1000);
function resize() {
  const width = container.clientWidth, height = container.clientHeight;
  renderer.setSize(width, height, false);
  camera.aspect = width / Math.max(height, 1);
  camera.updateProjectionMatrix();
}
window.addEventListener("resize", resize);
resize();
let topology = null, triangles = null, framed = false, pendingText = null;
const tracks = new Map();
const bars = [];
const arrivals = [];

function setDaemon(running, message) {
  state.daemonRunning = running; state.daemonMessage = message;
  if (!running) state.stoppedSeen++;
  const element = document.getElementById("daemon");
  element.textContent = running ? "daemon running" : message || "daemon stopped";
  element.className = running ? "running" : "stopped";
  const banner = document.getElementById("banner");
  banner.style.display = running ? "none" : "block";
  banner.textContent = running ? "" : (message.startsWith("viewer") ? message : "daemon stopped — reconnecting…");
}

function buildBars(names) {
  const root = document.getElementById("bars");
  root.textContent = ""; bars.length = 0;
  for (const name of names) {
    const row = document.createElement("div"); row.className = "bar";
    const label = document.createElement("span"); label.textContent = name;
    const track = document.createElement("div"); const fill = document.createElement("span"); fill.className = "fill";
    track.appendChild(fill);
    const value = document.createElement("span"); value.textContent = "0.00";
    row.append(label, track, value); root.appendChild(row);
    bars.push({ fill, value });
  }
}

function trackObjects(id) {
  let entry = tracks.get(id);
  if (entry) return entry;
  const geometry = new THREE.BufferGeometry();
  geometry.setIndex(new THREE.BufferAttribute(triangles, 1));
  geometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(topology.vertices * 3), 3));
  const hue = ((id * 0.618) % 1);
  const mesh = new THREE.Mesh(geometry, new THREE.MeshPhongMaterial({ color: new THREE.Color().setHSL(hue, 0.35, 0.62), side: THREE.DoubleSide, shininess: 20 }));
  const pointGeometry = new THREE.BufferGeometry();
  pointGeometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(68 * 3), 3));
  pointGeometry.setAttribute("color", new THREE.BufferAttribute(new Float32Array(68 * 3), 3));
  const points = new THREE.Points(pointGeometry, new THREE.PointsMaterial({ size: 5, sizeAttenuation: false, vertexColors: THREE.VertexColors, depthTest: false }));
  scene.add(mesh); scene.add(points);
  entry = { mesh, points };
  tracks.set(id, entry);
  return entry;
}

function visibilityColor(v) { return v >= 0.5 ? [0.2, 0.9, 0.35] : [1.0, 0.3, 0.25]; }

function applyVertices(view, text) {
  const faceCount = view.getUint16(2, true), sequence = view.getUint32(4, true);
  let offset = 8;
  const seen = new Set();
  let box = new THREE.Box3();
  for (let f = 0; f < faceCount; f++) {
    const id = view.getUint32(offset, true), count = view.getUint32(offset + 4, true);
    offset += 8;
    seen.add(id);
    const face = text && text.faces[f];
    if (count !== topology.vertices) { offset += count * 6; continue; }
    const objects = trackObjects(id);
    const positions = objects.mesh.geometry.attributes.position.array;
    for (let i = 0; i < count; i++) {
      const base = offset + i * 6;
      positions[i * 3] = halfTable[view.getUint16(base, true)];
      positions[i * 3 + 1] = -halfTable[view.getUint16(base + 2, true)];
      positions[i * 3 + 2] = -halfTable[view.getUint16(base + 4, true)];
    }
    offset += count * 6;
    objects.mesh.geometry.attributes.position.needsUpdate = true;
    objects.mesh.geometry.computeVertexNormals();
    objects.mesh.geometry.computeBoundingSphere();
    box.expandByObject(objects.mesh);
    if (face && topology.landmarkVertices) {
      const p = objects.points.geometry.attributes.position.array, c = objects.points.geometry.attributes.color.array;
      topology.landmarkVertices.forEach((vertex, k) => {
        const source = vertex >= 0 ? vertex : 0;
        p[k * 3] = positions[source * 3]; p[k * 3 + 1] = positions[source * 3 + 1]; p[k * 3 + 2] = positions[source * 3 + 2];
        const color = visibilityColor(face.visibility[k] ?? 0);
        c[k * 3] = color[0]; c[k * 3 + 1] = color[1]; c[k * 3 + 2] = color[2];
      });
      objects.points.geometry.attributes.position.needsUpdate = true;
      objects.points.geometry.attributes.color.needsUpdate = true;
      objects.points.geometry.computeBoundingSphere();
    }
  }
  for (const [id, objects] of tracks) {
    if (!seen.has(id)) { scene.remove(objects.mesh); scene.remove(objects.points); objects.mesh.geometry.dispose(); objects.points.geometry.dispose(); tracks.delete(id); }
  }
  if (!framed && !box.isEmpty()) {
    const center = box.getCenter(new THREE.Vector3()), size = box.getSize(new THREE.Vector3()).length();
    controls.target.copy(center);
    camera.position.set(center.x, center.y, center.z + size * 1.9);
    camera.near = size / 50; camera.far = size * 50; camera.updateProjectionMatrix();
    controls.update();
    framed = true;
  }
  state.faces = faceCount;
  return sequence;
}

function drawLandmarks(faces) {
  const canvas = document.getElementById("landmarks2d"), context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  let maxX = 1, maxY = 1;
  for (const face of faces) for (let k = 0; k < face.landmarks.length; k += 2) { maxX = Math.max(maxX, face.landmarks[k]); maxY = Math.max(maxY, face.landmarks[k + 1]); }
  drawLandmarks.extent = Math.max(drawLandmarks.extent || 0, Math.ceil(Math.max(maxX, maxY) * 1.1 / 80) * 80);
  const scale = canvas.width / drawLandmarks.extent;
  context.strokeStyle = "#333a46"; context.fillStyle = "#6c7486"; context.font = "10px sans-serif";
  for (let g = 0; g <= drawLandmarks.extent; g += 80) {
    context.beginPath(); context.moveTo(g * scale, 0); context.lineTo(g * scale, canvas.height); context.stroke();
    context.beginPath(); context.moveTo(0, g * scale); context.lineTo(canvas.width, g * scale); context.stroke();
  }
  context.fillText("0,0", 2, 10); context.fillText(drawLandmarks.extent + " px", canvas.width - 40, canvas.height - 4);
  for (const face of faces) {
    for (let k = 0; k < face.visibility.length; k++) {
      const color = visibilityColor(face.visibility[k]);
      context.fillStyle = `rgb(${color.map(c => Math.round(c * 255)).join(",")})`;
      context.beginPath(); context.arc(face.landmarks[2 * k] * scale, face.landmarks[2 * k + 1] * scale, 2.2, 0, 2 * Math.PI); context.fill();
    }
  }
}

function showText(text) {
  const status = text.status || {};
  const now = performance.now();
  arrivals.push(now); while (arrivals.length > 1 && now - arrivals[0] > 2000) arrivals.shift();
  const drawn = arrivals.length > 1 ? (arrivals.length - 1) * 1000 / (now - arrivals[0]) : 0;
  document.getElementById("fps").textContent = (status.fps != null ? "pipeline " + status.fps.toFixed(1) + " fps, " : "")
    + "page " + drawn.toFixed(1) + " fps";
  document.getElementById("latency").textContent = "latency " + text.latencyMs.toFixed(1) + " ms";
  document.getElementById("dropped").textContent = "dropped " + (status.frames_dropped ?? 0) + " (viewer " + (status.droppedForViewer ?? 0) + ")";
  document.getElementById("count").textContent = state.frames + " frames, #" + text.sequence;
  document.getElementById("faces").innerHTML = text.faces.length ? text.faces.map(face => {
    const visible = face.visibility.filter(v => v >= 0.5).length;
    return `<div>track <b>${face.track}</b>: yaw ${face.yaw.toFixed(1)}° pitch ${face.pitch.toFixed(1)}° roll ${face.roll.toFixed(1)}°, ${visible}/68 visible</div>`;
  }).join("") : "none";
  const weights = text.faces.length ? text.faces[0].expression : [];
  bars.forEach((bar, i) => {
    const w = Math.max(0, Math.min(1, weights[i] || 0));
    bar.fill.style.width = (w * 100).toFixed(1) + "%"; bar.value.textContent = w.toFixed(2);
  });
  drawLandmarks(text.faces);
}

function publishState() { document.getElementById("state").textContent = JSON.stringify(state); }

function connect() {
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/live");
  socket.binaryType = "arraybuffer";
  socket.onopen = () => { state.socketOpens++; publishState(); };
  socket.onmessage = event => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "daemon") setDaemon(message.running, message.message);
      else if (message.type === "topology") { topology = message; buildBars(message.expressionNames); }
      else if (message.type === "frame") pendingText = message;
      publishState();
      return;
    }
    const view = new DataView(event.data);
    if (view.getUint8(0) === 1 && topology) {
      const count = view.getUint32(12, true);
      triangles = new Uint32Array(event.data.slice(16, 16 + count * 12));
      for (const [id, objects] of tracks) { scene.remove(objects.mesh); scene.remove(objects.points); }
      tracks.clear(); framed = false;
      state.topologies++; state.framesSinceTopology = 0; state.vertices = topology.vertices;
      publishState();
    } else if (view.getUint8(0) === 2 && triangles) {
      const text = pendingText; pendingText = null;
      const sequence = applyVertices(view, text);
      if (state.lastSequence >= 0 && sequence <= state.lastSequence && state.framesSinceTopology > 0) state.outOfOrder++;
      state.lastSequence = sequence; state.frames++; state.framesSinceTopology++;
      if (text) showText(text);
      light.position.copy(camera.position);
      renderer.render(scene, camera);
      publishState();
      requestAnimationFrame(() => { if (socket.readyState === WebSocket.OPEN) socket.send("next"); });
    }
  };
  socket.onclose = () => { setDaemon(false, "viewer connection lost — reconnecting…"); publishState(); setTimeout(connect, 1000); };
}
controls.addEventListener("change", () => { light.position.copy(camera.position); renderer.render(scene, camera); });
connect();
</script>
</body>
</html>
"""#
}
