/*
 * rtnl.h — the small slice of rtnetlink the bridge driver needs, in plain C.
 *
 * Every function returns 0 (or a non-negative value) on success and -errno on
 * failure; none allocates or prints. A netlink socket is bound to the network
 * namespace it was created in, so work inside a sandbox is done by opening the
 * socket while the calling thread is (briefly) in that namespace
 * (rtnl_open_in), then using it from the daemon's own namespace.
 *
 * Threading: setns(CLONE_NEWNET) affects only the calling thread. The helpers
 * that switch namespace (rtnl_open_in, netns_create, socket_in_netns) switch
 * back before returning, so no JavaScript ever runs while the thread is in a
 * foreign namespace.
 */
#ifndef BERTH_RTNL_H
#define BERTH_RTNL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens an rtnetlink socket in the namespace at `nspath` (NULL: the caller's). */
int rtnl_open_in(const char *nspath);
void rtnl_close(int fd);

/* Interface index of `name`, or -ENODEV. */
int rtnl_link_index(int fd, const char *name);

/* Creates a bridge (no error if it already exists) and sets its MTU. Returns its index. */
int rtnl_bridge_add(int fd, const char *name, int mtu);

/* Sets a link up (or down) and optionally its MTU (mtu <= 0: unchanged). */
int rtnl_link_set_up(int fd, int ifindex, int up, int mtu);

/* Deletes a link by name; -ENODEV when it does not exist. */
int rtnl_link_del(int fd, const char *name);

/* Adds an IPv4 address `addr` (network byte order) / prefix to a link; EEXIST is success. */
int rtnl_addr_add4(int fd, int ifindex, uint32_t addr, int prefix);

/* Adds a default IPv4 route via `gw` (network byte order). */
int rtnl_route_default4(int fd, uint32_t gw);

/*
 * Creates a veth pair: `host` stays in the socket's namespace, enslaved to
 * `master_index` (0: none) and up; its peer is created directly in the
 * namespace open as `peer_nsfd`, named `peer`, with `mac` (6 bytes, NULL: random).
 */
int rtnl_veth_add(int fd, const char *host, int master_index, int mtu,
                  const char *peer, int peer_nsfd, const unsigned char *mac);

/* Creates a network namespace bind-mounted at `path` (the file is created) with lo up. */
int netns_create(const char *path);

/* Unmounts and removes a namespace file; 0 when it did not exist. */
int netns_destroy(const char *path);

/* A socket of `type` (SOCK_DGRAM/SOCK_STREAM) bound to addr:port inside the namespace at `nspath`. Returns the fd. */
int socket_in_netns(const char *nspath, int type, uint32_t addr, int port);

#ifdef __cplusplus
}
#endif

#endif
