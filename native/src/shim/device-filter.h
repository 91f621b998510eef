/* cgroup v2 device policy as a BPF_PROG_TYPE_CGROUP_DEVICE program (device-filter.c). */
#ifndef BERTH_DEVICE_FILTER_H
#define BERTH_DEVICE_FILTER_H
#include <stddef.h>
#include "device-prog.h"

/*
 * Attaches the allow-list program to the cgroup2 directory: `prog_fd` when the
 * daemon passed one already loaded (>= 0; not closed here), else the program
 * for `rules`, loaded now. 0, or -errno with *stage naming the step.
 */
int device_filter_attach(const char *cgroup_dir, const struct dev_rule *rules, size_t n, int prog_fd, const char **stage);
/* Writes `a` to DIR/devices.deny, then each rule to DIR/devices.allow (cgroup v1). 0, or -errno. */
int device_rules_v1(const char *dir, const struct dev_rule *rules, size_t n);
#endif
