# Sourced by the daemon benchmarks: writes FOLDER/occlumesh.toml, a config that reads INPUT at its own size with
# the repository's models and listens on FOLDER/mesh.sock. DETECTOR, when set, is the detector sidecar to use instead
# of models/face_detection_short_range.json (e.g. models/face_detection_short_range_mediapipe.json, the original);
# MIRROR_AVERAGE=true turns on model.mirror_average (two regressor runs a face).
#   write_daemon_config INPUT FOLDER
write_daemon_config() {
    cat > "$2/occlumesh.toml" <<CONF
[source]
input = "$1"
width = 0
height = 0
[model]
regressor = "$PWD/models/orn.onnx"
face_model = "$PWD/models/ict-face-model.ocfm"
detector = "${DETECTOR:-$PWD/models/face_detection_short_range.json}"
mirror_average = ${MIRROR_AVERAGE:-false}
[socket]
path = "$2/mesh.sock"
[log]
level = "notice"
CONF
}
