#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds and runs the storage fuzz targets (fuzz_init, fuzz_slots) with
# libFuzzer, ASan and UBSan. Needs clang and its compiler-rt (Debian: clang,
# libclang-rt-14-dev or the version matching clang).
#
#   tests/fuzz/run_store.sh build              build into build/fuzz-store/
#   tests/fuzz/run_store.sh seeds              regenerate tests/fuzz/corpus/{init,slots}/
#   tests/fuzz/run_store.sh run [SECONDS]      run each target SECONDS (default 60)
#                                              on a copy of its committed corpus
#
# Each run prints libFuzzer's final stats line (executions, exec/s, cov, ft)
# and fails if the target finds a crash, an oracle failure or a sanitizer error
# (the reproducer is left in build/fuzz-store/).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/build/fuzz-store"
CC="${CC:-clang}"
SRCS=(cd_core cd_crc cd_dump cd_frame cd_proto cd_ring cd_status)
LIB=()
for s in "${SRCS[@]}"; do LIB+=("$ROOT/firmware/src/$s.c"); done
INC=(-I"$ROOT/firmware/include" -I"$ROOT/firmware/src" -I"$ROOT/tests/unit" -I"$ROOT/tests/unit/host_arch")
CFLAGS=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -DCD_ENABLE_FAULT_CMDS=1)
SAN=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
TARGETS=(init slots)

build() {
    mkdir -p "$OUT"
    for t in "${TARGETS[@]}"; do
        "$CC" "${CFLAGS[@]}" "${SAN[@]}" "${INC[@]}" -o "$OUT/fuzz_$t" \
            "$ROOT/tests/fuzz/fuzz_$t.c" "${LIB[@]}" "$ROOT/tests/unit/fake_port.c"
    done
}

seeds() {
    mkdir -p "$OUT"
    "$CC" "${CFLAGS[@]}" -fsanitize=address,undefined "${INC[@]}" -o "$OUT/make_seeds" \
        "$ROOT/tests/fuzz/make_seeds.c" "${LIB[@]}" "$ROOT/tests/unit/fake_port.c"
    for t in "${TARGETS[@]}"; do
        rm -rf "$ROOT/tests/fuzz/corpus/$t"
        mkdir -p "$ROOT/tests/fuzz/corpus/$t"
    done
    "$OUT/make_seeds" "$ROOT/tests/fuzz/corpus"
    for t in "${TARGETS[@]}"; do
        echo "corpus $t: $(ls "$ROOT/tests/fuzz/corpus/$t" | wc -l) seeds"
    done
}

run() {
    local secs="${1:-60}"
    build
    for t in "${TARGETS[@]}"; do
        local work="$OUT/corpus-$t"
        rm -rf "$work"
        mkdir -p "$work"
        cp "$ROOT/tests/fuzz/corpus/$t/"* "$work/"
        echo "== fuzz_$t for ${secs}s"
        (cd "$OUT" && "./fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
            -max_len=16384 "$work" 2>"$OUT/fuzz_$t.log") || {
            tail -40 "$OUT/fuzz_$t.log"
            echo "fuzz_$t: FINDING (log: $OUT/fuzz_$t.log)"
            return 1
        }
        grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" \
            "$OUT/fuzz_$t.log" || true
    done
}

case "${1:-run}" in
    build) build ;;
    seeds) seeds ;;
    run) shift || true; run "${1:-60}" ;;
    *) echo "usage: $0 build|seeds|run [SECONDS]" >&2; exit 2 ;;
esac
