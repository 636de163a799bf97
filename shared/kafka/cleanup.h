/* Cleanup helpers for librdkafka's own types, so that every handle is
 * declared with a cleanup attribute like any other owned pointer.
 *
 * Header only; usable from any thread that owns the object. */
#pragma once

#include <librdkafka/rdkafka.h>

#include "shared/core/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_conf_t *, rd_kafka_conf_destroy);
DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_error_t *, rd_kafka_error_destroy);
DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_message_t *, rd_kafka_message_destroy);
DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_topic_partition_list_t *,
                            rd_kafka_topic_partition_list_destroy);
