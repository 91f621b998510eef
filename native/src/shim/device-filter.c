/*
 * The cgroup v2 device policy: cgroup2 has no devices.allow/deny files; the
 * kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup
 * instead (as runc's libcontainer/cgroups/devices/ebpf does). This builds
 * that program from the container's allow rules (first match allows,
 * everything else is denied) with the raw bpf(2) syscall, and attaches it
 * with BPF_F_ALLOW_MULTI (programs of nested cgroups can only narrow it).
 * The attachment holds the program: it lives until the cgroup is removed.
 *
 * Program context (struct bpf_cgroup_dev_ctx): access_type (low 16 bits the
 * device type BPF_DEVCG_DEV_BLOCK/CHAR, high 16 bits the access
 * BPF_DEVCG_ACC_MKNOD/READ/WRITE), major, minor. Registers after the prologue:
 * r2 = access, r3 = type, r4 = major, r5 = minor; r6 is scratch.
 */
#include "device-filter.h"
#include "timing.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDXW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define AND32_IMM(d, i) INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH32_IMM(d, i) INSN(BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define MAX_INSNS 4096

/* Appends the program for `rules` to prog; returns the instruction count or -1 when too long. */
static int build(const struct dev_rule *rules, size_t n, struct bpf_insn *prog) {
  int k = 0;
  prog[k++] = LDXW(2, 1, 0);        /* r2 = access_type */
  prog[k++] = MOV32_REG(3, 2);
  prog[k++] = AND32_IMM(3, 0xffff); /* r3 = device type */
  prog[k++] = RSH32_IMM(2, 16);     /* r2 = access */
  prog[k++] = LDXW(4, 1, 4);        /* r4 = major */
  prog[k++] = LDXW(5, 1, 8);        /* r5 = minor */
  for (size_t i = 0; i < n; i++) {
    const struct dev_rule *r = &rules[i];
    struct bpf_insn blk[8];
    int jumps[8], nj = 0, m = 0;
    if (r->type == 'c' || r->type == 'b') { jumps[nj++] = m; blk[m++] = JNE_IMM(3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0); }
    int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    if ((r->access & all) != all) {
      /* any requested access outside the rule's → no match */
      blk[m++] = MOV32_REG(6, 2);
      blk[m++] = AND32_IMM(6, ~r->access & all);
      jumps[nj++] = m; blk[m++] = JNE_IMM(6, 0, 0);
    }
    if (r->major >= 0) { jumps[nj++] = m; blk[m++] = JNE_IMM(4, r->major, 0); }
    if (r->minor >= 0) { jumps[nj++] = m; blk[m++] = JNE_IMM(5, r->minor, 0); }
    blk[m++] = MOV64_IMM(0, 1);
    blk[m++] = EXIT_INSN();
    for (int j = 0; j < nj; j++) blk[jumps[j]].off = (short)(m - jumps[j] - 1); /* to the next rule */
    if (k + m + 2 > MAX_INSNS) return -1;
    memcpy(prog + k, blk, m * sizeof(blk[0]));
    k += m;
  }
  prog[k++] = MOV64_IMM(0, 0);
  prog[k++] = EXIT_INSN();
  return k;
}

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

int device_filter_attach(const char *cgroup_dir, const struct dev_rule *rules, size_t n, const char **stage) {
  static struct bpf_insn prog[MAX_INSNS];
  static char log[4096];
  *stage = "device filter";
  int cnt = build(rules, n, prog);
  if (cnt < 0) return -E2BIG;
  union bpf_attr load;
  memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (unsigned long)prog;
  load.insn_cnt = cnt;
  load.license = (unsigned long)"Apache";
  int pfd = sys_bpf(BPF_PROG_LOAD, &load);
  if (pfd < 0 && errno == EACCES) { /* the verifier refused: load again for its log (a verbose log costs ~1.5 ms) */
    load.log_buf = (unsigned long)log; load.log_size = sizeof(log); load.log_level = 1;
    pfd = sys_bpf(BPF_PROG_LOAD, &load);
  }
  if (pfd < 0) {
    int e = errno;
    if (log[0]) fprintf(stderr, "berth-shim: device filter rejected by the verifier:\n%s\n", log);
    *stage = "device filter (bpf prog load)";
    return -e;
  }
  shim_mark("devfilter-load");
  int cfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0) { int e = errno; close(pfd); *stage = "device filter (open cgroup)"; return -e; }
  union bpf_attr at;
  memset(&at, 0, sizeof(at));
  at.target_fd = cfd;
  at.attach_bpf_fd = pfd;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = sys_bpf(BPF_PROG_ATTACH, &at);
  int e = errno;
  close(cfd);
  close(pfd);
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
