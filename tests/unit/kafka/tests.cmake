vmrelay_test(kafka-helpers TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-helpers.c)
vmrelay_test(kafka-dlq TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-dlq.c)
