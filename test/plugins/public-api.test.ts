/**
 * Plugins import only core's public API (core/index.ts), the same surface a
 * third-party author gets; and core never imports a plugin.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  const out: string[] = [];
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

describe('plugins: only the public API', () => {
  it('every plugin file imports core only through core/index', () => {
    const bad: string[] = [];
    const pluginsDir = path.join(ROOT, 'plugins');
    const files = tsFiles(pluginsDir);
    assert.ok(files.length > 0, 'expected plugin sources under plugins/');
    for (const f of files) {
      const pluginRoot = path.join(pluginsDir, path.relative(pluginsDir, f).split(path.sep)[0]);
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), spec);
        const insidePlugin = target === pluginRoot || target.startsWith(pluginRoot + path.sep);
        const isCoreIndex = target === path.join(ROOT, 'core') || target === path.join(ROOT, 'core', 'index');
        if (!insidePlugin && !isCoreIndex) bad.push(`${path.relative(ROOT, f)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('core never imports a plugin', () => {
    const bad: string[] = [];
    for (const f of tsFiles(path.join(ROOT, 'core'))) {
      for (const spec of imports(f)) {
        if (spec.startsWith('.') && path.resolve(path.dirname(f), spec).startsWith(path.join(ROOT, 'plugins'))) {
          bad.push(`${path.relative(ROOT, f)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });
});
