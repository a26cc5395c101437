# Sourced by the daemon benchmarks: writes FOLDER/occlumesh.toml, a config that reads INPUT at its own size with
# the repository's models and listens on FOLDER/mesh.sock.
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
detector = "$PWD/models/face_detection_short_range.json"
[socket]
path = "$2/mesh.sock"
[log]
level = "notice"
CONF
}
