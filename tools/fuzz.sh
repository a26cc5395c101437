#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (-sanitize=fuzzer,address) of the mesh protocol's decoder and the config
# reader. Each target is its module's sources compiled together with Fuzz/<Target>.swift; the SwiftPM build does not
# see any of it.
#
#   tools/fuzz.sh [SECONDS]          run each target for SECONDS (default 60) from its committed seed corpus
#   tools/fuzz.sh --runs N           run each target for N executions instead (CI: a short fixed amount)
#
# New inputs go to .build/fuzz/<target>-corpus (the committed Fuzz/corpus/<target> is only read); crashes go to
# .build/fuzz/<target>-findings and make the script fail: copy each into Fuzz/corpus/<target> once fixed, so the
# corpus replays it. Prints executions and coverage (edges) per target.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time="${1:-60}")
if [ "${1:-}" = "--runs" ]; then limit=(-runs="${2:?--runs needs a count}"); fi
out=.build/fuzz
mkdir -p "$out"
declare -A sources=(
    [protocol-decoder]="Sources/MeshProtocol/*.swift Fuzz/ProtocolDecoder.swift"
    [config-reader]="Sources/DaemonConfiguration/*.swift Fuzz/ConfigReader.swift"
)
status=0
for target in protocol-decoder config-reader; do
    # shellcheck disable=SC2086
    if ! swiftc -O -parse-as-library -module-name "Fuzz_${target//-/_}" -sanitize=fuzzer,address \
        -target-cpu haswell ${sources[$target]} -o "$out/$target" > "$out/$target.build.log" 2>&1; then
        cat "$out/$target.build.log"
        exit 1
    fi
    mkdir -p "$out/$target-corpus" "$out/$target-findings"
    log="$out/$target.log"
    set +e
    # Swift's own crash backtracer is not wanted here: libFuzzer and AddressSanitizer report the finding.
    # Replays the committed corpus first (every seed and past finding), then mutates.
    SWIFT_BACKTRACE=enable=no "$out/$target" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$out/$target-findings/" \
        "$out/$target-corpus" "Fuzz/corpus/$target" > "$log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "$target: $runs executions, coverage $coverage edges, exit $code (log $log)"
    if [ "$code" -ne 0 ]; then
        status=1
        grep -m 5 -E 'ERROR|Fatal error|deadly signal|SUMMARY' "$log" || true
    fi
done
exit "$status"
