/* Stage timestamps for performance work: BERTH_SHIM_TIMING=1 (stderr) or =/abs/file. */
#ifndef BERTH_TIMING_H
#define BERTH_TIMING_H
void shim_mark(const char *what);
/* Child side of clone(): records a stage time in a shared page (only when timing is on; no stdio, no malloc). */
void child_mark(const char *what);
/* Shim side: maps the shared page before clone (timing on only), and prints the child's marks after it exec'd. */
void child_marks_setup(void);
void child_marks_flush(void);
#endif
