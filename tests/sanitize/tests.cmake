# Sanitizers and valgrind over the test suite.
#
# unit/asan: the whole tree built with -DVMRELAY_SANITIZE=ON into
#   <build>/asan, then its unit tier (tests/sanitize/asan.sh).
# unit/valgrind-<test>: the unit tests of the parsers of outside input,
#   and the replay of the fuzz corpus, under memcheck.
# e2e/worker-valgrind: vmrelay-worker under memcheck through a short
#   session on the embedded broker.
#
# None of them is registered inside the sanitizer build itself: that would
# recurse, and valgrind cannot run ASan programs.
if(VMRELAY_SANITIZE)
    return()
endif()

set(VMRELAY_SANITIZE_DIR ${CMAKE_CURRENT_LIST_DIR})

add_test(NAME unit/asan COMMAND ${VMRELAY_SANITIZE_DIR}/asan.sh ${CMAKE_BINARY_DIR}/asan)
# A cold build of the tree with the sanitizers takes minutes on two cores.
set_tests_properties(unit/asan PROPERTIES LABELS unit TIMEOUT 1800 RUN_SERIAL TRUE)

# The unit tests whose subject is a parser of outside input.
set(VMRELAY_VALGRIND_UNITS msg-message msg-xml2json msg-optstring msg-validate
    k8s-watch-parser k8s-config config bridge-plan fuzz-findings kafka-dlq)

# Registered once every tests.cmake has run, so that the test programs of
# other folders exist and a renamed one is skipped, not a configure error.
function(vmrelay_sanitize_register_valgrind)
    find_program(VMRELAY_VALGRIND valgrind)
    if(NOT VMRELAY_VALGRIND)
        message(STATUS "valgrind not found: the valgrind tests are not registered")
        return()
    endif()
    foreach(name ${VMRELAY_VALGRIND_UNITS})
        if(TARGET test-${name})
            # The same environment as the test itself (where its data is).
            get_test_property(unit/${name} ENVIRONMENT env)
            add_test(NAME unit/valgrind-${name}
                     COMMAND ${VMRELAY_SANITIZE_DIR}/valgrind.sh $<TARGET_FILE:test-${name}>)
            set_tests_properties(unit/valgrind-${name} PROPERTIES LABELS unit TIMEOUT 300
                                 ENVIRONMENT "${env}")
        endif()
    endforeach()
    file(GLOB harnesses ${VMRELAY_TESTS_DIR}/fuzz/fuzz-*.c)
    foreach(harness ${harnesses})
        get_filename_component(target ${harness} NAME_WE)
        string(REGEX REPLACE "^fuzz-" "" target ${target})
        if(TARGET test-fuzz-replay-${target})
            add_test(NAME unit/valgrind-fuzz-replay-${target}
                     COMMAND ${VMRELAY_SANITIZE_DIR}/valgrind.sh
                             $<TARGET_FILE:test-fuzz-replay-${target}>
                             ${VMRELAY_TESTS_DIR}/fuzz/corpus/${target})
            set_tests_properties(unit/valgrind-fuzz-replay-${target} PROPERTIES
                LABELS unit TIMEOUT 300)
        endif()
    endforeach()
endfunction()
cmake_language(DEFER CALL vmrelay_sanitize_register_valgrind)

vmrelay_test(worker-valgrind TIER e2e SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-valgrind.c
             FIXTURES embedded_kafka TIMEOUT 600
             ENV VMRELAY_VALGRIND_SH=${VMRELAY_SANITIZE_DIR}/valgrind.sh)
add_dependencies(test-worker-valgrind vmrelay-worker)
