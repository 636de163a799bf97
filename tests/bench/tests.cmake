# The benchmark suite of bench/ (docs/benchmarks.md).
#
# The load generator is C (speed matters: it must outrun the worker) and is
# built here because bench/ is outside the CMake tree; bench/run finds it in
# the build folder. The short mode runs every benchmark that needs no API
# server on a small scale, in seconds, and asserts only that the harness
# works and nothing was lost, never a timing.
add_executable(vmrelay-bench-load ${PROJECT_SOURCE_DIR}/bench/loadgen/load.c)
target_link_libraries(vmrelay-bench-load PRIVATE rdkafka pthread)

add_test(NAME bench/short
    COMMAND ${PROJECT_SOURCE_DIR}/bench/run --short
        --out ${CMAKE_BINARY_DIR}/tests-tmp/bench-short)
set_tests_properties(bench/short PROPERTIES
    LABELS bench
    TIMEOUT 300
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR};VMRELAY_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
