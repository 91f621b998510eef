/*
 * The wire protocol between berthd (plugins/execdriver-native) and berth-shim.
 * Shared by the shim and anything native that talks to it. See
 * docs/exec-driver.md for the full description.
 *
 * 1. Bootstrap (daemon -> shim stdin, then EOF): a sequence of NUL-terminated
 *    strings. Each record starts with a key; the key fixes how many fields
 *    follow (see shim/bootstrap.c). Unknown keys are a setup error.
 * 2. Start reply (shim stdout, one line): `ok <pid1>\n` or `err <message>\n`.
 *    After it the shim closes stdio and lives on its own (setsid).
 * 3. Control socket `<stateDir>/shim.sock` (SOCK_STREAM). A connection sends
 *    one request line:
 *      state\n                 -> `running <pid>\n` | `exited <status-json>\n`
 *      wait <pid>\n            -> `<status-json>\n` once that process exited (pid 0 = PID 1)
 *      signal <pid> <signo>\n  -> `ok\n` | `err <message>\n`
 *      resize <pid> <rows> <cols>\n -> `ok\n` | `err ...\n`
 *      attach <pid>\n          -> `ok\n`, then frames both ways (below)
 *      attach 0 log <out> <err> <mark>\n -> `ok log <out> <err>\n`, then frames: the
 *                              *log attach* of PID 1 (one at a time; a new one replaces
 *                              the old). <out>/<err> are payload offsets into PID 1's
 *                              stdout/stderr to start from (`-` = the oldest byte kept);
 *                              the reply says where the stream really starts. From the
 *                              first log attach on, the shim keeps every output byte
 *                              until the log client acknowledges it (ack frames), so a
 *                              consumer that died before storing output gets it again.
 *                              <mark> (no spaces) is the consumer's opaque mark of that
 *                              position, stored as the checkpoint.
 *      ackpos\n                -> `ok <out> <err> <mark>\n` (the checkpoint: last ack, or the
 *                              log attach position) | `none\n` before any log attach
 *      exec <len>\n<len bytes of bootstrap> -> `ok <pid>\n` then frames as attach,
 *                              or `err <message>\n`
 *      shutdown\n              -> kills PID 1 if alive, records status, `ok\n`, shim exits
 *    Frames: 1 byte stream + 4 bytes big-endian length + payload.
 *      shim -> client: 1 stdout, 2 stderr, 3 exit (payload = status JSON; last frame)
 *      client -> shim: 0 stdin data; a 0-length stdin frame closes the process's stdin.
 *                      4 ack (log attach only): payload `<out> <err> <mark>`, absolute
 *                      offsets up to which the consumer stored the output; the shim frees
 *                      it and keeps (out, err, mark) as the checkpoint for `ackpos`.
 *    Unacknowledged output counts against BERTH_BACKLOG_MAX (the container blocks).
 */
#ifndef BERTH_SHIM_PROTO_H
#define BERTH_SHIM_PROTO_H

#define BERTH_FRAME_STDIN 0
#define BERTH_FRAME_STDOUT 1
#define BERTH_FRAME_STDERR 2
#define BERTH_FRAME_EXIT 3
#define BERTH_FRAME_ACK 4
#define BERTH_FRAME_HDR 5

#define BERTH_SHIM_SOCK "shim.sock"
#define BERTH_SHIM_STATUS "exit.json"
#define BERTH_SHIM_PIDFILE "shim.pid"

/* Output kept while nobody is attached, per process (bytes, frames included). */
#define BERTH_BACKLOG_MAX (4u << 20)
/* Longest checkpoint mark a log consumer may store. */
#define BERTH_MARK_MAX 95

#endif
