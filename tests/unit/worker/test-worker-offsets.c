/* The commit point of each partition when requests finish out of order. */
#include <errno.h>

#include "lib/testing.h"
#include "worker/main/offsets.h"

static int64_t point_of(struct offsets *t, int32_t partition)
{
    struct offsets_commit c[8];
    size_t n = offsets_pending(t, c, 8);

    for (size_t i = 0; i < n; i++)
        if (c[i].partition == partition)
            return c[i].offset;
    return -1; /* nothing new to commit */
}

static void test_out_of_order(void)
{
    _cleanup_(offsets_freep) struct offsets *t = NULL;

    CHECK_INT(offsets_new(&t), 0);
    for (int64_t o = 10; o < 15; o++)
        CHECK_INT(offsets_add(t, 0, o), 0);
    CHECK_INT(offsets_in_flight(t), 5);
    /* Nothing done: the point is the first unfinished one. */
    CHECK_INT(point_of(t, 0), 10);
    offsets_committed(t, 0, 10);
    CHECK_INT(point_of(t, 0), -1);

    /* 12 and 14 finish first: 10 still runs, so nothing may move. */
    CHECK_INT(offsets_done(t, 0, 12), 0);
    CHECK_INT(offsets_done(t, 0, 14), 0);
    CHECK_INT(point_of(t, 0), -1);
    /* 10 finishes: everything below 11 is done. */
    CHECK_INT(offsets_done(t, 0, 10), 0);
    CHECK_INT(point_of(t, 0), 11);
    offsets_committed(t, 0, 11);
    /* 11 finishes: 12 was done already, 13 still runs. */
    CHECK_INT(offsets_done(t, 0, 11), 0);
    CHECK_INT(point_of(t, 0), 13);
    offsets_committed(t, 0, 13);
    CHECK_INT(offsets_done(t, 0, 13), 0);
    CHECK_INT(point_of(t, 0), 15);
    CHECK_INT(offsets_in_flight(t), 0);
    CHECK_INT(offsets_done(t, 0, 13), -ENOENT);
    CHECK_INT(offsets_done(t, 7, 1), -ENOENT);
}

static void test_partitions_and_redelivery(void)
{
    _cleanup_(offsets_freep) struct offsets *t = NULL;
    struct offsets_commit c[8];

    CHECK_INT(offsets_new(&t), 0);
    CHECK_INT(offsets_add(t, 0, 100), 0);
    CHECK_INT(offsets_add(t, 1, 5), 0);
    CHECK_INT(offsets_add(t, 1, 6), 0);
    CHECK_INT(offsets_done(t, 1, 6), 0);
    /* Partition 1 waits for 5; partition 0 for 100; independent. */
    CHECK_INT(offsets_pending(t, c, 8), 2);
    CHECK_INT(point_of(t, 1), 5);
    offsets_committed(t, 0, 100);
    offsets_committed(t, 1, 5);
    CHECK_INT(offsets_done(t, 1, 5), 0);
    CHECK_INT(point_of(t, 1), 7);
    CHECK_INT(point_of(t, 0), -1);
    offsets_committed(t, 1, 7);

    /* After a rebalance the broker delivers 6 again while nothing of
     * partition 1 is in flight: the point stays at 7, never goes back. */
    CHECK_INT(offsets_add(t, 1, 6), 0);
    CHECK_INT(point_of(t, 1), -1);
    CHECK_INT(offsets_done(t, 1, 6), 0);
    CHECK_INT(point_of(t, 1), -1);

    /* The same offset in flight twice holds the point until both end. */
    CHECK_INT(offsets_add(t, 0, 101), 0);
    CHECK_INT(offsets_add(t, 0, 101), 0);
    CHECK_INT(offsets_done(t, 0, 100), 0);
    CHECK_INT(point_of(t, 0), 101);
    offsets_committed(t, 0, 101);
    CHECK_INT(offsets_done(t, 0, 101), 0);
    CHECK_INT(point_of(t, 0), -1);
    CHECK_INT(offsets_done(t, 0, 101), 0);
    CHECK_INT(point_of(t, 0), 102);
    /* An older commit confirmation never moves the record back. */
    offsets_committed(t, 0, 102);
    offsets_committed(t, 0, 50);
    CHECK_INT(point_of(t, 0), -1);
    CHECK_INT(offsets_add(t, 0, -1), -EINVAL);
}

static void test_cap(void)
{
    _cleanup_(offsets_freep) struct offsets *t = NULL;
    int r = 0;

    CHECK_INT(offsets_new(&t), 0);
    for (int32_t p = 0; p < OFFSETS_PARTITIONS_MAX && r == 0; p++)
        r = offsets_add(t, p, 0);
    CHECK_INT(r, 0);
    CHECK_INT(offsets_add(t, OFFSETS_PARTITIONS_MAX, 0), -E2BIG);
    /* A long run in one partition, finished backwards. */
    for (int64_t o = 1; o <= 5000 && r == 0; o++)
        r = offsets_add(t, 0, o);
    CHECK_INT(r, 0);
    for (int64_t o = 5000; o >= 0; o--)
        (void)offsets_done(t, 0, o);
    CHECK_INT(point_of(t, 0), 5001);
}

int main(void)
{
    test_out_of_order();
    test_partitions_and_redelivery();
    test_cap();
    return test_finish();
}
