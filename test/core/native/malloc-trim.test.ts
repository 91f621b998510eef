import * as assert from 'node:assert/strict';
import { loadAddon } from '../../../core/native/loader';

describe('core/native: berth_exec mallocTrim', () => {
  it('exports mallocTrim, which returns malloc_trim(0)\'s 0 or 1', () => {
    const addon = loadAddon<{ mallocTrim?: () => number }>('berth_exec');
    assert.equal(typeof addon.mallocTrim, 'function', 'berthd\'s idle GC looks for mallocTrim on berth_exec');
    // a freed 8 MiB block (below the mmap threshold's reach once raised) gives the heap something to return
    let junk: Buffer[] | null = Array.from({ length: 64 }, () => Buffer.alloc(128 * 1024, 1));
    assert.equal(junk.length, 64);
    junk = null;
    const r = addon.mallocTrim!();
    assert.ok(r === 0 || r === 1, `mallocTrim returned ${r}`);
  });
});
