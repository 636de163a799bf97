# The device operations in process against the libvirtd peer (QEMU) and
# the tiny guest. TCG boots the guest in 6 to 30 s; hot-unplugs wait for the
# guest's acknowledgement.
vmrelay_test(devices-qemu TIER real
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-devices-qemu.c
            ${PROJECT_SOURCE_DIR}/tests/real/libvirt/guest.c
    LIBS vmrelay-worker-core PkgConfig::LIBVIRT
    FIXTURES libvirtd guest
    TIMEOUT 400)

# migrateVM between the libvirtd fixture and a second peer the test starts
# and stops itself (<binary dir>/peers-migrate).
vmrelay_test(devices-migrate TIER real
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-devices-migrate.c
    LIBS vmrelay-worker-core PkgConfig::LIBVIRT
    FIXTURES libvirtd
    TIMEOUT 300)
