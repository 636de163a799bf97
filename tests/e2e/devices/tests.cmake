# The device operations through the whole pipeline (libvirt test driver).
add_test(NAME e2e/devices-embedded-kafka
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_devices.py embedded-kafka)
set_tests_properties(e2e/devices-embedded-kafka PROPERTIES
    LABELS e2e TIMEOUT 300
    FIXTURES_REQUIRED "embedded_kafka;apiserver"
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
