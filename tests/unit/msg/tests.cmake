# Wire messages, operation catalogue, validation and XML to JSON.
vmrelay_test(msg-message TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-message.c)
vmrelay_test(msg-catalog TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-catalog.c
             ${CMAKE_CURRENT_LIST_DIR}/render-operations.c)
vmrelay_test(msg-validate TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-validate.c)
vmrelay_test(msg-optstring TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-optstring.c)
vmrelay_test(msg-xml2json TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-xml2json.c)
