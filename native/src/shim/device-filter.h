/* cgroup v2 device policy as a BPF_PROG_TYPE_CGROUP_DEVICE program (device-filter.c). */
#ifndef BERTH_DEVICE_FILTER_H
#define BERTH_DEVICE_FILTER_H
#include <stddef.h>

/* An allow rule: type 'c', 'b' or 'a' (any); major/minor -1 = any; access bits BPF_DEVCG_ACC_* (mknod 1, read 2, write 4). */
struct dev_rule { char type; int major, minor; int access; };

/* Loads the allow-list program for `rules` and attaches it to the cgroup2 directory. 0, or -errno with *stage naming the step. */
int device_filter_attach(const char *cgroup_dir, const struct dev_rule *rules, size_t n, const char **stage);
/* Writes `a` to DIR/devices.deny, then each rule to DIR/devices.allow (cgroup v1). 0, or -errno. */
int device_rules_v1(const char *dir, const struct dev_rule *rules, size_t n);
#endif
