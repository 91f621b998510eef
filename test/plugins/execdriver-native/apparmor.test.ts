/**
 * AppArmor: profile text and the decision logic. This kernel has no AppArmor,
 * so the kernel side (apparmor_parser, exec labels) is skipped with that
 * reason; what does not need the kernel is tested against a mocked securityfs.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInvalidArgument } from '../../../core';
import { NativeExecDriver, apparmorAvailable, decideApparmor, generateApparmorProfile } from '../../../plugins/execdriver-native';
import { APPARMOR_FS, loadedApparmorProfiles } from '../../../plugins/execdriver-native/apparmor';
import { collect, newHarness } from './harness';

describe('execdriver-native: AppArmor', () => {
  let fake: string;
  before(() => { fake = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-aa-')); });
  after(() => { fs.rmSync(fake, { recursive: true, force: true }); });

  it('generates the default profile text (mocked kernel: AppArmor not in this kernel)', () => {
    const text = generateApparmorProfile('berth-default');
    assert.match(text, /^profile berth-default flags=\(attach_disconnected,mediate_deleted\) \{$/m);
    assert.match(text, /^ {2}deny mount,$/m);
    assert.match(text, /deny @\{PROC\}\/kcore rwklx,/);
    assert.match(text, /deny \/sys\/firmware\/\*\* rwklx,/);
    assert.match(text, /signal \(send,receive\) peer=berth-default,/);
    assert.throws(() => generateApparmorProfile('bad name; rm'), (e: Error) => isInvalidArgument(e));
  });

  it('decides the profile from kernel support, privilege and the request (mocked kernel: AppArmor not in this kernel)', () => {
    assert.equal(apparmorAvailable(path.join(fake, 'missing')), false);
    fs.mkdirSync(path.join(fake, 'apparmor'));
    fs.writeFileSync(path.join(fake, 'apparmor', 'profiles'), 'berth-default (enforce)\nother (complain)\n');
    assert.equal(apparmorAvailable(path.join(fake, 'apparmor')), true);
    assert.deepEqual(loadedApparmorProfiles(path.join(fake, 'apparmor')), ['berth-default', 'other']);

    assert.deepEqual(decideApparmor({ available: true, privileged: false }), { profile: 'berth-default', load: true, reason: 'default profile' });
    assert.equal(decideApparmor({ available: true, privileged: true }).profile, null);
    assert.equal(decideApparmor({ available: true, privileged: false, requested: 'unconfined' }).profile, null);
    assert.deepEqual(decideApparmor({ available: true, privileged: true, requested: 'custom' }), { profile: 'custom', load: false, reason: 'apparmor=custom requested' });
    const none = decideApparmor({ available: false, privileged: false });
    assert.equal(none.profile, null);
    assert.match(none.reason, /no AppArmor/);
    assert.throws(() => decideApparmor({ available: false, privileged: false, requested: 'custom' }), /this kernel has no AppArmor/);
  });

  it('says in securityOptions() whether AppArmor is enforced', () => {
    const opts = new NativeExecDriver().securityOptions();
    assert.ok(opts.includes('name=seccomp,profile=builtin'));
    if (apparmorAvailable()) assert.ok(opts.includes('name=apparmor'));
    else assert.ok(opts.some((o) => o.startsWith('name=apparmor,status=unavailable')), opts.join(' | '));
  });

  it('loads the default profile and runs a container under it', async function () {
    this.timeout(20000);
    if (!fs.existsSync(APPARMOR_FS)) {
      console.log(`skip: this kernel has no AppArmor (${APPARMOR_FS} missing)`);
      this.skip();
    }
    const h = newHarness();
    try {
      const spec = h.spec(['cat', '/proc/self/attr/current']);
      spec.process.apparmorProfile = 'berth-default';
      const c = await h.start(spec);
      const out = await collect((await c.attach()).stdout);
      await c.wait();
      assert.match(out, /^berth-default \(enforce\)/);
    } finally {
      await h.destroy();
    }
  });

  it('refuses a named profile where the kernel has no AppArmor (never pretends)', async function () {
    this.timeout(20000);
    if (fs.existsSync(APPARMOR_FS)) { console.log('skip: this kernel has AppArmor'); this.skip(); }
    if (process.getuid?.() !== 0) { console.log('skip: needs root'); this.skip(); }
    const h = newHarness();
    try {
      const spec = h.spec(['true']);
      spec.process.apparmorProfile = 'berth-default';
      await assert.rejects(h.start(spec), /apparmor=berth-default: this kernel has no AppArmor/);
    } finally {
      await h.destroy();
    }
  });
});
