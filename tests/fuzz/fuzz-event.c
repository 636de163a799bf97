/* node_event_parse on a payload of the events topic. An event that parses
 * must have a key and survive encode and parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/msg/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(node_event_freep) struct node_event *ev = NULL, *again = NULL;
    _cleanup_free_ char *text = NULL, *text2 = NULL, *key = NULL;
    char err[256];

    if (node_event_parse((const char *)data, size, &ev, err, sizeof(err)) < 0)
        return 0;
    text = node_event_encode(ev);
    key = node_event_key(ev);
    if (!text || !key)
        abort();
    if (node_event_parse(text, strlen(text), &again, err, sizeof(err)) < 0)
        abort();
    text2 = node_event_encode(again);
    if (!text2 || strcmp(text, text2) != 0)
        abort();
    return 0;
}
