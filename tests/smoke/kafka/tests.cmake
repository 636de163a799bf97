# One round trip (produce, consume in a group, commit, resume) on each kind
# of Kafka vmrelay runs on.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(test-kafka-roundtrip ${_dir}/test-kafka-roundtrip.c)
target_link_libraries(test-kafka-roundtrip PRIVATE vmrelay-testlib)
foreach(_where kafka embedded-kafka in-process)
    add_test(NAME smoke/kafka-roundtrip-${_where} COMMAND test-kafka-roundtrip ${_where})
    set_tests_properties(smoke/kafka-roundtrip-${_where} PROPERTIES
        LABELS smoke TIMEOUT 180
        ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
endforeach()
set_tests_properties(smoke/kafka-roundtrip-kafka PROPERTIES FIXTURES_REQUIRED kafka)
set_tests_properties(smoke/kafka-roundtrip-embedded-kafka PROPERTIES
    FIXTURES_REQUIRED embedded_kafka)
