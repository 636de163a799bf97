/* validate_request on the parameters of any catalogue operation. Input:
 * one byte choosing the operation, the resource name up to the first
 * newline, then the params JSON. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/msg/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const roots[] = {"/var/lib/libvirt", "/srv/images", NULL};
    const struct validate_opts opts = {.allowed_roots = roots};
    const struct catalog *cat = catalog_get();
    _cleanup_(cJSON_Deletep) cJSON *params = NULL;
    _cleanup_free_ char *name = NULL;
    const struct catalog_op *op;
    const uint8_t *nl;
    char err[512];
    int r;

    if (!cat)
        abort();
    if (size < 1)
        return 0;
    op = &cat->ops[data[0] % cat->n_ops];
    data++, size--;
    nl = memchr(data, '\n', size);
    if (!nl)
        return 0;
    name = strndup((const char *)data, (size_t)(nl - data));
    params = cJSON_ParseWithLength((const char *)nl + 1, size - (size_t)(nl - data) - 1);
    if (!name || !params)
        return 0;
    r = validate_request(cat, op->kind, name, op->name, params, &opts, err, sizeof(err));
    if (r != 0 && r != -EINVAL)
        abort();
    /* Every refusal must say why. */
    if (r == -EINVAL && strnlen(err, sizeof(err)) == 0)
        abort();
    return 0;
}
