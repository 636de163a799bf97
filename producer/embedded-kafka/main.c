/* vmrelay-embedded-kafka: an in-memory Kafka for one machine.
 *
 * Starts librdkafka's mock cluster on loopback, creates the topics asked
 * for, prints the bootstrap address on stdout (and writes it to a file),
 * then waits for SIGTERM or SIGINT. Messages live in memory only: for
 * demos and tests, never for production. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/core/log.h"
#include "shared/core/macro.h"
#include "shared/kafka/embedded.h"

#define PROGRAM "vmrelay-embedded-kafka"
/* A --topics list longer than this is a mistake. */
#define TOPICS_ARG_MAX 65536
#define PATH_TMP_SUFFIX ".tmp"

struct options {
    int brokers;
    int partitions;
    const char *topics;
    const char *bootstrap_file;
    int log_level;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROGRAM " [OPTIONS]\n"
            "Runs an in-memory Kafka cluster on 127.0.0.1 until SIGTERM or SIGINT.\n"
            "Not for production: messages are kept in memory only.\n\n"
            "  --brokers N          brokers in the cluster (1..%d, default 1)\n"
            "  --topics A,B,C       topics to create at start\n"
            "  --partitions N       partitions of each topic (1..%d, default 1)\n"
            "  --bootstrap-file P   also write the bootstrap address to P (removed at exit)\n"
            "  --log-level LEVEL    debug, info, notice, warning or error (default info)\n"
            "  --help               show this text\n"
            "The bootstrap address is printed on stdout once the brokers listen.\n",
            KAFKA_EMBEDDED_BROKERS_MAX, KAFKA_EMBEDDED_PARTITIONS_MAX);
}

static int parse_int(const char *s, int min, int max, int *ret_value)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *ret_value = (int)v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
    enum { OPT_BROKERS = 256, OPT_TOPICS, OPT_PARTITIONS, OPT_BOOTSTRAP_FILE, OPT_LOG_LEVEL };
    static const struct option longopts[] = {
        { "brokers", required_argument, NULL, OPT_BROKERS },
        { "topics", required_argument, NULL, OPT_TOPICS },
        { "partitions", required_argument, NULL, OPT_PARTITIONS },
        { "bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP_FILE },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "help", no_argument, NULL, 'h' },
        {},
    };
    int c;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
        switch (c) {
        case OPT_BROKERS:
            if (parse_int(optarg, 1, KAFKA_EMBEDDED_BROKERS_MAX, &opts->brokers) < 0)
                return log_error_errno(EINVAL, "--brokers must be a number from 1 to %d.",
                                       KAFKA_EMBEDDED_BROKERS_MAX);
            break;
        case OPT_PARTITIONS:
            if (parse_int(optarg, 1, KAFKA_EMBEDDED_PARTITIONS_MAX, &opts->partitions) < 0)
                return log_error_errno(EINVAL, "--partitions must be a number from 1 to %d.",
                                       KAFKA_EMBEDDED_PARTITIONS_MAX);
            break;
        case OPT_TOPICS:
            if (strlen(optarg) > TOPICS_ARG_MAX)
                return log_error_errno(EINVAL, "--topics is longer than %d characters.",
                                       TOPICS_ARG_MAX);
            opts->topics = optarg;
            break;
        case OPT_BOOTSTRAP_FILE:
            opts->bootstrap_file = optarg;
            break;
        case OPT_LOG_LEVEL:
            opts->log_level = log_level_from_string(optarg);
            if (opts->log_level < 0)
                return log_error_errno(EINVAL, "Unknown log level '%s'.", optarg);
            log_setup(PROGRAM, opts->log_level);
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_SUCCESS);
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
    return 0;
}

static int create_topics(struct kafka_embedded *emb, const char *list, int partitions)
{
    _cleanup_free_ char *copy = NULL;
    char *save = NULL;
    int n = 0;

    if (!list)
        return 0;
    copy = strdup(list);
    if (!copy)
        return log_error_errno(ENOMEM, "Out of memory.");
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char err[512] = "";
        int r = kafka_embedded_topic_create(emb, t, partitions, err, sizeof(err));

        if (r < 0)
            return log_error_errno(r, "Cannot create topic '%s': %s", t, err);
        n++;
    }
    return n;
}

/* Writes the address to path through a temporary file and rename(), so a
 * reader never sees a half-written address. */
static int write_bootstrap_file(const char *path, const char *address)
{
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    size_t len = strlen(path) + sizeof(PATH_TMP_SUFFIX);
    size_t alen = strlen(address);
    ssize_t n;

    tmp = malloc(len);
    if (!tmp)
        return -ENOMEM;
    snprintf(tmp, len, "%s%s", path, PATH_TMP_SUFFIX);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    n = write(fd, address, alen);
    if (n < 0 || (size_t)n != alen || write(fd, "\n", 1) != 1) {
        int r = n < 0 ? -errno : -EIO;

        unlink(tmp);
        return r;
    }
    if (rename(tmp, path) < 0) {
        int r = -errno;

        unlink(tmp);
        return r;
    }
    return 0;
}

int main(int argc, char **argv)
{
    _cleanup_(kafka_embedded_freep) struct kafka_embedded *emb = NULL;
    struct options opts = { .brokers = 1, .partitions = 1, .log_level = LOG_INFO };
    char err[512] = "";
    const char *address;
    sigset_t mask;
    int r, n, sig;

    log_setup(PROGRAM, LOG_INFO);
    if (parse_options(argc, argv, &opts) < 0)
        return EXIT_FAILURE;

    /* Blocked before librdkafka starts its threads so that they inherit the
     * mask and sigwait() below is the only taker. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    r = kafka_embedded_new(opts.brokers, &emb, err, sizeof(err));
    if (r < 0) {
        log_error_errno(r, "Cannot start the embedded Kafka: %s", err);
        return EXIT_FAILURE;
    }
    n = create_topics(emb, opts.topics, opts.partitions);
    if (n < 0)
        return EXIT_FAILURE;

    address = kafka_embedded_bootstrap(emb);
    if (opts.bootstrap_file) {
        r = write_bootstrap_file(opts.bootstrap_file, address);
        if (r < 0) {
            log_error_errno(r, "Cannot write the bootstrap address to %s.", opts.bootstrap_file);
            return EXIT_FAILURE;
        }
    }
    printf("%s\n", address);
    fflush(stdout);
    log_info("Embedded Kafka (in memory, not for production) serves %d broker(s) at %s with "
             "%d topic(s) created.",
             opts.brokers, address, n);

    r = sigwait(&mask, &sig);
    if (r != 0)
        log_error_errno(r, "Waiting for a signal failed.");
    else
        log_info("Stopping on %s.", strsignal(sig));
    if (opts.bootstrap_file)
        unlink(opts.bootstrap_file);
    return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
