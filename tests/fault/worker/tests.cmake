# vmrelay-worker killed with SIGKILL again and again while a stream of
# requests flows: no request lost, none run twice, replays equal the
# original outcome.
vmrelay_test(worker-kill TIER fault
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-kill.c
                     ${VMRELAY_TESTS_DIR}/e2e/journal/harness.c
             LIBS vmrelay-worker-core
             FIXTURES embedded_kafka TIMEOUT 600)
target_include_directories(test-worker-kill PRIVATE ${VMRELAY_TESTS_DIR}/e2e/journal)
add_dependencies(test-worker-kill vmrelay-worker)
