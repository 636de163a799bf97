# The worker's pure pieces (flags, virt-install arguments, error adapter)
# and its operations on libvirt's in-process test driver.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
vmrelay_test(worker-params TIER unit SOURCES ${_dir}/test-worker-params.c
             LIBS vmrelay-worker-ops)
vmrelay_test(worker-virtinstall TIER unit SOURCES ${_dir}/test-worker-virtinstall.c
             LIBS vmrelay-worker-ops)
vmrelay_test(worker-errors TIER unit SOURCES ${_dir}/test-worker-errors.c
             LIBS vmrelay-worker-core)
vmrelay_test(worker-ops TIER unit SOURCES ${_dir}/test-worker-ops.c
             LIBS vmrelay-worker-core TIMEOUT 60)
