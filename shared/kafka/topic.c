#include "shared/kafka/topic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/config.h"
#include "shared/core/macro.h"

const char *kafka_topic_prefix(const struct config *cfg)
{
    return config_get(cfg, KAFKA_TOPIC_PREFIX_KEY, KAFKA_TOPIC_PREFIX_DEFAULT);
}

bool kafka_topic_is_legal(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > KAFKA_TOPIC_NAME_MAX || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return false;
    for (const char *s = name; *s; s++) {
        char c = *s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int kafka_topic_join(const char *prefix, const char *middle, const char *suffix,
                            char **ret_name)
{
    _cleanup_free_ char *name = NULL;
    size_t len;

    if (!prefix || !*prefix || !suffix || !*suffix)
        return -EINVAL;
    len = strlen(prefix) + 1 + strlen(middle) + strlen(suffix);
    if (len > KAFKA_TOPIC_NAME_MAX)
        return -EINVAL;
    name = malloc(len + 1);
    if (!name)
        return -ENOMEM;
    snprintf(name, len + 1, "%s.%s%s", prefix, middle, suffix);
    if (!kafka_topic_is_legal(name))
        return -EINVAL;
    *ret_name = TAKE_PTR(name);
    return 0;
}

int kafka_topic_name(const char *prefix, const char *suffix, char **ret_name)
{
    return kafka_topic_join(prefix, "", suffix, ret_name);
}

int kafka_topic_node(const char *prefix, const char *node, char **ret_name)
{
    return kafka_topic_join(prefix, "node.", node, ret_name);
}
