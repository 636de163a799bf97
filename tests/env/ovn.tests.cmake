# The "ovn" peer fixture: a standalone ovsdb-server with a fresh OVN
# northbound database on a unix socket under the build tree (ovn.sh).
# Tests that drive the worker's OVN switch backend name FIXTURES ovn and
# read the address with peer_value("ovn", "nb").
add_test(NAME env/ovn-start COMMAND ${VMRELAY_TESTS_DIR}/env/ovn.sh start)
add_test(NAME env/ovn-stop COMMAND ${VMRELAY_TESTS_DIR}/env/ovn.sh stop)
set_tests_properties(env/ovn-start PROPERTIES FIXTURES_SETUP ovn TIMEOUT 60)
set_tests_properties(env/ovn-stop PROPERTIES FIXTURES_CLEANUP ovn TIMEOUT 60)
set_tests_properties(env/ovn-start env/ovn-stop PROPERTIES
    LABELS smoke
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
