/*
 * rtnl.c — rtnetlink requests for the bridge driver (see rtnl.h).
 *
 * Each request is built in a fixed stack buffer, sent, and its ACK read back
 * (NLM_F_ACK): the kernel's errno comes back as -errno. No allocation.
 */
#include "rtnl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <linux/if_addr.h>
#include <arpa/inet.h>

#define BUF_SIZE 1024

struct req {
  struct nlmsghdr n;
  char buf[BUF_SIZE];
};

static uint32_t seq_counter = 1;

static struct rtattr *nla_tail(struct nlmsghdr *n) {
  return (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
}

static int nla_put(struct nlmsghdr *n, size_t max, int type, const void *data, size_t len) {
  size_t rlen = RTA_LENGTH(len);
  if (NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rlen) > max) return -ENOBUFS;
  struct rtattr *rta = nla_tail(n);
  rta->rta_type = type;
  rta->rta_len = rlen;
  if (len) memcpy(RTA_DATA(rta), data, len);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rlen);
  return 0;
}

static int nla_put_str(struct nlmsghdr *n, size_t max, int type, const char *s) {
  return nla_put(n, max, type, s, strlen(s) + 1);
}

static int nla_put_u32(struct nlmsghdr *n, size_t max, int type, uint32_t v) {
  return nla_put(n, max, type, &v, sizeof v);
}

static struct rtattr *nla_nest_start(struct nlmsghdr *n, size_t max, int type) {
  struct rtattr *start = nla_tail(n);
  if (nla_put(n, max, type, NULL, 0) < 0) return NULL;
  return start;
}

static void nla_nest_end(struct nlmsghdr *n, struct rtattr *start) {
  start->rta_len = (char *)nla_tail(n) - (char *)start;
}

/* Sends `n` and waits for its ACK; returns 0 or -errno. */
static int talk(int fd, struct nlmsghdr *n) {
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  n->nlmsg_seq = ++seq_counter;
  n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != n->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        return e->error; /* 0 is the ACK, else -errno */
      }
    }
  }
}

int rtnl_open_in(const char *nspath) {
  int orig = -1, target = -1, fd, err = 0;
  if (nspath) {
    orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig < 0) return -errno;
    target = open(nspath, O_RDONLY | O_CLOEXEC);
    if (target < 0) { err = -errno; close(orig); return err; }
    if (setns(target, CLONE_NEWNET) < 0) { err = -errno; close(orig); close(target); return err; }
  }
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) err = -errno;
  if (nspath) {
    /* Restoring cannot fail with a valid fd of our own namespace; if it did, the thread would be stranded. */
    if (setns(orig, CLONE_NEWNET) < 0 && fd >= 0) { close(fd); fd = -1; err = -errno; }
    close(orig);
    close(target);
  }
  if (fd < 0) return err;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { err = -errno; close(fd); return err; }
  return fd;
}

void rtnl_close(int fd) {
  if (fd >= 0) close(fd);
}

int rtnl_link_index(int fd, const char *name) {
  struct req r;
  memset(&r, 0, sizeof r);
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.n.nlmsg_type = RTM_GETLINK;
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_family = AF_UNSPEC;
  if (nla_put_str(&r.n, sizeof r, IFLA_IFNAME, name) < 0) return -ENOBUFS;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  r.n.nlmsg_seq = ++seq_counter;
  r.n.nlmsg_flags = NLM_F_REQUEST;
  if (sendto(fd, &r, r.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != r.n.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        return e->error ? e->error : -ENODEV;
      }
      if (h->nlmsg_type == RTM_NEWLINK) {
        struct ifinfomsg *got = NLMSG_DATA(h);
        return got->ifi_index;
      }
    }
  }
}

static void link_msg(struct req *r, int type, int flags) {
  memset(r, 0, sizeof *r);
  r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r->n.nlmsg_type = type;
  r->n.nlmsg_flags = flags;
  ((struct ifinfomsg *)NLMSG_DATA(&r->n))->ifi_family = AF_UNSPEC;
}

int rtnl_bridge_add(int fd, const char *name, int mtu) {
  struct req r;
  link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  if (nla_put_str(&r.n, sizeof r, IFLA_IFNAME, name) < 0) return -ENOBUFS;
  if (mtu > 0 && nla_put_u32(&r.n, sizeof r, IFLA_MTU, (uint32_t)mtu) < 0) return -ENOBUFS;
  struct rtattr *li = nla_nest_start(&r.n, sizeof r, IFLA_LINKINFO);
  if (!li || nla_put_str(&r.n, sizeof r, IFLA_INFO_KIND, "bridge") < 0) return -ENOBUFS;
  nla_nest_end(&r.n, li);
  int err = talk(fd, &r.n);
  if (err < 0 && err != -EEXIST) return err;
  return rtnl_link_index(fd, name);
}

