/* xml2json on a libvirt description. libvirt writes it, but a domain's XML
 * holds text a tenant chose (names, titles, metadata), so it is outside
 * input too. */
#include <stdint.h>
#include <stdlib.h>

#include "shared/core/json.h"
#include "shared/msg/xml2json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(cJSON_Deletep) cJSON *json = NULL;
    _cleanup_free_ char *root = NULL, *printed = NULL;
    char err[256];

    if (xml2json((const char *)data, size, &json, &root, err, sizeof(err)) < 0)
        return 0;
    if (!json || !root)
        abort();
    /* Whatever it built must be a tree cJSON can print. */
    printed = cJSON_PrintUnformatted(json);
    if (!printed)
        abort();
    return 0;
}
