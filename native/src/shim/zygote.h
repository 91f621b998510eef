/* berth-shim --zygote: the daemon's shim fork server (zygote.c). */
#ifndef BERTH_ZYGOTE_H
#define BERTH_ZYGOTE_H

/*
 * Serves start requests on fd 0 (a SOCK_SEQPACKET socket whose peer is the
 * daemon) until the daemon closes it. Returns only in a new shim, set up as
 * `berth-shim --fork <stateDir>` would be at its start (stdin/stdout the
 * request's pipes, the device program on fd 3 when given, its own session,
 * the request's environment): with the state directory. Returns NULL in the
 * zygote when it is done (then it exits 0).
 */
const char *zygote_serve(int argc, char **argv);

/*
 * Creates a network namespace with lo up without entering it: *fd gets an fd
 * of it (CLOEXEC; -1 when the kernel refused), *lo_up whether lo came up.
 * -1 only when the process could not step back into its own namespace.
 */
int make_netns(int *fd, int *lo_up);

/* The network namespace a spare made ahead of its request (fd, or -1), once. */
int zygote_take_netns(int *lo_up);
#endif
