vmrelay_test(bridge-plan TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-plan.c
             LIBS vmrelay-bridge-core)
vmrelay_test(outcome TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-outcome.c
             LIBS vmrelay-producer)
vmrelay_test(status-decide TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-decide.c
             LIBS vmrelay-producer)
vmrelay_test(fleet TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-fleet.c
             LIBS vmrelay-producer)
vmrelay_test(heartbeat TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-heartbeat.c)
