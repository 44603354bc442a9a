// Dependencies point one way: platform/ is the base every domain builds on and imports no domain;
// drivers/ talk to routers and import only platform/ (never resources, sessions or deploy).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module specifier a source imports: static imports, re-exports and dynamic import(). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]);
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = resolve(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** The src/ folders (relative to the repo) a layer's files import outside the allowed ones. */
function violations(layer: string, allowed: string[], exceptions: string[] = []): string[] {
  const found: string[] = [];
  for (const file of sources(resolve(root, layer))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (allowed.some((a) => target.startsWith(`${a}/`))) continue;
      const edge = `${relative(root, file)} -> ${target}`;
      if (!exceptions.includes(edge)) found.push(edge);
    }
  }
  return found.sort();
}

describe('layering', () => {
  it('the scanner sees static, re-exported and dynamic imports', () => {
    const src = `import { a } from '../auth/auth.service.ts';\nimport type { B } from "./b.ts";\nexport { c } from '../changes/x.ts';\nimport './side.ts';\nconst m = await import('../sessions/s.ts');`;
    expect(importsOf(src).sort()).toEqual([
      '../auth/auth.service.ts',
      '../changes/x.ts',
      '../sessions/s.ts',
      './b.ts',
      './side.ts',
    ]);
  });

  it('platform/ imports no domain folder', () => {
    // Transitional: the HTTP server's fallback authenticator, until src/app.ts passes one to buildServer.
    const pending: string[] = [];
    expect(violations('src/platform', ['src/platform'], pending)).toEqual([]);
  });

  it('drivers/ import only drivers/ and platform/ (no resources, sessions or deploy)', () => {
    expect(violations('src/drivers', ['src/drivers', 'src/platform'])).toEqual([]);
  });
});
