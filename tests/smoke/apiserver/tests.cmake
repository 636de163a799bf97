# Checks the API server peer itself: CRDs served, create, LIST, WATCH,
# spec and /status merge patches with their effect on metadata.generation.
add_test(NAME smoke/apiserver
    COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/apiserver_smoke.py)
set_tests_properties(smoke/apiserver PROPERTIES
    LABELS smoke
    TIMEOUT 120
    FIXTURES_REQUIRED apiserver
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
