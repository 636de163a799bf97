# The device operations (plugDisk .. migrateVM): their XML, flags and file
# checks, and their runs on libvirt's in-process test driver.
vmrelay_test(worker-devices TIER unit
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-worker-devices.c
             LIBS vmrelay-worker-core TIMEOUT 60)
