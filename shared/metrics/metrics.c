#include "shared/metrics/metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const double histogram_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                          0.25,  0.5,    1,     2.5,  5,     10,   30, 60};
#define N_BOUNDS (sizeof(histogram_bounds) / sizeof(histogram_bounds[0]))

struct series {
    char values[METRICS_LABELS_MAX][METRICS_LABEL_VALUE_MAX];
    double value;                /* counter, gauge; histogram: sum */
    unsigned long count;         /* histogram */
    unsigned long buckets[N_BOUNDS];
};

struct metric {
    pthread_mutex_t lock;
    enum metric_type type;
    char *name, *help;
    char *labels[METRICS_LABELS_MAX];
    size_t n_labels;
    struct series *series;
    size_t n_series;
};

struct metrics {
    pthread_mutex_t lock;
    struct metric *metrics[METRICS_MAX];
    size_t n_metrics;
};

int metrics_new(struct metrics **ret_metrics)
{
    struct metrics *metrics = calloc(1, sizeof(*metrics));

    if (!metrics)
        return -ENOMEM;
    pthread_mutex_init(&metrics->lock, NULL);
    *ret_metrics = metrics;
    return 0;
}

static void metric_free(struct metric *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->help);
    for (size_t i = 0; i < m->n_labels; i++)
        free(m->labels[i]);
    free(m->series);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_free(struct metrics *metrics)
{
    if (!metrics)
        return;
    for (size_t i = 0; i < metrics->n_metrics; i++)
        metric_free(metrics->metrics[i]);
    pthread_mutex_destroy(&metrics->lock);
    free(metrics);
}

struct metric *metrics_register(struct metrics *metrics, enum metric_type type, const char *name,
                                const char *help, const char *const *label_names)
{
    struct metric *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->type = type;
    m->name = strdup(name);
    m->help = strdup(help);
    m->series = calloc(METRICS_SERIES_MAX + 1, sizeof(*m->series));
    for (; label_names && label_names[m->n_labels] && m->n_labels < METRICS_LABELS_MAX;
         m->n_labels++)
        m->labels[m->n_labels] = strdup(label_names[m->n_labels]);
    if (!m->name || !m->help || !m->series) {
        metric_free(m);
        return NULL;
    }
    /* A metric without labels has one series from the start, so that it is
     * served as 0 before its first event (Prometheus' rate() and absence
     * alerts need the sample to exist). */
    if (m->n_labels == 0)
        m->n_series = 1;

    pthread_mutex_lock(&metrics->lock);
    if (metrics->n_metrics == METRICS_MAX) {
        pthread_mutex_unlock(&metrics->lock);
        metric_free(m);
        return NULL;
    }
    metrics->metrics[metrics->n_metrics++] = m;
    pthread_mutex_unlock(&metrics->lock);
    return m;
}

/* The series of these label values, made on first use. The last slot is
 * the overflow series. Called with m->lock held. */
static struct series *series_locked(struct metric *m, const char *const *values)
{
    struct series *s;

    for (size_t i = 0; i < m->n_series; i++) {
        bool same = true;

        for (size_t l = 0; l < m->n_labels && same; l++)
            same = strncmp(m->series[i].values[l], values && values[l] ? values[l] : "",
                           METRICS_LABEL_VALUE_MAX - 1) == 0;
        if (same)
            return &m->series[i];
    }
    if (m->n_series == METRICS_SERIES_MAX) {
        s = &m->series[METRICS_SERIES_MAX];
        for (size_t l = 0; l < m->n_labels; l++)
            snprintf(s->values[l], METRICS_LABEL_VALUE_MAX, "overflow");
        return s;
    }
    s = &m->series[m->n_series++];
    for (size_t l = 0; l < m->n_labels; l++)
        snprintf(s->values[l], METRICS_LABEL_VALUE_MAX, "%s",
                 values && values[l] ? values[l] : "");
    return s;
}

void metric_add(struct metric *m, const char *const *values, double delta)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    series_locked(m, values)->value += delta;
    pthread_mutex_unlock(&m->lock);
}

void metric_set(struct metric *m, const char *const *values, double value)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    series_locked(m, values)->value = value;
    pthread_mutex_unlock(&m->lock);
}

void metric_observe(struct metric *m, const char *const *values, double value)
{
    struct series *s;

    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    s = series_locked(m, values);
    s->value += value;
    s->count++;
    for (size_t b = 0; b < N_BOUNDS; b++)
        if (value <= histogram_bounds[b])
            s->buckets[b]++;
    pthread_mutex_unlock(&m->lock);
}

struct text {
    char *buf;
    size_t len, size;
    bool failed;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->size - t->len) {
            t->len += (size_t)n;
            return;
        }
        {
            size_t size = t->size * 2 + (size_t)n;
            char *grown = realloc(t->buf, size);

            if (!grown) {
                t->failed = true;
                return;
            }
            t->buf = grown;
            t->size = size;
        }
    }
}

/* Label values are escaped as the exposition format asks: \\, \" and \n. */
static void add_labels(struct text *t, const struct metric *m, const struct series *s,
                       const char *extra_name, const char *extra_value)
{
    bool any = false;

    if (m->n_labels == 0 && !extra_name)
        return;
    text_add(t, "{");
    for (size_t l = 0; l < m->n_labels; l++) {
        text_add(t, "%s%s=\"", any ? "," : "", m->labels[l]);
        for (const char *p = s->values[l]; *p; p++)
            text_add(t, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : "%c",
                     *p);
        text_add(t, "\"");
        any = true;
    }
    if (extra_name)
        text_add(t, "%s%s=\"%s\"", any ? "," : "", extra_name, extra_value);
    text_add(t, "}");
}

static void render_metric(struct text *t, struct metric *m)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    size_t n;

    text_add(t, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
             type_names[m->type]);
    pthread_mutex_lock(&m->lock);
    n = m->n_series + (m->n_series == METRICS_SERIES_MAX ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        const struct series *s = &m->series[i];

        if (m->type != METRIC_HISTOGRAM) {
            text_add(t, "%s", m->name);
            add_labels(t, m, s, NULL, NULL);
            text_add(t, " %.17g\n", s->value);
            continue;
        }
        for (size_t b = 0; b < N_BOUNDS; b++) {
            char le[32];

            snprintf(le, sizeof(le), "%g", histogram_bounds[b]);
            text_add(t, "%s_bucket", m->name);
            add_labels(t, m, s, "le", le);
            text_add(t, " %lu\n", s->buckets[b]);
        }
        text_add(t, "%s_bucket", m->name);
        add_labels(t, m, s, "le", "+Inf");
        text_add(t, " %lu\n%s_sum", s->count, m->name);
        add_labels(t, m, s, NULL, NULL);
        text_add(t, " %.17g\n%s_count", s->value, m->name);
        add_labels(t, m, s, NULL, NULL);
        text_add(t, " %lu\n", s->count);
    }
    pthread_mutex_unlock(&m->lock);
}

char *metrics_render(struct metrics *metrics)
{
    struct text t = {.size = 4096};

    t.buf = malloc(t.size);
    if (!t.buf)
        return NULL;
    t.buf[0] = '\0';
    pthread_mutex_lock(&metrics->lock);
    for (size_t i = 0; i < metrics->n_metrics; i++)
        render_metric(&t, metrics->metrics[i]);
    pthread_mutex_unlock(&metrics->lock);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
