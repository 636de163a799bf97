/* k8s_config_parse on kubeconfig YAML. Relative file names resolve in a
 * folder that does not exist, so that no input reads a file near the run;
 * inputs naming device or kernel files are skipped because reading
 * /dev/stdin or a FIFO would block the run, not because the parser
 * mishandles them. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/k8s/config.h"

#define FUZZ_BASE_DIR "/nonexistent/vmrelay-fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    char err[512];

    if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
        memmem(data, size, "/sys", 4))
        return 0;
    if (k8s_config_parse((const char *)data, size, "fuzz", FUZZ_BASE_DIR, NULL, &cfg, err,
                         sizeof(err)) < 0)
        return 0;
    if (!cfg->server || !cfg->namespace)
        abort();
    if (cfg->ca.data && cfg->ca.data[cfg->ca.len] != '\0')
        abort();
    return 0;
}
