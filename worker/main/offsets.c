#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "worker/main/offsets.h"

struct offsets_part {
    int32_t partition;
    /* Unfinished offsets in ascending order; a duplicate is kept twice. */
    int64_t *pending;
    size_t n, cap;
    int64_t next;      /* one past the highest offset fetched */
    int64_t committed; /* last commit confirmed; -1 before the first */
};

struct offsets {
    struct offsets_part *parts;
    size_t n_parts;
    size_t in_flight;
};

int offsets_new(struct offsets **ret_t)
{
    struct offsets *t = calloc(1, sizeof(*t));

    if (!t)
        return -ENOMEM;
    *ret_t = t;
    return 0;
}

void offsets_free(struct offsets *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_parts; i++)
        free(t->parts[i].pending);
    free(t->parts);
    free(t);
}

static struct offsets_part *offsets_find(const struct offsets *t, int32_t partition)
{
    for (size_t i = 0; i < t->n_parts; i++)
        if (t->parts[i].partition == partition)
            return &t->parts[i];
    return NULL;
}

static int offsets_part_get(struct offsets *t, int32_t partition, struct offsets_part **ret_p)
{
    struct offsets_part *p = offsets_find(t, partition), *parts;

    if (p) {
        *ret_p = p;
        return 0;
    }
    if (t->n_parts >= OFFSETS_PARTITIONS_MAX)
        return -E2BIG;
    parts = realloc(t->parts, (t->n_parts + 1) * sizeof(*parts));
    if (!parts)
        return -ENOMEM;
    t->parts = parts;
    p = &parts[t->n_parts++];
    *p = (struct offsets_part){.partition = partition, .next = -1, .committed = -1};
    *ret_p = p;
    return 0;
}

int offsets_add(struct offsets *t, int32_t partition, int64_t offset)
{
    struct offsets_part *p;
    size_t at;
    int r;

    if (offset < 0)
        return -EINVAL;
    r = offsets_part_get(t, partition, &p);
    if (r < 0)
        return r;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        int64_t *a = realloc(p->pending, cap * sizeof(*a));

        if (!a)
            return -ENOMEM;
        p->pending = a;
        p->cap = cap;
    }
    /* Fetches come in order, so this is nearly always an append. */
    at = p->n;
    while (at > 0 && p->pending[at - 1] > offset)
        at--;
    memmove(&p->pending[at + 1], &p->pending[at], (p->n - at) * sizeof(*p->pending));
    p->pending[at] = offset;
    p->n++;
    if (offset + 1 > p->next)
        p->next = offset + 1;
    t->in_flight++;
    return 0;
}

int offsets_done(struct offsets *t, int32_t partition, int64_t offset)
{
    struct offsets_part *p = offsets_find(t, partition);

    if (!p)
        return -ENOENT;
    for (size_t i = 0; i < p->n; i++) {
        if (p->pending[i] != offset)
            continue;
        memmove(&p->pending[i], &p->pending[i + 1], (p->n - i - 1) * sizeof(*p->pending));
        p->n--;
        t->in_flight--;
        return 0;
    }
    return -ENOENT;
}

static int64_t offsets_point(const struct offsets_part *p)
{
    return p->n > 0 ? p->pending[0] : p->next;
}

size_t offsets_pending(const struct offsets *t, struct offsets_commit *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n_parts && n < max; i++) {
        int64_t point = offsets_point(&t->parts[i]);

        if (point >= 0 && point > t->parts[i].committed)
            out[n++] = (struct offsets_commit){.partition = t->parts[i].partition,
                                               .offset = point};
    }
    return n;
}

void offsets_committed(struct offsets *t, int32_t partition, int64_t offset)
{
    struct offsets_part *p = offsets_find(t, partition);

    if (p && offset > p->committed)
        p->committed = offset;
}

size_t offsets_in_flight(const struct offsets *t)
{
    return t->in_flight;
}
