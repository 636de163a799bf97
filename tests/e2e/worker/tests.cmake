# vmrelay-worker as a process on the embedded broker and libvirt's test
# driver.
vmrelay_test(worker TIER e2e SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-e2e.c
             FIXTURES embedded_kafka TIMEOUT 240)
add_dependencies(test-worker vmrelay-worker)
