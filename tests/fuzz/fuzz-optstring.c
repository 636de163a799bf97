/* The virt-install style option strings of request parameters
 * ("vnc,listen=0.0.0.0", "PATH,bus=virtio --disk PATH2"). The input is
 * tried both as one option string and as a " --disk " group list, each
 * group then parsed as the validator does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/msg/optstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const char *s)
{
    static const char *const list_keys[] = {"cpuset", NULL};
    _cleanup_(optstring_freep) struct optstring *opts = NULL;
    char err[256];

    if (optstring_parse(s, list_keys, &opts, err, sizeof(err)) < 0)
        return;
    if (opts->n_items > OPTSTRING_MAX_ITEMS)
        abort();
    for (size_t i = 0; i < opts->n_items; i++)
        if (!opts->items[i].key || !opts->items[i].value ||
            optstring_get(opts, opts->items[i].key) != opts->items[i].value)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *groups[OPTSTRING_MAX_GROUPS];
    _cleanup_free_ char *s = NULL;
    char err[256];
    int n;

    /* The parser takes a C string: a field's value never holds NUL. */
    s = strndup((const char *)data, size);
    if (!s)
        return 0;
    parse_one(s);
    n = optstring_split_groups(s, "--disk", groups, err, sizeof(err));
    if (n < 0)
        return 0;
    if (n == 0 || n > OPTSTRING_MAX_GROUPS)
        abort();
    for (int i = 0; i < n; i++)
        parse_one(groups[i]);
    optstring_groups_free(groups, (size_t)n);
    return 0;
}
