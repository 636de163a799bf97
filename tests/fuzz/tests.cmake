# Fuzzing (tier "fuzz") and the replay of the fuzz corpus (tier "unit").
#
# fuzz/build compiles the libFuzzer targets with clang into <build>/fuzz,
# a project of its own (tests/fuzz/CMakeLists.txt); each fuzz/<target>
# then runs one target for VMRELAY_FUZZ_SECONDS (default 15) through
# tests/fuzz/run.sh, which fails on any crash, leak, sanitizer report or
# timeout and leaves the reproducer under <build>/fuzz/artifacts/<target>/.
#
# unit/fuzz-replay-<target> needs no clang: the same harness, built with
# the main compiler, runs over every seed and reproducer kept in
# tests/fuzz/corpus/<target>/.
file(GLOB VMRELAY_FUZZ_HARNESSES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fuzz-*.c)
set(VMRELAY_FUZZ_RUN ${CMAKE_CURRENT_LIST_DIR}/run.sh)
set(VMRELAY_FUZZ_ENV "VMRELAY_FUZZ_BUILD_DIR=${CMAKE_BINARY_DIR}/fuzz")

# VMRELAY_FUZZ=ON also builds the targets with the rest of the tree.
if(VMRELAY_FUZZ)
    add_custom_target(fuzz-targets ALL COMMAND ${CMAKE_COMMAND} -E env ${VMRELAY_FUZZ_ENV}
                      ${VMRELAY_FUZZ_RUN} build USES_TERMINAL)
endif()

find_program(VMRELAY_CLANG clang)
if(VMRELAY_CLANG)
    add_test(NAME fuzz/build COMMAND ${VMRELAY_FUZZ_RUN} build)
    set_tests_properties(fuzz/build PROPERTIES
        LABELS fuzz FIXTURES_SETUP fuzz_targets TIMEOUT 900 ENVIRONMENT "${VMRELAY_FUZZ_ENV}")
endif()

foreach(harness ${VMRELAY_FUZZ_HARNESSES})
    get_filename_component(target ${harness} NAME_WE)
    string(REGEX REPLACE "^fuzz-" "" target ${target})
    if(VMRELAY_CLANG)
        add_test(NAME fuzz/${target} COMMAND ${VMRELAY_FUZZ_RUN} run ${target})
        # libFuzzer stops on its own clock (and after 10 s on one input);
        # this timeout only lets VMRELAY_FUZZ_SECONDS be raised freely.
        set_tests_properties(fuzz/${target} PROPERTIES
            LABELS fuzz FIXTURES_REQUIRED fuzz_targets TIMEOUT 3600
            ENVIRONMENT "${VMRELAY_FUZZ_ENV}")
    endif()
    vmrelay_test(fuzz-replay-${target} TIER unit
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/replay.c ${harness}
                 ARGS ${CMAKE_CURRENT_LIST_DIR}/corpus/${target}
                 LIBS vmrelay-bridge-core)
endforeach()

vmrelay_test(fuzz-findings TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-fuzz-findings.c)
