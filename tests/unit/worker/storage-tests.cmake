# The storage operations (snapshots, pools, disks, disk images, VM images)
# on libvirt's in-process test driver.
vmrelay_test(worker-storage TIER unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-storage.c
             LIBS vmrelay-worker-ops TIMEOUT 60)
