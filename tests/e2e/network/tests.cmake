# createSwitch and deleteSwitch end to end (bridge, Kafka, worker, status
# writer), one test per switch backend: libvirt networks on the test driver
# with networknode.xml, and OVN against the "ovn" peer's northbound database.
foreach(backend libvirt ovn)
    set(_fixtures "embedded_kafka;apiserver")
    if(backend STREQUAL "ovn")
        set(_fixtures "embedded_kafka;apiserver;ovn")
    endif()
    add_test(NAME e2e/network-${backend}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_network.py ${backend} embedded-kafka)
    set_tests_properties(e2e/network-${backend} PROPERTIES
        LABELS e2e TIMEOUT 300
        FIXTURES_REQUIRED "${_fixtures}"
        ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
