# `vmrelay fleet` and `vmrelay dlq` against real workers on the embedded
# broker, and the worker's metrics endpoint.
add_test(NAME e2e/fleet-dlq COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_fleet_dlq.py)
set_tests_properties(e2e/fleet-dlq PROPERTIES
    LABELS e2e TIMEOUT 180
    FIXTURES_REQUIRED embedded_kafka
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")

add_test(NAME e2e/worker-metrics COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_worker_metrics.py)
set_tests_properties(e2e/worker-metrics PROPERTIES
    LABELS e2e TIMEOUT 180
    FIXTURES_REQUIRED embedded_kafka
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")

# Scheduling onto the node with room, a lost node said in the resource, and
# a domain defined and undefined by hand on the libvirtd peer.
add_test(NAME e2e/fleet-pipeline COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_fleet_pipeline.py)
set_tests_properties(e2e/fleet-pipeline PROPERTIES
    LABELS e2e TIMEOUT 300
    FIXTURES_REQUIRED "embedded_kafka;apiserver;libvirtd"
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
