#include <errno.h>
#include <stdlib.h>

#include "lib/testing.h"
#include "shared/k8s/client.h"

static void check_path(const char *group, const char *ns, const char *name, const char *sub,
                       const char *want)
{
    bool core = !group || !*group;
    char *path = NULL;

    CHECK_INT(k8s_resource_path(group, core ? "v1" : "v1alpha3",
                                core ? "events" : "virtualmachines", ns, name, sub, &path), 0);
    CHECK_STR(path, want);
    free(path);
}

int main(void)
{
    char *path = NULL;

    check_path("cloudplus.io", NULL, NULL, NULL, "/apis/cloudplus.io/v1alpha3/virtualmachines");
    check_path("cloudplus.io", "default", NULL, NULL,
               "/apis/cloudplus.io/v1alpha3/namespaces/default/virtualmachines");
    check_path("cloudplus.io", "default", "vm-1", NULL,
               "/apis/cloudplus.io/v1alpha3/namespaces/default/virtualmachines/vm-1");
    check_path("cloudplus.io", "default", "vm-1", "status",
               "/apis/cloudplus.io/v1alpha3/namespaces/default/virtualmachines/vm-1/status");
    check_path(NULL, "ns", NULL, NULL, "/api/v1/namespaces/ns/events");
    check_path("", NULL, NULL, NULL, "/api/v1/events");

    /* Nothing that could leave its segment. */
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "default", "../secrets", NULL, &path),
              -EINVAL);
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "a/b", NULL, NULL, &path), -EINVAL);
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "default", "x?watch=1", NULL, &path),
              -EINVAL);
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "default", "..", NULL, &path), -EINVAL);
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "", NULL, NULL, &path), -EINVAL);
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "default", "a b", NULL, &path), -EINVAL);
    /* A subresource needs a name. */
    CHECK_INT(k8s_resource_path("g", "v1", "vms", "default", NULL, "status", &path), -EINVAL);
    CHECK(path == NULL);
    return test_finish();
}
