/* result_parse on a payload of the results topic, which the status writer
 * and the CLI read. A result that parses must survive encode and parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/msg/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(result_freep) struct result *res = NULL, *again = NULL;
    _cleanup_free_ char *text = NULL, *text2 = NULL;
    char err[256];

    if (result_parse((const char *)data, size, &res, err, sizeof(err)) < 0)
        return 0;
    text = result_encode(res);
    if (!text)
        abort();
    if (result_parse(text, strlen(text), &again, err, sizeof(err)) < 0)
        abort();
    text2 = result_encode(again);
    if (!text2 || strcmp(text, text2) != 0)
        abort();
    return 0;
}
