/*
 * The cgroup v2 device policy: cgroup2 has no devices.allow/deny files; the
 * kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup
 * instead (as runc's libcontainer/cgroups/devices/ebpf does). This builds
 * that program from the container's allow rules (common/device-prog.h: first
 * match allows, everything else is denied) with the raw bpf(2) syscall — or
 * takes the one the daemon loaded once and passed as an fd — and attaches it
 * with BPF_F_ALLOW_MULTI (programs of nested cgroups can only narrow it).
 * The attachment holds the program: it lives until the cgroup is removed.
 */
#include "device-filter.h"
#include "timing.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

int device_filter_attach(const char *cgroup_dir, const struct dev_rule *rules, size_t n, int prog_fd, const char **stage) {
  static char log[4096];
  *stage = "device filter";
  int pfd = prog_fd;
  if (pfd < 0) {
    pfd = device_prog_load(rules, n, log, sizeof(log));
    if (pfd < 0) {
      if (log[0]) fprintf(stderr, "berth-shim: device filter rejected by the verifier:\n%s\n", log);
      *stage = pfd == -E2BIG ? "device filter" : "device filter (bpf prog load)";
      return pfd;
    }
    shim_mark("devfilter-load");
  }
  int cfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0) { int e = errno; if (pfd != prog_fd) close(pfd); *stage = "device filter (open cgroup)"; return -e; }
  union bpf_attr at;
  memset(&at, 0, sizeof(at));
  at.target_fd = cfd;
  at.attach_bpf_fd = pfd;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = sys_bpf(BPF_PROG_ATTACH, &at);
  int e = errno;
  close(cfd);
  if (pfd != prog_fd) close(pfd);
  if (rc < 0) { *stage = "device filter (bpf prog attach)"; return -e; }
  return 0;
}

static int write_rule(int dfd, const char *file, const char *text) {
  int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

int device_rules_v1(const char *dir, const struct dev_rule *rules, size_t n) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return -errno;
  int rc = write_rule(dfd, "devices.deny", "a");
  for (size_t i = 0; !rc && i < n; i++) {
    char text[64], num[2][16];
    for (int k = 0; k < 2; k++) {
      int v = k ? rules[i].minor : rules[i].major;
      if (v < 0) snprintf(num[k], sizeof(num[k]), "*"); else snprintf(num[k], sizeof(num[k]), "%d", v);
    }
    snprintf(text, sizeof(text), "%c %s:%s %s%s%s", rules[i].type, num[0], num[1],
             rules[i].access & BPF_DEVCG_ACC_READ ? "r" : "", rules[i].access & BPF_DEVCG_ACC_WRITE ? "w" : "",
             rules[i].access & BPF_DEVCG_ACC_MKNOD ? "m" : "");
    if (rules[i].type == 'a') snprintf(text, sizeof(text), "a");
    rc = write_rule(dfd, "devices.allow", text);
  }
  close(dfd);
  return rc;
}
