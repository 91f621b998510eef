import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerStore } from '../../../core/container/store';
import { normaliseName, randomName, VALID_CONTAINER_NAME } from '../../../core/container/names';
import { newId, isFullId } from '../../../core/container/ids';
import { initialState, transition } from '../../../core/container/state';
import { defaultHostConfig } from '../../../core/container/normalise-create';
import type { Container, ContainerRecord } from '../../../core/container/types';
import { isConflict, isInvalidArgument, isNotFound, isFailedPrecondition } from '../../../core/errors';

function record(id: string, name: string, created = new Date().toISOString()): ContainerRecord {
  return {
    ID: id, Created: created, Path: 'sh', Args: [], Image: 'sha256:' + '0'.repeat(64), State: initialState(),
    Name: name, Driver: 'vfs', Platform: 'linux', RestartCount: 0, HasBeenStartedBefore: false,
    HasBeenManuallyStopped: false, NetworkSettings: {}, LogPath: '', ResolvConfPath: '', HostnamePath: '',
    HostsPath: '', MountLabel: '', ProcessLabel: '', AppArmorProfile: '', MountPoints: [],
    NetworkingConfig: { EndpointsConfig: {} },
    Config: {
      Hostname: id.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true,
      Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sh'], Entrypoint: null, Image: 'busybox',
      Volumes: null, WorkingDir: '', OnBuild: null, Labels: {},
    },
  };
}

describe('container names and ids', () => {
  it('accepts Docker-valid names and adds the leading slash', () => {
    assert.equal(normaliseName('web'), '/web');
    assert.equal(normaliseName('/web.1_a-b'), '/web.1_a-b');
  });
  it('refuses names breaking Docker\'s rule with Docker\'s message', () => {
    for (const bad of ['a', '-x', '_x', 'a b', 'x/y', '/', '']) {
      assert.throws(() => normaliseName(bad), (e: unknown) => isInvalidArgument(e) && /Invalid container name/.test(String((e as Error).message)), bad);
    }
  });
  it('random names are adjective_surname and valid', () => {
    for (let i = 0; i < 50; i++) {
      const n = randomName();
      assert.match(n, /^[a-z]+_[a-z]+$/);
      assert.ok(VALID_CONTAINER_NAME.test(n));
      assert.notEqual(n, 'boring_wozniak');
    }
    assert.match(randomName(1), /^[a-z]+_[a-z]+\d$/);
  });
  it('ids are 64 hex', () => {
    const id = newId();
    assert.ok(isFullId(id));
    assert.notEqual(newId(), id);
  });
});

describe('container state machine', () => {
  it('sets Docker\'s booleans per status', () => {
    let s = initialState();
    assert.equal(s.Status, 'created');
    s = transition(s, 'running', { Pid: 42, StartedAt: 'now' });
    assert.deepEqual([s.Running, s.Paused, s.Pid], [true, false, 42]);
    s = transition(s, 'paused');
    assert.deepEqual([s.Running, s.Paused], [true, true]);
    s = transition(s, 'running');
    s = transition(s, 'exited', { ExitCode: 3, FinishedAt: 'later' });
    assert.deepEqual([s.Running, s.Pid, s.ExitCode], [false, 0, 3]);
    s = transition(s, 'running', { Pid: 7 });
    assert.equal(s.ExitCode, 0, 'a fresh start clears the exit code');
  });
  it('refuses illegal transitions', () => {
    assert.throws(() => transition(initialState(), 'paused'), isFailedPrecondition);
    const dead = transition(initialState(), 'dead');
    assert.throws(() => transition(dead, 'running'), isFailedPrecondition);
  });
});

