vmrelay_test(metrics TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-metrics.c)
