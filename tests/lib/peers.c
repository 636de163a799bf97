#include "lib/peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"

#define PEER_VALUE_MAX 4096

const char *peer_path(const char *peer, const char *file)
{
    static char path[4096];
    const char *dir = getenv("VMRELAY_PEERS_DIR");

    if (!dir)
        test_abort("VMRELAY_PEERS_DIR is not set; run this test through ctest");
    snprintf(path, sizeof(path), "%s/%s/%s", dir, peer, file);
    return path;
}

const char *peer_value(const char *peer, const char *file)
{
    static char value[PEER_VALUE_MAX];
    const char *path = peer_path(peer, file);
    FILE *f = fopen(path, "re");

    if (!f)
        test_abort("peer '%s' is not up: %s is missing (its ctest fixture did not start it)",
                   peer, path);
    if (!fgets(value, sizeof(value), f)) {
        fclose(f);
        test_abort("peer '%s': %s is empty", peer, path);
    }
    fclose(f);
    value[strcspn(value, "\n")] = '\0';
    return value;
}
