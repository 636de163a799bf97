# The whole pipeline on the real broker and API server, libvirt test driver.
foreach(broker kafka embedded-kafka)
    string(REPLACE "-" "_" fixture ${broker})
    add_test(NAME e2e/pipeline-${broker}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_pipeline.py ${broker})
    set_tests_properties(e2e/pipeline-${broker} PROPERTIES
        LABELS e2e TIMEOUT 300
        FIXTURES_REQUIRED "${fixture};apiserver"
        ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
