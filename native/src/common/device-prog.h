/*
 * The cgroup2 device allow-list as a BPF_PROG_TYPE_CGROUP_DEVICE program:
 * built and loaded here, shared by berth-shim (shim/device-filter.c, which
 * attaches it) and the berth_exec addon (exec/device-prog.c), which loads the
 * program once per daemon and hands its fd to every shim it starts: a load
 * (verifier + JIT) costs ~0.3 ms, an attach of a loaded program ~0.02 ms.
 *
 * Program context (struct bpf_cgroup_dev_ctx): access_type (low 16 bits the
 * device type BPF_DEVCG_DEV_BLOCK/CHAR, high 16 bits the access
 * BPF_DEVCG_ACC_MKNOD/READ/WRITE), major, minor. Registers after the prologue:
 * r2 = access, r3 = type, r4 = major, r5 = minor; r6 is scratch. First match
 * allows (returns 1), the end returns 0.
 * Header-only (static functions): C only, include from a .c file.
 */
#ifndef BERTH_DEVICE_PROG_H
#define BERTH_DEVICE_PROG_H
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* An allow rule: type 'c', 'b' or 'a' (any); major/minor -1 = any; access bits BPF_DEVCG_ACC_* (mknod 1, read 2, write 4). */
struct dev_rule { char type; int major, minor; int access; };

#define BERTH_DEVPROG_MAX_INSNS 4096

#define BERTH_INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define BERTH_LDXW(d, s, o) BERTH_INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define BERTH_MOV32_REG(d, s) BERTH_INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define BERTH_AND32_IMM(d, i) BERTH_INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define BERTH_RSH32_IMM(d, i) BERTH_INSN(BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define BERTH_JNE_IMM(d, i, o) BERTH_INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define BERTH_MOV64_IMM(d, i) BERTH_INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define BERTH_EXIT_INSN() BERTH_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Writes the program for `rules` to prog (room for BERTH_DEVPROG_MAX_INSNS); the instruction count, or -1 when too long. */
static inline int device_prog_build(const struct dev_rule *rules, size_t n, struct bpf_insn *prog) {
  int k = 0;
  prog[k++] = BERTH_LDXW(2, 1, 0);        /* r2 = access_type */
  prog[k++] = BERTH_MOV32_REG(3, 2);
  prog[k++] = BERTH_AND32_IMM(3, 0xffff); /* r3 = device type */
  prog[k++] = BERTH_RSH32_IMM(2, 16);     /* r2 = access */
  prog[k++] = BERTH_LDXW(4, 1, 4);        /* r4 = major */
  prog[k++] = BERTH_LDXW(5, 1, 8);        /* r5 = minor */
  for (size_t i = 0; i < n; i++) {
    const struct dev_rule *r = &rules[i];
    struct bpf_insn blk[8];
    int jumps[8], nj = 0, m = 0;
    if (r->type == 'c' || r->type == 'b') { jumps[nj++] = m; blk[m++] = BERTH_JNE_IMM(3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0); }
    int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    if ((r->access & all) != all) {
      /* any requested access outside the rule's → no match */
      blk[m++] = BERTH_MOV32_REG(6, 2);
      blk[m++] = BERTH_AND32_IMM(6, ~r->access & all);
      jumps[nj++] = m; blk[m++] = BERTH_JNE_IMM(6, 0, 0);
    }
    if (r->major >= 0) { jumps[nj++] = m; blk[m++] = BERTH_JNE_IMM(4, r->major, 0); }
    if (r->minor >= 0) { jumps[nj++] = m; blk[m++] = BERTH_JNE_IMM(5, r->minor, 0); }
    blk[m++] = BERTH_MOV64_IMM(0, 1);
    blk[m++] = BERTH_EXIT_INSN();
    for (int j = 0; j < nj; j++) blk[jumps[j]].off = (short)(m - jumps[j] - 1); /* to the next rule */
    if (k + m + 2 > BERTH_DEVPROG_MAX_INSNS) return -1;
    memcpy(prog + k, blk, m * sizeof(blk[0]));
    k += m;
  }
  prog[k++] = BERTH_MOV64_IMM(0, 0);
  prog[k++] = BERTH_EXIT_INSN();
  return k;
}

/*
 * Builds and loads the program (CLOEXEC fd). The verifier log is only asked
 * for when a load is refused (a verbose log costs ~1.5 ms): then `log` (when
 * given) holds it. Returns the fd, or -errno.
 */
static inline int device_prog_load(const struct dev_rule *rules, size_t n, char *log, size_t logsize) {
  static struct bpf_insn prog[BERTH_DEVPROG_MAX_INSNS];
  int cnt = device_prog_build(rules, n, prog);
  if (cnt < 0) return -E2BIG;
  union bpf_attr load;
  memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (unsigned long)prog;
  load.insn_cnt = cnt;
  load.license = (unsigned long)"Apache";
  int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
  if (pfd < 0 && errno == EACCES && log && logsize) {
    log[0] = 0;
    load.log_buf = (unsigned long)log; load.log_size = (unsigned)logsize; load.log_level = 1;
    pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
  }
  return pfd < 0 ? -errno : pfd;
}
#endif
