/*
 * netns.c — sandboxes (network namespaces bind-mounted at a path) and
 * sockets opened inside them (see rtnl.h).
 *
 * Ordering: netns_create unshares the *calling thread* into a new network
 * namespace, bind-mounts /proc/thread-self/ns/net onto the target file, brings
 * lo up through a netlink socket opened while inside, and setns()es back to
 * the original namespace before returning — whatever failed on the way. The
 * mount happens in the daemon's mount namespace (threads share it).
 */
#include "rtnl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

static int restore(int orig) {
  int err = 0;
  if (setns(orig, CLONE_NEWNET) < 0) err = -errno;
  close(orig);
  return err;
}

int netns_create(const char *path) {
  int err = 0;
  int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (f < 0) return -errno;
  close(f);
  int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) { err = -errno; unlink(path); return err; }
  if (unshare(CLONE_NEWNET) < 0) { err = -errno; close(orig); unlink(path); return err; }
  if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) err = -errno;
  if (err == 0) {
    int fd = rtnl_open_in(NULL);
    if (fd < 0) err = fd;
    else {
      int lo = rtnl_link_index(fd, "lo");
      err = lo < 0 ? lo : rtnl_link_set_up(fd, lo, 1, 0);
      rtnl_close(fd);
    }
  }
  int rerr = restore(orig);
  if (err == 0) err = rerr;
  if (err < 0) {
    umount2(path, MNT_DETACH);
    unlink(path);
  }
  return err;
}

int netns_destroy(const char *path) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return -errno;
  if (unlink(path) < 0 && errno != ENOENT) return -errno;
  return 0;
}

int socket_in_netns(const char *nspath, int type, uint32_t addr, int port) {
  int err = 0;
  int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) return -errno;
  int target = open(nspath, O_RDONLY | O_CLOEXEC);
  if (target < 0) { err = -errno; close(orig); return err; }
  if (setns(target, CLONE_NEWNET) < 0) { err = -errno; close(target); close(orig); return err; }
  close(target);
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) err = -errno;
  int rerr = restore(orig);
  if (fd < 0) return err;
  if (rerr < 0) { close(fd); return rerr; }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = addr;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { err = -errno; close(fd); return err; }
  if (type == SOCK_STREAM && listen(fd, 64) < 0) { err = -errno; close(fd); return err; }
  return fd;
}
