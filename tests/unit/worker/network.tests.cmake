# The switch operations (createSwitch, deleteSwitch): the subnet parser, the
# derived MAC, the spec.data builder and the settings; and the libvirt
# backend through the registry on libvirt's in-process test driver. The OVN
# backend runs against a real northbound database in tests/e2e/network/.
vmrelay_test(worker-network TIER unit
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-network.c
             LIBS vmrelay-worker-ops)
vmrelay_test(worker-switch TIER unit
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-switch.c
             LIBS vmrelay-worker-ops TIMEOUT 60)
