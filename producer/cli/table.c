/* See table.h. */
#include <stdio.h>

#include "producer/cli/table.h"

#define TABLE_FORMAT "%-12s %-14s %-24s %-13s %s\n"

static const char *table_state(const struct drive_vm *vm)
{
    return vm->failed ? "FAILED" : vm->done ? "done" : drive_step_operation(vm->step);
}

void table_show(struct drive_vm *vms, size_t n, bool tty, long long elapsed_s)
{
    if (tty) {
        /* Home and clear below: the table replaces itself. */
        printf("\033[H\033[J");
        printf("vmrelay demo: %zu VM(s), %lld s\n\n", n, elapsed_s);
        printf(TABLE_FORMAT, "RESOURCE", "NODE", "OPERATION", "LAST REASON", "MESSAGE");
        for (size_t i = 0; i < n; i++)
            printf(TABLE_FORMAT, vms[i].name, vms[i].node, table_state(&vms[i]),
                   vms[i].reason[0] ? vms[i].reason : "-", vms[i].message);
        for (size_t i = 0; i < n; i++)
            vms[i].changed = false;
        fflush(stdout);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!vms[i].changed)
            continue;
        printf("[%4lld s] " TABLE_FORMAT, elapsed_s, vms[i].name, vms[i].node,
               table_state(&vms[i]), vms[i].reason[0] ? vms[i].reason : "-", vms[i].message);
        vms[i].changed = false;
    }
    fflush(stdout);
}

size_t table_summary(const struct drive_vm *vms, size_t n)
{
    size_t bad = 0;

    for (size_t i = 0; i < n; i++) {
        if (vms[i].done)
            continue;
        bad++;
        printf("  %s on %s: %s at %s: %s %s\n", vms[i].name, vms[i].node,
               vms[i].failed ? "failed" : "unfinished", drive_step_operation(vms[i].step),
               vms[i].reason[0] ? vms[i].reason : "no outcome", vms[i].message);
    }
    printf("vmrelay demo: %zu of %zu VM(s) finished their %zu operations.\n", n - bad, n,
           drive_steps());
    return bad;
}
