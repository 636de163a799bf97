/* Drives one sample VirtualMachine through its lifecycle the way a client
 * of the API document does: write one request under spec.lifecycle, wait
 * until the status writer removed it and wrote
 * spec.status.conditions.state.waiting, check the reason, write the next.
 * Main thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/k8s/client.h"

#define DRIVE_NAME_MAX 33
#define DRIVE_NODE_MAX 64
#define DRIVE_TEXT_MAX 512

struct drive_vm {
    char name[DRIVE_NAME_MAX];
    char node[DRIVE_NODE_MAX];
    size_t step;            /* index of the operation in flight */
    char reason[64];        /* last outcome seen */
    char message[DRIVE_TEXT_MAX];
    bool done, failed;
    bool changed;           /* something to show since the last table */
};

/* The operations every VM goes through, in order. */
size_t drive_steps(void);
const char *drive_step_operation(size_t step);

/* Creates the resource with the first request in spec.lifecycle. iso is
 * the path of the install medium. */
int drive_create(struct k8s_client *client, struct drive_vm *vm, const char *iso);

/* Reads the resource once and, when its request is finished, checks the
 * outcome and writes the next request. Returns 0, or -errno when the API
 * server could not be asked (vm->message says why). */
int drive_poll(struct k8s_client *client, struct drive_vm *vm, const char *iso);
