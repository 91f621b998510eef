#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal (200x40), the way a user's
terminal would: prints everything the command wrote to the terminal, and
exits with the command's status. When the output first contains the text
given with --when, writes the --send text (\\r as Enter) to the terminal.

    pty-run.py [--when TEXT --send TEXT] -- cmd args...
"""
import fcntl, os, pty, select, struct, sys, termios

def main():
    args = sys.argv[1:]
    when = send = None
    while args and args[0] != '--':
        if args[0] == '--when': when = args[1].encode(); args = args[2:]
        elif args[0] == '--send': send = args[1].encode().decode('unicode_escape').encode(); args = args[2:]
        else: sys.exit('bad argument ' + args[0])
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 200, 0, 0))
    out = b''
    sent = False
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            os.kill(pid, 9)  # a hung session must not hang the test run
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
        if when is not None and not sent and when in out:
            os.write(fd, send)
            sent = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status))

main()
