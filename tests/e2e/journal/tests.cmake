# The node journal and the parallel, ordered worker, end to end on the
# embedded broker (no API server: requests go straight to Kafka).
vmrelay_test(journal TIER e2e
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-journal-e2e.c
                     ${CMAKE_CURRENT_LIST_DIR}/harness.c
             LIBS vmrelay-worker-core
             FIXTURES embedded_kafka TIMEOUT 300)
target_include_directories(test-journal PRIVATE ${CMAKE_CURRENT_LIST_DIR})
add_dependencies(test-journal vmrelay-worker)
