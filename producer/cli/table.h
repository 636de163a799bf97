/* The live table of vmrelay demo: redrawn in place on a terminal, one line
 * per change otherwise (logs, CI). Main thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "producer/cli/drive.h"

/* Shows the VMs; tty selects redrawing. elapsed_s heads the table. */
void table_show(struct drive_vm *vms, size_t n, bool tty, long long elapsed_s);

/* The closing summary: one line per VM that did not finish, and a total.
 * Returns the number of VMs that did not finish their sequence. */
size_t table_summary(const struct drive_vm *vms, size_t n);
