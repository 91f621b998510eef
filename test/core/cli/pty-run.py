#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal (200x40), the way a user's
terminal would: prints everything the command wrote to the terminal, and
exits with the command's status.

    pty-run.py [--when TEXT --send TEXT] [--on TEXT ACTION]... -- cmd args...

Each `--on TEXT ACTION` waits (in order) for TEXT to appear in the output
after the previous match, then does ACTION: `send:<text>` types the text
(backslash escapes such as \\r or \\x03 allowed), `resize:<rows>x<cols>`
changes the terminal size (the kernel then sends SIGWINCH to the command).
`--when T --send S` is `--on T send:S`. A session silent for 60 s is killed.
"""
import fcntl, os, pty, select, struct, sys, termios

def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

def main():
    args = sys.argv[1:]
    actions = []
    when = None
    while args and args[0] != '--':
        if args[0] == '--when': when = args[1]; args = args[2:]
        elif args[0] == '--send': actions.append((when, 'send:' + args[1])); args = args[2:]
        elif args[0] == '--on': actions.append((args[1], args[2])); args = args[3:]
        else: sys.exit('bad argument ' + args[0])
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    winsize(fd, 40, 200)
    out = b''
    pos = 0
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
        while actions:
            text, action = actions[0]
            i = out.find(text.encode(), pos)
            if i < 0:
                break
            pos = i + len(text)
            actions.pop(0)
            kind, _, arg = action.partition(':')
            if kind == 'send':
                os.write(fd, arg.encode().decode('unicode_escape').encode('latin-1'))
            elif kind == 'resize':
                rows, cols = arg.split('x')
                winsize(fd, int(rows), int(cols))
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status))

main()
