#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (-sanitize=fuzzer,address) of everything the daemon reads from outside:
# the mesh protocol's decoder and the server's per-client state machine, the config reader, the detector and
# regressor sidecars, the face-model file, the ONNX importer and planner, and video files through VideoIngest's FFmpeg
# wrapper (FFmpeg's demuxers probing the bytes; the system's FFmpeg, not instrumented). Each target is the sources it drives
# compiled together with Fuzz/<Target>.swift, linked against library modules compiled here once (MeshProtocol,
# UnixSocket, InferenceCore and the modules under it, FaceModel, ProcessorSupport: instrumented too; SwiftProtobuf: `swift build`'s own, not
# ours to fuzz). The SwiftPM build does not see any of it.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     run each target for SECONDS (default 60) from its committed seed corpus
#   tools/fuzz.sh --runs N [TARGET...]      run each target for N executions instead (CI: a short fixed amount)
#
# Targets (all when none is named): protocol-decoder client-state-machine config-reader detector-sidecar
# regressor-sidecar face-model-file onnx-model video-demuxer. New inputs go to .build/fuzz/<target>-corpus (the committed
# Fuzz/corpus/<target> is only read); crashes, hangs (an input taking over 10 s) and out-of-memory go to
# .build/fuzz/<target>-findings and make the script fail: copy each into Fuzz/corpus/<target> once fixed, so the
# corpus replays it. Prints executions and coverage (edges) per target.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time="${1:-60}")
if [ "${1:-}" = "--runs" ]; then
    limit=(-runs="${2:?--runs needs a count}")
    shift 2
