vmrelay_test(libvirt-testdriver TIER smoke
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-testdriver.c
    LIBS PkgConfig::LIBVIRT
    ARGS ${VMRELAY_TESTS_DIR}/env/libvirt/testnode.xml)
