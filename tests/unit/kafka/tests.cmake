vmrelay_test(kafka-helpers TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-helpers.c)
