# The vmrelay CLI end to end.
#
# submit: a vmrelay-worker on libvirt's test driver and the embedded broker;
# requests go through "vmrelay submit --wait".
vmrelay_test(cli-submit TIER e2e SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-cli-submit.c
             FIXTURES embedded_kafka TIMEOUT 240)
add_dependencies(test-cli-submit vmrelay-cli vmrelay-worker)

# demo: the whole pipeline in one command (embedded Kafka in process, its
# own API server, two workers, bridge and status writer); passes when every
# sample VM finished its sequence with the expected reasons. The API server
# listens on ports of its own here, and the lock keeps it from starting
# beside another test that starts one.
add_test(NAME e2e/cli-demo
         COMMAND vmrelay-cli demo --source-dir ${PROJECT_SOURCE_DIR}
                 --state-dir ${CMAKE_BINARY_DIR}/cli-demo --nodes 2 --timeout 150)
set_tests_properties(e2e/cli-demo PROPERTIES
    LABELS e2e
    TIMEOUT 600
    RESOURCE_LOCK apiserver-ports
    ENVIRONMENT "VMRELAY_APISERVER_PORT=26443;VMRELAY_APISERVER_ETCD_PORT=22379")
