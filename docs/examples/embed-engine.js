#!/usr/bin/env node
/*
 * A trimmed berth engine inside this Node process (docs/embedding.md):
 * two built-in plugins (vfs storage, json-file logs; no network plugin), no API
 * socket, jobs run directly, clean stop.
 *
 *   node docs/examples/embed-engine.js          (as root, after `npm run build`)
 *
 * In your own project, `require('berth')`; from a checkout of berth the
 * compiled tree is used.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let berth;
try { berth = require('berth'); } catch { berth = require(path.join(__dirname, '..', '..', 'dist', 'core')); }

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-embed-'));
  const engine = await berth.createEngine({
    dataRoot: path.join(root, 'data'),
    execRoot: path.join(root, 'run'),
    plugins: ['graphdriver-vfs', 'logdriver-json'],
    config: { 'storage-driver': 'vfs' },
  });
  try {
    const v = await engine.run('system.version', {});
    console.log(`berth ${v.Version} (API ${v.ApiVersion}), no socket: ${engine.socket === undefined}`);
    for (const p of await engine.run('engine.plugins', {})) console.log(`plugin ${p.uri} ${p.version} ${p.status}`);
    console.log(`network jobs: ${engine.engine.has('network.list') ? 'yes' : 'none (no network plugin)'}`);
    if (engine.engine.has('image.list')) console.log(`images: ${(await engine.run('image.list', {})).length}`);
    console.log(`jobs: ${engine.engine.jobs().length}`);
  } finally {
    await engine.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log('stopped');
}

main().catch((err) => {
  console.error(`embed-engine: ${err.message}`);
  process.exitCode = 1;
});
