# Node events mirrored into resources by the status writer.
add_test(NAME e2e/mirror COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_mirror.py embedded-kafka)
set_tests_properties(e2e/mirror PROPERTIES
    LABELS e2e TIMEOUT 180
    FIXTURES_REQUIRED "embedded_kafka;apiserver"
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
