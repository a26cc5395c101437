#!/usr/bin/env bash
# Regenerates Sources/InferenceCore/ONNX/onnx.pb.swift from tools/proto/onnx.proto.
#
# onnx.proto is copied unchanged from the ONNX project (onnx 1.23.2, https://github.com/onnx/onnx),
# SPDX-License-Identifier: Apache-2.0, Copyright (c) ONNX Project Contributors.
#
# Needs `protoc` (Debian: apt-get install protobuf-compiler) and the swift-protobuf plugin, built once:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   git -C /tmp/swift-protobuf checkout 1.39.0
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
# then: PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift tools/generate-onnx-proto.sh
# CI never runs this: the generated file is committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
plugin="${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}"
[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin (set PROTOC_GEN_SWIFT)" >&2; exit 1; }
protoc --plugin="protoc-gen-swift=$plugin" \
  --proto_path="$root/tools/proto" \
  --swift_opt=Visibility=Internal \
  --swift_out="$root/Sources/InferenceCore/ONNX" \
  "$root/tools/proto/onnx.proto"
echo "wrote Sources/InferenceCore/ONNX/onnx.pb.swift"
