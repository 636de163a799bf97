# Boots the tiny guest on the libvirtd peer. With TCG (no usable KVM) the
# boot alone takes 6 to 30 s, hence the generous timeout.
vmrelay_test(libvirt-lifecycle TIER real
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-lifecycle.c ${CMAKE_CURRENT_LIST_DIR}/guest.c
    LIBS PkgConfig::LIBVIRT
    FIXTURES libvirtd guest
    TIMEOUT 300)
