# Every storage operation end to end (bridge, Kafka, worker on the libvirt
# test driver with storagenode.xml, status writer), one test per kind.
foreach(kind snapshot pool disk diskimage image)
    add_test(NAME e2e/storage-${kind}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_storage.py ${kind} embedded-kafka)
    set_tests_properties(e2e/storage-${kind} PROPERTIES
        LABELS e2e TIMEOUT 300
        FIXTURES_REQUIRED "embedded_kafka;apiserver"
        ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
