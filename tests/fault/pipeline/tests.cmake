# Faults injected into the whole pipeline (bridge, real Kafka, two workers
# on the libvirt test driver, status writer, API server) while a stream of
# requests flows; after each run: nothing lost, nothing run twice.
#   status     vmrelay-status killed with SIGKILL 4-5 times
#   bridge     vmrelay-bridge killed with SIGKILL 4-5 times
#   kafka      the real broker stopped and started twice
#   apiserver  the API server stopped and started twice, etcd data kept
# The last two restart a shared peer, so they run alone.
foreach(fault status bridge kafka apiserver)
    add_test(NAME fault/pipeline-${fault}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_fault_pipeline.py ${fault} kafka)
    set_tests_properties(fault/pipeline-${fault} PROPERTIES
        LABELS fault TIMEOUT 300
        FIXTURES_REQUIRED "kafka;apiserver"
        ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
set_tests_properties(fault/pipeline-kafka fault/pipeline-apiserver PROPERTIES RUN_SERIAL TRUE)