int rtnl_link_set_up(int fd, int ifindex, int up, int mtu) {
  struct req r;
  link_msg(&r, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_index = ifindex;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  if (mtu > 0 && nla_put_u32(&r.n, sizeof r, IFLA_MTU, (uint32_t)mtu) < 0) return -ENOBUFS;
  return talk(fd, &r.n);
}

int rtnl_link_del(int fd, const char *name) {
  struct req r;
  link_msg(&r, RTM_DELLINK, 0);
  if (nla_put_str(&r.n, sizeof r, IFLA_IFNAME, name) < 0) return -ENOBUFS;
  return talk(fd, &r.n);
}

int rtnl_addr_add4(int fd, int ifindex, uint32_t addr, int prefix) {
  struct req r;
  memset(&r, 0, sizeof r);
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  r.n.nlmsg_type = RTM_NEWADDR;
  r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct ifaddrmsg *ifa = NLMSG_DATA(&r.n);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_index = ifindex;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  if (nla_put(&r.n, sizeof r, IFA_LOCAL, &addr, 4) < 0) return -ENOBUFS;
  if (nla_put(&r.n, sizeof r, IFA_ADDRESS, &addr, 4) < 0) return -ENOBUFS;
  if (prefix < 31) {
    uint32_t host = ntohl(addr);
    uint32_t mask = prefix == 0 ? 0 : (0xffffffffu << (32 - prefix));
    uint32_t brd = htonl(host | ~mask);
    if (nla_put(&r.n, sizeof r, IFA_BROADCAST, &brd, 4) < 0) return -ENOBUFS;
  }
  int err = talk(fd, &r.n);
  return err == -EEXIST ? 0 : err;
}

int rtnl_route_default4(int fd, uint32_t gw) {
  struct req r;
  memset(&r, 0, sizeof r);
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  r.n.nlmsg_type = RTM_NEWROUTE;
  r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct rtmsg *rt = NLMSG_DATA(&r.n);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = 0;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  if (nla_put(&r.n, sizeof r, RTA_GATEWAY, &gw, 4) < 0) return -ENOBUFS;
  return talk(fd, &r.n);
}

int rtnl_veth_add(int fd, const char *host, int master_index, int mtu,
                  const char *peer, int peer_nsfd, const unsigned char *mac) {
  struct req r;
  link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  size_t max = sizeof r;
  if (nla_put_str(&r.n, max, IFLA_IFNAME, host) < 0) return -ENOBUFS;
  if (mtu > 0 && nla_put_u32(&r.n, max, IFLA_MTU, (uint32_t)mtu) < 0) return -ENOBUFS;
  if (master_index > 0 && nla_put_u32(&r.n, max, IFLA_MASTER, (uint32_t)master_index) < 0) return -ENOBUFS;
  struct rtattr *li = nla_nest_start(&r.n, max, IFLA_LINKINFO);
  if (!li || nla_put_str(&r.n, max, IFLA_INFO_KIND, "veth") < 0) return -ENOBUFS;
  struct rtattr *data = nla_nest_start(&r.n, max, IFLA_INFO_DATA);
  if (!data) return -ENOBUFS;
  struct rtattr *pi = nla_nest_start(&r.n, max, VETH_INFO_PEER);
  if (!pi) return -ENOBUFS;
  /* The peer's attributes follow its own ifinfomsg. */
  if (NLMSG_ALIGN(r.n.nlmsg_len) + sizeof(struct ifinfomsg) > max) return -ENOBUFS;
  memset(nla_tail(&r.n), 0, sizeof(struct ifinfomsg));
  r.n.nlmsg_len = NLMSG_ALIGN(r.n.nlmsg_len) + sizeof(struct ifinfomsg);
  if (nla_put_str(&r.n, max, IFLA_IFNAME, peer) < 0) return -ENOBUFS;
  if (mtu > 0 && nla_put_u32(&r.n, max, IFLA_MTU, (uint32_t)mtu) < 0) return -ENOBUFS;
  if (mac && nla_put(&r.n, max, IFLA_ADDRESS, mac, 6) < 0) return -ENOBUFS;
  if (peer_nsfd >= 0 && nla_put_u32(&r.n, max, IFLA_NET_NS_FD, (uint32_t)peer_nsfd) < 0) return -ENOBUFS;
  nla_nest_end(&r.n, pi);
  nla_nest_end(&r.n, data);
  nla_nest_end(&r.n, li);
  return talk(fd, &r.n);
}
