// The compiled dist/: what the build writes and when bin/peerdesk.js must not run it (stale rules).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { STAMP, staleReason } from '../../bin/dist.js';
import { buildServer } from '../../scripts/build-server.ts';

const root = mkdtempSync(join(tmpdir(), 'peerdesk-dist-'));
const src = join(root, 'src');
const out = join(root, 'dist');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, content: string): void {
  mkdirSync(join(src, rel, '..'), { recursive: true });
  writeFileSync(join(src, rel), content);
}

beforeEach(() => {
  rmSync(root, { recursive: true, force: true });
  write(
    'a.ts',
    "import { b } from './lib/b.ts';\nexport const a: number = b + 1;\nexport const load = (name: string) => import(`./lib/${name}.ts`);\n",
  );
  write('lib/b.ts', 'export const b: number = 41;\nexport interface Unused { x: string }\n');
  write('lib/b.test.ts', "import { it } from 'vitest';\nit('x', () => {});\n");
  write('lib/helper.test-helper.ts', 'export const h = 1;\n');
  write('lib/types.d.ts', 'export type T = string;\n');
  expect(buildServer(out, src)).toBe(2);
});

describe('build-server', () => {
  it('compiles runtime sources with .js imports and skips tests, helpers and declarations', async () => {
    expect(readFileSync(join(out, 'a.js'), 'utf8')).toContain('import { b } from "./lib/b.js";');
    expect(readFileSync(join(out, 'lib', 'b.js'), 'utf8')).toBe('export const b = 41;\n');
    for (const f of ['lib/b.test.js', 'lib/helper.test-helper.js', 'lib/types.d.js', 'lib/types.js'])
      expect(existsSync(join(out, f))).toBe(false);
    const mod = (await import(join(out, 'a.js'))) as { a: number; load(n: string): Promise<{ b: number }> };
    expect(mod.a).toBe(42);
    // A computed dynamic import of a .ts path is rewritten at run time too.
    expect((await mod.load('b')).b).toBe(41);
    expect(await staleReason(out, src)).toBeNull();
  });

  it('refuses a syntax error and leaves the previous build in place', () => {
    write('lib/b.ts', 'export const b = ;\n');
    expect(() => buildServer(out, src)).toThrow(/cannot compile:\nsrc\/lib\/b\.ts: Expression expected/);
    expect(readFileSync(join(out, 'lib', 'b.js'), 'utf8')).toBe('export const b = 41;\n');
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });
});

describe('staleReason', () => {
  it('a touched file with the same bytes is still fresh (checkout, unpacked tarball)', async () => {
    utimesSync(join(src, 'lib', 'b.ts'), new Date('1985-10-26T08:15:00Z'), new Date('1985-10-26T08:15:00Z'));
    expect(await staleReason(out, src)).toBeNull();
  });

  it('an edit of the same size is stale', async () => {
    write('lib/b.ts', 'export const b: number = 42;\nexport interface Unused { x: string }\n');
    utimesSync(join(src, 'lib', 'b.ts'), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    expect(await staleReason(out, src)).toBe('src/lib/b.ts changed after the build');
  });

  it('an edit of another size, an added or a removed source is stale; tests do not count', async () => {
    write('lib/b.test.ts', '// changed test\n');
    write('lib/other.test-helper.ts', 'export {};\n');
    expect(await staleReason(out, src)).toBeNull();
    write('lib/b.ts', 'export const b = 1;\n');
    expect(await staleReason(out, src)).toBe('src/lib/b.ts changed after the build');
    buildServer(out, src);
    write('lib/c.ts', 'export {};\n');
    expect(await staleReason(out, src)).toBe('src/lib/c.ts was added after the build');
    buildServer(out, src);
    unlinkSync(join(src, 'lib', 'c.ts'));
    expect(await staleReason(out, src)).toBe('src/lib/c.ts was removed after the build');
  });

  it('no stamp (unfinished build) or another build format is stale', async () => {
    const stamp = JSON.parse(readFileSync(join(out, STAMP), 'utf8')) as { format: number };
    writeFileSync(join(out, STAMP), JSON.stringify({ ...stamp, format: stamp.format + 1 }));
    expect(await staleReason(out, src)).toBe('it was built by another version of the build');
    unlinkSync(join(out, STAMP));
    expect(await staleReason(out, src)).toBe('it has no build stamp (not built, or the build did not finish)');
  });
});
