/* Where the test peers started by the ctest fixtures can be reached.
 *
 * Each peer's start script writes small files under
 * $VMRELAY_PEERS_DIR/<peer>/: "bootstrap" (Kafka address), "kubeconfig",
 * "uri" (libvirt URI). A test reads them here; a missing file means the
 * fixture did not run or failed, and the test aborts saying which peer. */
#pragma once

/* Returns the first line of $VMRELAY_PEERS_DIR/<peer>/<file> in a static
 * buffer, or aborts the test naming the peer. */
const char *peer_value(const char *peer, const char *file);

/* Returns $VMRELAY_PEERS_DIR/<peer>/<file> as a path (static buffer). */
const char *peer_path(const char *peer, const char *file);
