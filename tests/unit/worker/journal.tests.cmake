# The node journal, its crash recovery, the offset tracker and the keyed
# thread pool of vmrelay-worker.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
vmrelay_test(worker-journal TIER unit SOURCES ${_dir}/test-worker-journal.c
             LIBS vmrelay-worker-core)
vmrelay_test(worker-offsets TIER unit SOURCES ${_dir}/test-worker-offsets.c
             LIBS vmrelay-worker-core)
vmrelay_test(worker-pool TIER unit SOURCES ${_dir}/test-worker-pool.c
             LIBS vmrelay-worker-core TIMEOUT 60)