describe('ContainerStore', () => {
  let root: string;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-store-')); });
  afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

  async function add(store: ContainerStore, name?: string, created?: string): Promise<Container> {
    const id = newId();
    const n = store.reserveName(id, name);
    const c = { record: record(id, n, created), hostConfig: defaultHostConfig() };
    await store.add(c);
    return c;
  }

  it('persists config.v2.json and hostconfig.json and reloads them', async () => {
    const s1 = new ContainerStore(root);
    await s1.load();
    const c = await add(s1, 'web');
    c.record.State = transition(c.record.State, 'running', { Pid: 99 });
    await s1.saveRecord(c);
    const files = fs.readdirSync(path.join(root, c.record.ID)).sort();
    assert.deepEqual(files, ['config.v2.json', 'hostconfig.json']);
    const s2 = new ContainerStore(root);
    assert.deepEqual(await s2.load(), []);
    const again = s2.get('web');
    assert.equal(again.record.ID, c.record.ID);
    assert.equal(again.record.State.Pid, 99);
    assert.equal(again.hostConfig.NetworkMode, 'default');
  });

  it('finds by full id, unique prefix, name with or without slash', async () => {
    const s = new ContainerStore(root);
    await s.load();
    const c = await add(s, 'db');
    assert.equal(s.get(c.record.ID), c);
    assert.equal(s.get(c.record.ID.slice(0, 5)), c);
    assert.equal(s.get('db'), c);
    assert.equal(s.get('/db'), c);
    assert.throws(() => s.get('nope'), (e: unknown) => isNotFound(e) && (e as Error).message === 'No such container: nope');
  });

  it('reports an ambiguous prefix', async () => {
    const s = new ContainerStore(root);
    await s.load();
    // add until two ids share a first hex digit (pigeonhole: at most 17 containers)
    const seen = new Map<string, string>();
    let prefix = '';
    while (!prefix) {
      const c = await add(s);
      const p = c.record.ID[0];
      if (seen.has(p)) prefix = p; else seen.set(p, c.record.ID);
    }
    assert.throws(() => s.get(prefix), (e: unknown) => isInvalidArgument(e) && /multiple IDs found with provided prefix/.test((e as Error).message));
  });

  it('keeps names unique with Docker\'s conflict message, and frees them on delete', async () => {
    const s = new ContainerStore(root);
    await s.load();
    const c = await add(s, 'app');
    assert.throws(() => s.reserveName(newId(), 'app'), (e: unknown) => isConflict(e) && /The container name "\/app" is already in use by container/.test((e as Error).message));
    await s.delete(c.record.ID);
    assert.equal(fs.existsSync(path.join(root, c.record.ID)), false);
    assert.equal(s.reserveName(newId(), 'app'), '/app');
  });

  it('lands a container\'s writes in the order they were asked for, even when nobody waits for them', async () => {
    const s = new ContainerStore(root);
    await s.load();
    const c = await add(s, 'ordered');
    const pending: Array<Promise<void>> = [];
    for (let i = 1; i <= 40; i++) {
      // alternately the in-memory record (not durable) and another record (durable), as a start does
      if (i % 2) {
        c.record.RestartCount = i;
        pending.push(s.saveRecord(c, false));
      } else {
        pending.push(s.saveRecordAs(c, { ...c.record, RestartCount: i }));
      }
    }
    await Promise.all(pending);
    const onDisk = JSON.parse(fs.readFileSync(path.join(root, c.record.ID, 'config.v2.json'), 'utf8')) as ContainerRecord;
    assert.equal(onDisk.RestartCount, 40, 'the last write asked for is the one on disk');
  });

  it('renames, keeping the old name free and the new one taken', async () => {
    const s = new ContainerStore(root);
    await s.load();
    const c = await add(s, 'old');
    await add(s, 'taken');
    await assert.rejects(s.rename(c, 'taken'), isConflict);
    await s.rename(c, 'new');
    assert.equal(s.get('new'), c);
    assert.equal(s.find('old'), undefined);
    const again = new ContainerStore(root);
    await again.load();
    assert.equal(again.get('new').record.ID, c.record.ID);
  });

  it('lists newest first and skips broken directories with a reason', async () => {
    const s = new ContainerStore(root);
    await s.load();
    const a = await add(s, 'a1', '2026-01-01T00:00:00.000000001Z');
    const b = await add(s, 'b1', '2026-01-02T00:00:00.000000001Z');
    fs.mkdirSync(path.join(root, 'f'.repeat(64)));
    const s2 = new ContainerStore(root);
    const problems = await s2.load();
    assert.equal(problems.length, 1);
    assert.match(problems[0], /missing config.v2.json/);
    assert.deepEqual(s2.all().map((c) => c.record.ID), [b.record.ID, a.record.ID]);
  });
});
