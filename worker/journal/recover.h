/* What to do with a request the journal shows in flight: the worker died
 * after recording its start and before recording its result, so libvirt
 * may or may not have done it.
 *
 * Thread safety: on the thread that owns conn, like ops_execute(). */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "shared/msg/message.h"

/* Operations whose goal is a state the node can observe, or that set an
 * absolute value, so that running them a second time is harmless. */
bool journal_op_converges(const char *kind, const char *operation);

/* Returns 0 when req must simply run again (it converges and its goal is
 * not reached yet); 1 when res holds its outcome: success when the goal
 * state is already observed, else an Exception naming the restart and
 * the state observed, with spec.domain when the VM exists. */
int journal_recover(virConnectPtr conn, const struct request *req, struct result *res);
