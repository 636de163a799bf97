/* request_parse on a Kafka message payload: what any publisher may send to
 * a node topic. A request that parses must encode, and its encoding must
 * parse again to the same encoding (the worker republishes what it read). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/msg/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(request_freep) struct request *req = NULL, *again = NULL;
    _cleanup_free_ char *text = NULL, *text2 = NULL, *key = NULL;
    char err[256];

    if (request_parse((const char *)data, size, &req, err, sizeof(err)) < 0)
        return 0;
    text = request_encode(req);
    key = request_ordering_key(req);
    if (!text || !key)
        abort();
    if (request_parse(text, strlen(text), &again, err, sizeof(err)) < 0)
        abort();
    text2 = request_encode(again);
    if (!text2 || strcmp(text, text2) != 0)
        abort();
    return 0;
}
