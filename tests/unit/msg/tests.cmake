# Wire messages, operation catalogue, validation and XML to JSON.
vmrelay_test(msg-message TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-message.c)
vmrelay_test(msg-catalog TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-catalog.c
             ${CMAKE_CURRENT_LIST_DIR}/render-operations.c)
vmrelay_test(msg-validate TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-validate.c)
vmrelay_test(msg-optstring TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-optstring.c)
vmrelay_test(msg-xml2json TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-xml2json.c)
# The Tests table of docs/operations.md names real tests that run each
# operation (tests/operation-coverage.json).
add_test(NAME unit/operation-coverage
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_coverage.py ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR})
set_tests_properties(unit/operation-coverage PROPERTIES LABELS unit TIMEOUT 60)
