/*
 * Compiles the flattened seccomp rules of a bootstrap into a BPF program with
 * libseccomp. Runs in the shim, before clone(): the child only installs the
 * ready program with prctl(PR_SET_SECCOMP), so no libseccomp code (which
 * allocates) ever runs in the child.
 */
#include "bootstrap.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>

static int action_of(const char *name, unsigned err, uint32_t *out) {
  if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO(err);
  else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE(err);
  else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else return -1;
  return 0;
}

static int op_of(const char *name, enum scmp_compare *out) {
  static const struct { const char *n; enum scmp_compare c; } t[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) if (!strcmp(t[i].n, name)) { *out = t[i].c; return 0; }
  return -1;
}

/*
 * The compiled program depends only on the rule records, so the daemon names
 * a cache file keyed by their hash (scmp_cache). A cached program is used only
 * when it is a regular file owned by us and writable by nobody else.
 */
static int load_cached(struct bootstrap *b) {
  if (!b->scmp_cache) return -1;
  int fd = open(b->scmp_cache, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
      st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) || st.st_size > (1 << 20)) { close(fd); return -1; }
  struct sock_filter *f = malloc(st.st_size);
  if (!f || pread(fd, f, st.st_size, 0) != st.st_size) { free(f); close(fd); return -1; }
  close(fd);
  b->prog.filter = f;
  b->prog.len = st.st_size / sizeof(struct sock_filter);
  return 0;
}

static void store_cached(const struct bootstrap *b) {
  if (!b->scmp_cache) return;
  char tmp[4200];
  snprintf(tmp, sizeof(tmp), "%s.%d.tmp", b->scmp_cache, getpid());
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  size_t len = b->prog.len * sizeof(struct sock_filter);
  if (write(fd, b->prog.filter, len) != (ssize_t)len || fsync(fd) < 0) { close(fd); unlink(tmp); return; }
  close(fd);
  if (rename(tmp, b->scmp_cache) < 0) unlink(tmp);
}

int seccomp_build(struct bootstrap *b, const char **err) {
  if (!b->has_seccomp) return 0;
  if (load_cached(b) == 0) return 0;
  uint32_t def;
  if (action_of(b->scmp_default, b->scmp_default_errno, &def)) { *err = "unknown seccomp default action"; return -EINVAL; }
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { *err = "seccomp_init"; return -ENOMEM; }
  int rc = 0;
  /* The daemon decides no_new_privs; the filter must not force it. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  /* A binary tree of syscall numbers instead of a linear chain: ~9 compares per
   * syscall instead of up to ~300, which also makes the kernel's per-filter
   * action cache cheap to build at install time (libseccomp >= 2.5). */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (size_t i = 0; i < b->narches; i++) {
    uint32_t a = seccomp_arch_resolve_name(b->scmp_arches[i]);
    if (!a) continue;
    rc = seccomp_arch_add(ctx, a);
    if (rc && rc != -EEXIST) { *err = "seccomp_arch_add"; goto out; }
    rc = 0;
  }
  for (size_t i = 0; i < b->nrules; i++) {
    struct scmp_rule *r = &b->rules[i];
    uint32_t act;
    if (action_of(r->action, r->err, &act)) { *err = "unknown seccomp action"; rc = -EINVAL; goto out; }
    if (act == def) continue; /* libseccomp refuses rules equal to the default */
    int nr = seccomp_syscall_resolve_name(r->name);
    if (nr == __NR_SCMP_ERROR) continue; /* unknown on this arch/libseccomp: Docker skips them too */
    struct scmp_arg_cmp cmp[6];
    for (unsigned j = 0; j < r->nargs; j++) {
      enum scmp_compare op;
      if (op_of(r->args[j].op, &op)) { *err = "unknown seccomp operator"; rc = -EINVAL; goto out; }
      cmp[j].arg = r->args[j].idx; cmp[j].op = op; cmp[j].datum_a = r->args[j].val; cmp[j].datum_b = r->args[j].val2;
    }
    rc = seccomp_rule_add_array(ctx, act, nr, r->nargs, cmp);
    if (rc == -EEXIST) rc = 0;
    if (rc) { *err = "seccomp_rule_add"; goto out; }
  }
  int mfd = memfd_create("berth-bpf", MFD_CLOEXEC);
  if (mfd < 0) { rc = -errno; *err = "memfd_create"; goto out; }
  rc = seccomp_export_bpf(ctx, mfd);
  if (rc) { close(mfd); *err = "seccomp_export_bpf"; goto out; }
  off_t size = lseek(mfd, 0, SEEK_END);
  struct sock_filter *f = malloc(size > 0 ? size : 1);
  if (!f || pread(mfd, f, size, 0) != size) { free(f); close(mfd); rc = -EIO; *err = "read bpf"; goto out; }
  close(mfd);
  b->prog.filter = f;
  b->prog.len = size / sizeof(struct sock_filter);
  store_cached(b);
out:
  seccomp_release(ctx);
  return rc;
}
#else
int seccomp_build(struct bootstrap *b, const char **err) {
  if (!b->has_seccomp) return 0;
  *err = "berth-shim was built without libseccomp";
  return -ENOSYS;
}
#endif
