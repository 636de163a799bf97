/* dlq_record_parse on a record of <prefix>.dlq: anyone who can write to
 * the topic chooses its bytes, and `vmrelay dlq` reads and republishes
 * them. A record that parses must re-encode (as `vmrelay dlq replay` and
 * a second trip through the DLQ do) and re-parse to the same fields:
 * received_ms is the time of encoding, and text or base64 is the
 * encoder's choice, so those two are not compared. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/kafka/dlq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL, *again = NULL;
    _cleanup_free_ char *text = NULL;
    struct dlq_origin o;
    char err[256];

    if (dlq_record_parse((const char *)data, size, &rec, err, sizeof(err)) < 0)
        return 0;
    if (!rec->source || !rec->node || !rec->topic || !rec->error || !rec->key ||
        !rec->payload || rec->payload[rec->payload_len] != '\0' ||
        rec->key[rec->key_len] != '\0' || (!rec->has_key && rec->key_len != 0))
        abort();
    o = (struct dlq_origin){
        .topic = rec->topic, .partition = rec->partition, .offset = rec->offset,
        .node = rec->node, .key = rec->has_key ? rec->key : NULL, .key_len = rec->key_len,
        .source = rec->source,
    };
    text = dlq_record_encode(&o, rec->error, rec->payload, rec->payload_len);
    if (!text)
        abort();
    if (dlq_record_parse(text, strlen(text), &again, err, sizeof(err)) < 0)
        abort();
    if (again->version != rec->version || strcmp(again->source, rec->source) != 0 ||
        strcmp(again->node, rec->node) != 0 || strcmp(again->topic, rec->topic) != 0 ||
        again->partition != rec->partition || again->offset != rec->offset ||
        strcmp(again->error, rec->error) != 0 || again->has_key != rec->has_key ||
        !same_bytes(again->key, again->key_len, rec->key, rec->key_len) ||
        !same_bytes(again->payload, again->payload_len, rec->payload, rec->payload_len))
        abort();
    return 0;
}
