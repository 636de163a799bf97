vmrelay_test(k8s-watch-parser TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-watch-parser.c)
vmrelay_test(k8s-config TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-config.c)
vmrelay_test(k8s-path TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-path.c)
vmrelay_test(k8s-informer TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-informer.c)
