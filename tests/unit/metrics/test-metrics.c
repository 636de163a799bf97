/* Metrics render in the Prometheus text format and are served over HTTP. */
#include <stdbool.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/testing.h"
#include "shared/metrics/http.h"
#include "shared/metrics/metrics.h"

static void test_render(void)
{
    _cleanup_(metrics_freep) struct metrics *metrics = NULL;
    const char *const labels[] = {"operation", "outcome", NULL};
    const char *const ok[] = {"startVM", "Running"};
    const char *const quoted[] = {"a\"b", "c\\d"};
    struct metric *requests, *duration, *inflight;
    _cleanup_free_ char *text = NULL;

    CHECK_INT(metrics_new(&metrics), 0);
    requests = metrics_register(metrics, METRIC_COUNTER, "vmrelay_requests_total",
                                "Requests by operation and outcome.", labels);
    duration = metrics_register(metrics, METRIC_HISTOGRAM, "vmrelay_request_duration_seconds",
                                "Time to carry a request out.", labels);
    inflight = metrics_register(metrics, METRIC_GAUGE, "vmrelay_in_flight", "In flight.", NULL);
    CHECK(requests && duration && inflight);

    metric_add(requests, ok, 1);
    metric_add(requests, ok, 2);
    metric_add(requests, quoted, 1);
    metric_observe(duration, ok, 0.004);
    metric_observe(duration, ok, 2);
    metric_set(inflight, NULL, 7);

    text = metrics_render(metrics);
    if (!CHECK(text != NULL))
        return;
    CHECK(strstr(text, "# TYPE vmrelay_requests_total counter\n") != NULL);
    CHECK(strstr(text, "vmrelay_requests_total{operation=\"startVM\",outcome=\"Running\"} 3\n"));
    CHECK(strstr(text, "vmrelay_requests_total{operation=\"a\\\"b\",outcome=\"c\\\\d\"} 1\n"));
    CHECK(strstr(text, "vmrelay_request_duration_seconds_bucket{operation=\"startVM\","
                       "outcome=\"Running\",le=\"0.005\"} 1\n"));
    CHECK(strstr(text, "vmrelay_request_duration_seconds_bucket{operation=\"startVM\","
                       "outcome=\"Running\",le=\"+Inf\"} 2\n"));
    CHECK(strstr(text, "vmrelay_request_duration_seconds_count{operation=\"startVM\","
                       "outcome=\"Running\"} 2\n"));
    CHECK(strstr(text, "vmrelay_in_flight 7\n"));
}

/* A metric without labels is served before its first event, as 0. */
static void test_unlabelled_zero(void)
{
    _cleanup_(metrics_freep) struct metrics *metrics = NULL;
    _cleanup_free_ char *text = NULL;
    struct metric *replays, *lag, *wait;

    CHECK_INT(metrics_new(&metrics), 0);
    replays = metrics_register(metrics, METRIC_COUNTER, "t_replays_total", "Replays.", NULL);
    lag = metrics_register(metrics, METRIC_GAUGE, "t_lag", "Lag.", NULL);
    wait = metrics_register(metrics, METRIC_HISTOGRAM, "t_wait_seconds", "Wait.", NULL);
    CHECK(replays && lag && wait);
    text = metrics_render(metrics);
    if (!CHECK(text != NULL))
        return;
    CHECK(strstr(text, "\nt_replays_total 0\n"));
    CHECK(strstr(text, "\nt_lag 0\n"));
    CHECK(strstr(text, "\nt_wait_seconds_bucket{le=\"+Inf\"} 0\n"));
    CHECK(strstr(text, "\nt_wait_seconds_count 0\n"));
    free(text);

    /* Still one series once counted. */
    metric_add(replays, NULL, 2);
    text = metrics_render(metrics);
    if (!CHECK(text != NULL))
        return;
    CHECK(strstr(text, "\nt_replays_total 2\n"));
    CHECK(strstr(text, "\nt_replays_total 0\n") == NULL);
}

static void test_overflow(void)
{
    _cleanup_(metrics_freep) struct metrics *metrics = NULL;
    const char *const labels[] = {"id", NULL};
    struct metric *m;
    _cleanup_free_ char *text = NULL;
    char value[32];

    CHECK_INT(metrics_new(&metrics), 0);
    m = metrics_register(metrics, METRIC_COUNTER, "t_total", "t", labels);
    for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
        const char *const v[] = {value};

        snprintf(value, sizeof(value), "v%d", i);
        metric_add(m, v, 1);
    }
    text = metrics_render(metrics);
    CHECK(text && strstr(text, "t_total{id=\"overflow\"} 10\n"));
}

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
    strncat(userdata, data, 4095 - strlen(userdata) < size * n ? 4095 - strlen(userdata)
                                                               : size * n);
    return size * n;
}

static long get(const char *url, char *body)
{
    CURL *curl = curl_easy_init();
    long status = 0;

    body[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    return status;
}

static bool is_ready(void *userdata)
{
    return *(bool *)userdata;
}

static void test_http(void)
{
    _cleanup_(metrics_freep) struct metrics *metrics = NULL;
    _cleanup_(metrics_http_stopp) struct metrics_http *http = NULL;
    struct metric *m;
    bool ready = false;
    char body[4096];
    int r = -1;

    CHECK_INT(metrics_new(&metrics), 0);
    m = metrics_register(metrics, METRIC_GAUGE, "vmrelay_up", "Up.", NULL);
    metric_set(m, NULL, 1);

    /* A fixed port might be taken: try a few. */
    for (int port = 39464; port < 39480 && r < 0; port++) {
        char listen[32];

        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        r = metrics_http_start(listen, metrics, is_ready, &ready, &http);
        if (r == 0) {
            char url[64];

            snprintf(url, sizeof(url), "http://%s/metrics", listen);
            CHECK_INT(get(url, body), 200);
            CHECK(strstr(body, "vmrelay_up 1\n") != NULL);
            snprintf(url, sizeof(url), "http://%s/healthz", listen);
            CHECK_INT(get(url, body), 200);
            snprintf(url, sizeof(url), "http://%s/readyz", listen);
            CHECK_INT(get(url, body), 503);
            ready = true;
            CHECK_INT(get(url, body), 200);
            snprintf(url, sizeof(url), "http://%s/nothing", listen);
            CHECK_INT(get(url, body), 404);
        }
    }
    CHECK_INT(r, 0);
    CHECK_INT(metrics_http_start("nonsense", metrics, NULL, NULL, &http), -EINVAL);
}

int main(void)
{
    test_render();
    test_overflow();
    test_unlabelled_zero();
    test_http();
    return test_finish();
}
