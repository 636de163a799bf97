# libvirt peers as ctest fixtures.
#
# FIXTURES guest: tests/env/guest/build.sh builds the tiny guest (the host's
# Debian kernel and a busybox initramfs) into ~/.cache/vmrelay/guest, about
# half a second cold and a hash check warm, and writes
# <peers>/guest/{kernel,initrd}.
#
# FIXTURES libvirtd: tests/env/libvirt.sh starts virtlogd and libvirtd with
# the QEMU driver in their own mount namespace and writes <peers>/libvirt/uri
# and <peers>/libvirt/accel (kvm or tcg); the stop destroys what domains are
# left running. The two fixtures are independent: a test booting the guest
# names both.
#
# The test driver needs no fixture: test:///default, or
# test://${VMRELAY_TESTS_DIR}/env/libvirt/testnode.xml for the richer node.
add_test(NAME env/guest-build COMMAND ${VMRELAY_TESTS_DIR}/env/guest/build.sh)
set_tests_properties(env/guest-build PROPERTIES
    FIXTURES_SETUP guest
    LABELS smoke
    TIMEOUT 120
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")

# Starting probes QEMU's capabilities (about 6 s); stopping waits for
# domains to be destroyed.
add_test(NAME env/libvirtd-start COMMAND ${VMRELAY_TESTS_DIR}/env/libvirt.sh start)
add_test(NAME env/libvirtd-stop COMMAND ${VMRELAY_TESTS_DIR}/env/libvirt.sh stop)
set_tests_properties(env/libvirtd-start PROPERTIES FIXTURES_SETUP libvirtd TIMEOUT 90)
set_tests_properties(env/libvirtd-stop PROPERTIES FIXTURES_CLEANUP libvirtd TIMEOUT 90)
set_tests_properties(env/libvirtd-start env/libvirtd-stop PROPERTIES
    LABELS smoke
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")
