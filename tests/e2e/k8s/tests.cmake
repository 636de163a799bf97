vmrelay_test(k8s-apiserver TIER smoke SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-apiserver.c
             FIXTURES apiserver TIMEOUT 180)
