import * as assert from 'node:assert/strict';
import { createHooks } from '../../../core/hooks/hooks';

describe('core/hooks: typed tapable hooks', () => {
  it('is frozen per domain, so plugins cannot replace a hook', () => {
    const hooks = createHooks();
    assert.ok(Object.isFrozen(hooks));
    assert.ok(Object.isFrozen(hooks.container));
    assert.throws(() => { (hooks.container as unknown as Record<string, unknown>).started = null; }, TypeError);
  });

  it('runs waterfall taps in registration order, each seeing the previous rewrite', async () => {
    const hooks = createHooks();
    hooks.container.beforeCreate.tapPromise('authz.a', async (body) => ({ ...body, Env: [...(body.Env ?? []), 'A=1'] }));
    hooks.container.beforeCreate.tapPromise('authz.b', async (body) => ({ ...body, Env: [...(body.Env ?? []), 'B=2'] }));
    const out = await hooks.container.beforeCreate.promise({ Image: 'busybox', Env: [] }, 'web');
    assert.deepEqual(out.Env, ['A=1', 'B=2']);
  });

  it('lets a bail tap veto an API request and stops at the first decision', async () => {
    const hooks = createHooks();
    const seen: string[] = [];
    hooks.api.authorize.tapPromise('authz.first', async (req) => {
      seen.push('first');
      return req.path.startsWith('/containers') && req.method === 'DELETE' ? { allow: false, msg: 'deletes are not allowed' } : undefined;
    });
    hooks.api.authorize.tapPromise('authz.second', async () => { seen.push('second'); return undefined; });
    const veto = await hooks.api.authorize.promise({ method: 'DELETE', path: '/containers/x' });
    assert.deepEqual(veto, { allow: false, msg: 'deletes are not allowed' });
    assert.deepEqual(seen, ['first']);
    const ok = await hooks.api.authorize.promise({ method: 'GET', path: '/containers/json' });
    assert.equal(ok, undefined);
    assert.deepEqual(seen, ['first', 'first', 'second']);
  });

  it('runs parallel notification taps all, before the promise resolves', async () => {
    const hooks = createHooks();
    const got: string[] = [];
    hooks.container.exited.tapPromise('log.a', async (id, code) => { await new Promise((r) => setTimeout(r, 5)); got.push(`a:${id}:${code}`); });
    hooks.container.exited.tapPromise('log.b', async (id, code) => { got.push(`b:${id}:${code}`); });
    await hooks.container.exited.promise('c1', 3, false);
    assert.deepEqual(got.sort(), ['a:c1:3', 'b:c1:3']);
  });
});
