/* The Kubernetes watch stream parser. The first byte picks how the stream
 * is cut into reads (the network cuts it anywhere); a small line cap makes
 * the oversized-line path reachable. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "shared/k8s/watch-parser.h"

#define FUZZ_LINE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *parser = NULL;
    size_t chunk, off;
    char err[256];

    if (size < 1)
        return 0;
    chunk = (size_t)data[0] + 1;
    data++, size--;
    if (k8s_watch_parser_new(FUZZ_LINE_MAX, &parser) < 0)
        abort();
    for (off = 0; off < size; off += chunk) {
        size_t len = size - off < chunk ? size - off : chunk;
        struct k8s_watch_event ev;
        int r;

        if (k8s_watch_parser_feed(parser, (const char *)data + off, len) < 0)
            abort();
        while ((r = k8s_watch_parser_next(parser, &ev, err, sizeof(err))) != 0) {
            if (r == 1) {
                if (!ev.object || !k8s_watch_type_to_string(ev.type))
                    abort();
                cJSON_Delete(ev.object);
            } else if (r != -E2BIG && r != -EBADMSG) {
                abort();
            }
        }
    }
    return 0;
}