elif [ $# -gt 0 ]; then
    shift
fi
all=(protocol-decoder client-state-machine config-reader detector-sidecar regressor-sidecar face-model-file onnx-model
    video-demuxer)
targets=("$@")
[ $# -gt 0 ] || targets=("${all[@]}")
out=.build/fuzz
modules="$out/modules"
mkdir -p "$out" "$modules"

tracking=Sources/FaceTracking
declare -A sources=(
    [protocol-decoder]="Sources/MeshProtocol/*.swift Fuzz/ProtocolDecoder.swift"
    [client-state-machine]="Sources/MeshPublisher/*.swift Fuzz/ClientStateMachine.swift"
    [config-reader]="Sources/DaemonConfiguration/*.swift Fuzz/ConfigReader.swift"
    [detector-sidecar]="$tracking/DetectorSpecification.swift $tracking/DetectionDecoder.swift $tracking/DetectorView.swift
        $tracking/FaceDetection.swift $tracking/FaceTrackingError.swift Fuzz/Support.swift Fuzz/DetectorSidecar.swift"
    [regressor-sidecar]="Sources/FaceRegression/RegressorSpecification.swift Sources/FaceRegression/FaceRegressionError.swift
        Sources/FaceRegression/CropConvention.swift Fuzz/Support.swift Fuzz/RegressorSidecar.swift"
    [face-model-file]="Sources/FaceModel/*.swift Fuzz/Support.swift Fuzz/FaceModelFile.swift"
    [onnx-model]="Fuzz/Support.swift Fuzz/ONNXModel.swift"
    [video-demuxer]="$(printf 'Sources/VideoIngest/%s.swift ' FFmpegSource FFmpegError FrameSource InterruptibleFileInput \
        PixelConverter SourceInterruption VideoFrame VideoIngestError) Fuzz/Support.swift Fuzz/VideoDemuxer.swift"
)
# Compiler flags of single targets: the FFmpeg headers' module map (the libraries are linked by its `link` lines).
declare -A flags=(
    [video-demuxer]="-I Sources/CFFmpeg"
)
# InferenceCore and what it is made of: the engine's sources compiled once per kernel level (Package.swift).
inference="CProcessorFeatures ProcessorSupport InferenceGraph InferenceEngineAVX2 InferenceEngineAVX512 InferenceCore"
# Library modules each target links, in build order.
declare -A needs=(
    [client-state-machine]="MeshProtocol MonotonicTime UnixSocket"
    [video-demuxer]="MonotonicTime"
    [regressor-sidecar]="SwiftProtobuf $inference FaceModel FaceTracking"
    [onnx-model]="SwiftProtobuf $inference"
)
# Options of single targets. Foundation's Data(contentsOf:) leaks 4 KiB reading an empty file (not ours, and once per
# model load in the daemon), so the targets that read a file by path do not count leaks.
declare -A options=(
    [detector-sidecar]=-detect_leaks=0
    [regressor-sidecar]=-detect_leaks=0
    [face-model-file]=-detect_leaks=0
)
declare -A moduleSources=(
    [MeshProtocol]="Sources/MeshProtocol/*.swift"
    [UnixSocket]="Sources/UnixSocket/*.swift"
    [MonotonicTime]="Sources/MonotonicTime/*.swift"
    # The crop geometry only: the rest of FaceTracking needs VideoIngest and its C libraries.
    [FaceTracking]="$tracking/CropFraming.swift $tracking/CropRegion.swift $tracking/FaceDetection.swift"
    [ProcessorSupport]="Sources/ProcessorSupport/*.swift"
    [InferenceGraph]="Sources/InferenceGraph/*.swift Sources/InferenceGraph/*/*.swift"
    [InferenceEngineAVX2]="Sources/InferenceEngine/*/*.swift"
    [InferenceEngineAVX512]="Sources/InferenceEngine/*/*.swift"
    [InferenceCore]="Sources/InferenceCore/*/*.swift"
    [FaceModel]="Sources/FaceModel/*.swift"
)

# Code generation per module: the AVX-512 engine as Package.swift's `avx512Level` (compiled, linked, never run
# here unless the CPU has AVX-512), everything else x86-64-v3.
avx512=(-target-cpu znver4 -D INFERENCECORE_AVX512)
for feature in avx512bf16 avx512bitalg avx512ifma avx512vbmi avx512vbmi2 avx512vnni avx512vpopcntdq gfni vaes vpclmulqdq \
    sse4a sha adx clzero mwaitx rdpru wbnoinvd; do
    avx512+=(-Xcc "-mno-$feature")
done
swiftFlags=(-package-name occlumesh -I Sources/CProcessorFeatures/include)

# Compiles library module $1 into $modules (unless it is newer than its sources), instrumented for coverage and
# checked by AddressSanitizer. SwiftProtobuf is not ours to fuzz: it is `swift build`'s own (debug) build of it.
build_module() {
    local name=$1 object="$modules/$1.o"
    if [ "$name" = SwiftProtobuf ]; then
        swift build --target SwiftProtobuf > "$modules/$name.build.log" 2>&1 || { cat "$modules/$name.build.log"; exit 1; }
        cp .build/debug/Modules/SwiftProtobuf.swiftmodule "$modules/"
        objects+=(.build/debug/SwiftProtobuf.build/*.o)
        return 0
    fi
    objects+=("$object")
    if [ "$name" = CProcessorFeatures ]; then
        clang -O2 -fsanitize=fuzzer-no-link,address -I Sources/CProcessorFeatures/include \
            -c Sources/CProcessorFeatures/processor_features.c -o "$object"
        return 0
    fi
    local cpu=(-target-cpu haswell)
    [ "$name" = InferenceEngineAVX512 ] && cpu=("${avx512[@]}")
    # shellcheck disable=SC2086
    if [ -f "$object" ] && [ -z "$(find ${moduleSources[$name]} -newer "$object" | head -1)" ]; then return 0; fi
    # shellcheck disable=SC2086
    if ! swiftc -O -wmo -parse-as-library -module-name "$name" "${cpu[@]}" "${swiftFlags[@]}" -sanitize=fuzzer,address \
        -I "$modules" -emit-module -emit-module-path "$modules/$name.swiftmodule" -c ${moduleSources[$name]} \
        -o "$object" > "$modules/$name.build.log" 2>&1; then
        cat "$modules/$name.build.log"
        exit 1
    fi
}

status=0
for target in "${targets[@]}"; do
    [ -n "${sources[$target]:-}" ] || { echo "fuzz.sh: no target '$target' (targets: ${all[*]})" >&2; exit 2; }
    objects=()
    for module in ${needs[$target]:-}; do
        build_module "$module"
    done
    # shellcheck disable=SC2086
    if ! swiftc -O -parse-as-library -module-name "Fuzz_${target//-/_}" -sanitize=fuzzer,address \
        -target-cpu haswell "${swiftFlags[@]}" -I "$modules" ${flags[$target]:-} ${sources[$target]} "${objects[@]}" -o "$out/$target" \
        > "$out/$target.build.log" 2>&1; then
        cat "$out/$target.build.log"
        exit 1
    fi
    mkdir -p "$out/$target-corpus" "$out/$target-findings"
    log="$out/$target.log"
    set +e
    # Swift's own crash backtracer is not wanted here: libFuzzer and AddressSanitizer report the finding.
    # Replays the committed corpus first (every seed and past finding), then mutates.
    leaks=1
    [ "${options[$target]:-}" = -detect_leaks=0 ] && leaks=0
    # shellcheck disable=SC2086
    ASAN_OPTIONS="detect_leaks=$leaks" SWIFT_BACKTRACE=enable=no "$out/$target" "${limit[@]}" -timeout=10 \
        ${options[$target]:-} -print_final_stats=1 -artifact_prefix="$out/$target-findings/" \
        "$out/$target-corpus" "Fuzz/corpus/$target" > "$log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "$target: $runs executions, coverage $coverage edges, exit $code (log $log)"
    if [ "$code" -ne 0 ]; then
        status=1
        grep -m 5 -E 'ERROR|Fatal error|deadly signal|SUMMARY|timeout|out-of-memory' "$log" || true
    fi
done
exit "$status"
