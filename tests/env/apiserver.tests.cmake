# The "apiserver" peer fixture: a real Kubernetes API server
# (apiextensions-apiserver + embedded etcd) with vmrelay's seven CRDs.
# Start builds the server when its cache is cold (several minutes on two
# cores); .ci/run calls "tests/env/apiserver.sh install" first so that the
# fixture itself only starts it, but the timeout still allows a cold build.
add_test(NAME env/apiserver-start
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/apiserver.sh start)
add_test(NAME env/apiserver-stop
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/apiserver.sh stop)
set_tests_properties(env/apiserver-start PROPERTIES
    FIXTURES_SETUP apiserver
    LABELS smoke
    TIMEOUT 1800
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
set_tests_properties(env/apiserver-stop PROPERTIES
    FIXTURES_CLEANUP apiserver
    LABELS smoke
    TIMEOUT 60
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
