vmrelay_test(config TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-config.c)
