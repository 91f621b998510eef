/**
 * Lifecycle through the native exec driver: stop escalation, exec (with and
 * without a tty), stdin, --init, and restore after the daemon died.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { RunningContainer } from '../../../core';
import { NativeExecDriver, defaultProcessSpec, stopContainer } from '../../../plugins/execdriver-native';
import { Harness, collect, newHarness, requireKernel } from './harness';

function waitForOutput(s: NodeJS.ReadableStream, needle: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    s.on('data', (d: Buffer) => { acc += d.toString(); if (acc.includes(needle)) resolve(acc); });
    s.on('end', () => (acc.includes(needle) ? resolve(acc) : reject(new Error(`stream ended without ${needle}: ${acc}`))));
  });
}

describe('execdriver-native: lifecycle', function () {
  this.timeout(30000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('stop escalates to SIGKILL when PID 1 ignores SIGTERM', async () => {
    const spec = h.spec(['sh', '-c', 'echo ready; while true; do sleep 0.05; done']);
    const c = await h.start(spec);
    await waitForOutput((await c.attach()).stdout, 'ready');
    const st = await stopContainer(c, { timeoutSeconds: 0.5 });
    assert.equal(st.exitCode, 137);
    assert.equal(st.signal, 'SIGKILL');
  });

  it('stop lets a PID 1 that handles the stop signal exit on its own', async () => {
    const c = await h.start(h.spec(['sh', '-c', 'trap "exit 3" USR1; echo ready; while true; do sleep 0.05; done']));
    await waitForOutput((await c.attach()).stdout, 'ready');
    const st = await stopContainer(c, { signal: 'SIGUSR1', timeoutSeconds: 20 });
    assert.equal(st.exitCode, 3);
  });

  it('execs into a running container with a tty (size, controlling terminal, same namespaces)', async () => {
    const spec = h.spec(['sh', '-c', 'echo ready; while true; do sleep 0.1; done'], { hostname: 'bt-exec' });
    const c = await h.start(spec);
    await waitForOutput((await c.attach()).stdout, 'ready');
    const e = await c.exec(defaultProcessSpec(['sh', '-c', 'tty; stty size; hostname; cat /proc/self/status | grep -E "^(Seccomp|CapEff):"; ls /proc | grep -c "^[0-9]"'],
      { terminal: true, consoleSize: { rows: 33, cols: 101 } }));
    const io = await e.attach();
    assert.equal(io.stderr, null);
    const [out, st] = await Promise.all([collect(io.stdout), e.wait()]);
    assert.equal(st.exitCode, 0, out);
    const lines = out.split(/\r?\n/);
    assert.match(lines[0], /^\/dev\/pts\/\d+$/);
    assert.equal(lines[1], '33 101');
    assert.equal(lines[2], 'bt-exec');
    assert.match(out, /Seccomp:\s*2/);
    assert.match(out, /CapEff:\s*0*a80425fb/);
    // PID 1 + its sleep + the exec'd sh (+ its pipeline): a private pid namespace, not the host's
    assert.ok(Number(lines[lines.length - 2]) < 10, `processes visible: ${lines[lines.length - 2]}`);
  });

  it('execs with piped stdin/stdout/stderr, user and env', async () => {
    const c = await h.start(h.spec(['sleep', '30']));
    const e = await c.exec(defaultProcessSpec(['sh', '-c', 'read x; echo "got $x as $(id -u) $GREETING"; echo oops >&2; exit 4'],
      { openStdin: true, user: { uid: 65534, gid: 65534, additionalGids: [] }, env: ['GREETING=hi'] }));
    const io = await e.attach();
    io.stdin!.end('line\n');
    const [out, err, st] = await Promise.all([collect(io.stdout), collect(io.stderr), e.wait()]);
    assert.equal(out, 'got line as 65534 hi\n');
    assert.equal(err, 'oops\n');
    assert.equal(st.exitCode, 4);
  });

  it('reports exec failures with their stage, and refuses exec into an exited container', async () => {
    const c = await h.start(h.spec(['sleep', '30']));
    await assert.rejects(c.exec(defaultProcessSpec(['/nope'])), /container setup failed at exec \/nope: no such file or directory/);
    await assert.rejects(c.exec(defaultProcessSpec(['true'], { cwd: 'relative' })), /process\.cwd must be absolute/);
    await c.signal('SIGKILL');
    await c.wait();
    await assert.rejects(c.exec(defaultProcessSpec(['true'])), /is not running/);
    await assert.rejects(c.signal('SIGTERM'), /is not running/);
  });

  it('gives PID 1 a terminal and stdin when asked', async () => {
    const spec = h.spec(['sh', '-c', 'read x; echo "[$x]"; tty; stty size']);
    spec.process.terminal = true;
    spec.process.openStdin = true;
    const c = await h.start(spec);
    const io = await c.attach();
    const outP = collect(io.stdout);
    await c.resize(40, 120);
    io.stdin!.write('typed\r');
    const st = await c.wait();
    const out = await outP;
    assert.equal(st.exitCode, 0);
    assert.match(out, /\[typed\]/);
    assert.match(out, /\/dev\/pts\/\d+/);
    assert.match(out, /^40 120\r?$/m);
  });

  it('--init runs berth-init as PID 1, which forwards signals to the program', async () => {
    const spec = h.spec(['sh', '-c', 'trap "echo got-term; exit 5" TERM; echo "pid=$$ init=$(cat /proc/1/cmdline | tr "\\0" " ")"; while true; do sleep 0.05; done'], { init: true });
    const c = await h.start(spec);
    const io = await c.attach();
    const outP = collect(io.stdout);
    await new Promise((r) => setTimeout(r, 300));
    await c.signal('SIGTERM');
    const st = await c.wait();
    const out = await outP;
    assert.match(out, /pid=[2-9]\d* init=\/dev\/init -- sh -c/);
    assert.match(out, /got-term/);
    assert.equal(st.exitCode, 5);
  });

  it('--init reaps orphaned zombies (a non-reaping PID 1 would keep them)', async () => {
    // sh starts an orphan (re-parented to PID 1) and execs into sleep, which never reaps
    const zombiesWith = async (init: boolean): Promise<number> => {
      const c = await h.start(h.spec(['sh', '-c', '(sleep 0.1 &); exec sleep 3'], { init }));
      await new Promise((r) => setTimeout(r, 700));
      const e = await c.exec(defaultProcessSpec(['sh', '-c', 'ps -o stat | grep -c "^Z"; true']));
      const out = await collect((await e.attach()).stdout);
      await c.signal('SIGKILL');
      await c.wait();
      return Number(out.trim());
    };
    assert.ok(await zombiesWith(false) >= 1, 'expected a zombie under a non-reaping PID 1');
    assert.equal(await zombiesWith(true), 0);
  });

  it('survives kill -9 of the daemon: a new driver reconnects, gets the output and the exit code', async () => {
    const spec = h.spec(['sh', '-c', 'echo before; read x < /dev/null; sleep 1; echo after; exit 7']);
    // A separate "daemon" process starts the container and is then SIGKILLed.
    const script = `
      const { NativeExecDriver } = require(${JSON.stringify(path.resolve(__dirname, '../../../plugins/execdriver-native'))});
      new NativeExecDriver({ seccompCacheDir: ${JSON.stringify(path.join(h.dir, 'seccomp-cache'))} }).start(${JSON.stringify(spec)}).then((c) => { console.log('started ' + c.pid); setInterval(() => {}, 1000); },
        (e) => { console.log('failed ' + e.message); process.exit(1); });`;
    const daemon = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const started = await waitForOutput(daemon.stdout!, '\n');
      assert.match(started, /^started \d+/);
    } finally {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        const gone = new Promise((r) => daemon.once('exit', r));
        daemon.kill('SIGKILL');
        await gone;
      }
    }
    const restored = await new NativeExecDriver().restore(spec.id, spec.stateDir);
    assert.ok('attach' in restored, 'restore should find the running container');
    const c = restored as RunningContainer;
    const io = await c.attach();
    const [out, st] = await Promise.all([collect(io.stdout), c.wait()]);
    assert.equal(out, 'before\nafter\n');
    assert.equal(st.exitCode, 7);
  });

  it('restarts in the same state directory: refused while running, fine after exit', async () => {
    const spec = h.spec(['sh', '-c', 'read x; echo run']);
    spec.process.openStdin = true;
    const c = await h.start(spec);
    await assert.rejects(h.driver.start(spec), /already running/);
    const io = await c.attach();
    const out = collect(io.stdout);
    io.stdin!.end('go\n');
    assert.equal((await c.wait()).exitCode, 0);
    assert.equal(await out, 'run\n');
    const again = await h.driver.start(spec);
    const io2 = await again.attach();
    io2.stdin!.end('go\n');
    assert.equal(await collect(io2.stdout), 'run\n');
    assert.equal((await again.wait()).exitCode, 0);
  });

  it('loses no output while nobody is attached: the bounded backlog blocks the writer instead', async () => {
    const total = 10 * 1024 * 1024; // more than the shim's 4 MiB backlog
    const spec = h.spec(['sh', '-c', `head -c ${total} /dev/zero; echo end`]);
    const c = await h.start(spec);
    await new Promise((r) => setTimeout(r, 500));
    const io = await c.attach();
    let bytes = 0;
    let tail = '';
    io.stdout.on('data', (d: Buffer) => { bytes += d.length; tail = (tail + d.toString('latin1')).slice(-8); });
    await new Promise((r) => io.stdout.on('end', r));
    assert.equal((await c.wait()).exitCode, 0);
    assert.equal(bytes, total + 4);
    assert.ok(tail.endsWith('end\n'));
  });

  it('restores an exited container whose output nobody read yet', async () => {
    const spec = h.spec(['sh', '-c', 'echo one; echo two >&2; exit 9']);
    await new NativeExecDriver({ seccompCacheDir: path.join(h.dir, 'seccomp-cache') }).start(spec); // driver object dropped right away
    let state = await new NativeExecDriver().restore(spec.id, spec.stateDir);
    assert.ok('attach' in state, 'the shim keeps an exited container with unread output');
    assert.equal((await (state as RunningContainer).wait()).exitCode, 9);
    // collected, but the output is still unread: the shim stays and a later daemon still gets it
    state = await new NativeExecDriver().restore(spec.id, spec.stateDir);
    const c = state as RunningContainer;
    const io = await c.attach();
    const [out, err] = await Promise.all([collect(io.stdout), collect(io.stderr)]);
    assert.equal(out, 'one\n');
    assert.equal(err, 'two\n');
    await h.driver.delete(spec.id, spec.stateDir);
    await assert.rejects(new NativeExecDriver().restore(spec.id, spec.stateDir), /no container/);
  });
});
