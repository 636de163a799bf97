#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "worker/journal/recover.h"
#include "worker/ops/ops.h"

/* The power operations and the reason of ops_state_reason() that means
 * their goal is reached. */
static const struct {
    const char *operation, *goal;
} recover_goals[] = {
    {"startVM", "Running"},
    {"resumeVM", "Running"},
    {"stopVM", "Shutdown"},
    {"stopVMForce", "Shutdown"},
    {"suspendVM", "Paused"},
};

/* Setters of an absolute value: a second run leaves the same state. */
static const char *const recover_setters[] = {"resizeRAM", "changeNumberOfCPU"};

static const char *recover_goal(const char *kind, const char *operation)
{
    if (strcmp(kind, "VirtualMachine") != 0)
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(recover_goals); i++)
        if (strcmp(recover_goals[i].operation, operation) == 0)
            return recover_goals[i].goal;
    return NULL;
}

bool journal_op_converges(const char *kind, const char *operation)
{
    if (recover_goal(kind, operation))
        return true;
    if (strcmp(kind, "VirtualMachine") != 0)
        return false;
    for (size_t i = 0; i < ELEMENTSOF(recover_setters); i++)
        if (strcmp(recover_setters[i], operation) == 0)
            return true;
    return false;
}

/* The domain's power state reason, or NULL when it cannot be read. */
static const char *recover_observe(virConnectPtr conn, const char *name)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, name);
    int state, why;

    if (!dom || virDomainGetState(dom, &state, &why, 0) < 0)
        return NULL;
    return ops_state_reason(state);
}

static int recover_report(virConnectPtr conn, const struct request *req, struct result *res)
{
    const char *observed = NULL;
    char seen[128];

    if (strcmp(req->kind, "VirtualMachine") == 0) {
        observed = recover_observe(conn, req->name);
        if (observed && ops_result_set_domain(conn, req->name, res) < 0)
            observed = NULL;
    }
    if (observed)
        snprintf(seen, sizeof(seen), "the VM is now %s", observed);
    else if (strcmp(req->kind, "VirtualMachine") == 0)
        snprintf(seen, sizeof(seen), "the VM does not exist now");
    else
        snprintf(seen, sizeof(seen), "check the object's state before asking again");
    (void)ops_fail_exception(res, EINTR, "The worker restarted while %s was running and did "
                             "not run it again, since running it twice is not safe; the "
                             "outcome is unknown and %s.", req->operation, seen);
    return 1;
}

int journal_recover(virConnectPtr conn, const struct request *req, struct result *res)
{
    const char *goal = recover_goal(req->kind, req->operation);
    const char *observed;

    if (!journal_op_converges(req->kind, req->operation))
        return recover_report(conn, req, res);
    if (!goal)
        return 0;
    observed = recover_observe(conn, req->name);
    if (!observed || strcmp(observed, goal) != 0)
        return 0;
    if (ops_result_set_domain(conn, req->name, res) < 0)
        return 0;
    return 1;
}
