/* The addon's side of common/device-prog.h (C: the header uses C compound literals). */
#include "device-prog.h"

/* Loads the allow-list program for `n` rules given as (type, major, minor, access) quadruples. fd, or -errno. */
int berth_device_prog_load(const int *quads, size_t n) {
  struct dev_rule rules[256];
  if (n > sizeof(rules) / sizeof(rules[0])) return -E2BIG;
  for (size_t i = 0; i < n; i++) {
    rules[i].type = (char)quads[4 * i];
    rules[i].major = quads[4 * i + 1];
    rules[i].minor = quads[4 * i + 2];
    rules[i].access = quads[4 * i + 3];
  }
  return device_prog_load(rules, n, NULL, 0);
}
