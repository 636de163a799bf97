/* Prometheus metrics: counters, gauges and histograms with labels, and
 * their text exposition (format 0.0.4).
 *
 * Metrics are registered once at start; each keeps at most
 * METRICS_SERIES_MAX label combinations (more are counted in one
 * "overflow" series so a bad label cannot grow memory without bound).
 *
 * Thread safety: every function may be called from any thread; each metric
 * has its own lock, held only to update or read it. */
#pragma once

#include <stddef.h>

#include "shared/core/macro.h"

#define METRICS_MAX 64
#define METRICS_SERIES_MAX 512
#define METRICS_LABELS_MAX 4
#define METRICS_LABEL_VALUE_MAX 64

enum metric_type {
    METRIC_COUNTER,
    METRIC_GAUGE,
    METRIC_HISTOGRAM,
};

struct metrics;
struct metric;

int metrics_new(struct metrics **ret_metrics);
void metrics_free(struct metrics *metrics);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct metrics *, metrics_free);

/* Registers a metric. label_names is a NULL-terminated list (or NULL) of
 * at most METRICS_LABELS_MAX names. Histograms use buckets of seconds from
 * 1 ms to 60 s. Returns NULL when out of room or memory. */
struct metric *metrics_register(struct metrics *metrics, enum metric_type type, const char *name,
                                const char *help, const char *const *label_names);

/* values has one entry per label name (NULL when the metric has none). */
void metric_add(struct metric *m, const char *const *values, double delta);
void metric_set(struct metric *m, const char *const *values, double value);
void metric_observe(struct metric *m, const char *const *values, double value);

/* The text exposition of every metric, malloc'd; NULL on allocation
 * failure. */
char *metrics_render(struct metrics *metrics);
