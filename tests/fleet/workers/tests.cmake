# Many workers on one machine, each its own node, on the embedded broker.
add_test(NAME fleet/workers COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_fleet_workers.py)
set_tests_properties(fleet/workers PROPERTIES
    LABELS fleet TIMEOUT 120 RUN_SERIAL TRUE
    FIXTURES_REQUIRED embedded_kafka
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
