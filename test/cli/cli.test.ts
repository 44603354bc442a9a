// Smoke test of the real `peerdesk` command as a process, from the compiled dist/ and from the sources.
// Runs in a private copy of the tree (src/, bin/, package.json; node_modules and templates linked), so the
// dist/ built here cannot go stale under concurrent edits and the repository's own dist/ is not touched.
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, buildServer } from '../../scripts/build-server.ts';
import { startIrrdServer, type IrrdServer } from '../support/irrd-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tree = mkdtempSync(join(tmpdir(), 'peerdesk-cli-tree-'));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let irrd: IrrdServer;
beforeAll(async () => {
  cpSync(join(ROOT, 'src'), join(tree, 'src'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
  cpSync(join(ROOT, 'bin'), join(tree, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(tree, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  symlinkSync(join(ROOT, 'templates'), join(tree, 'templates'));
  writeFileSync(
    join(tree, 'peer.j2'),
    '{% for s in sessions %}neighbor {{ s.ip }} remote-as {{ s.asn }}\n{% endfor %}{{ "x\\ny" | indent(2) }}\n',
  );
  writeFileSync(
    join(tree, 'ctx.json'),
    JSON.stringify({
      sessions: [
        { ip: '192.0.2.1', asn: 64500 },
        { ip: '2001:db8::1', asn: 64501 },
      ],
    }),
  );
  buildServer(join(tree, 'dist'), join(tree, 'src'));
  await buildBundles(join(tree, 'dist'), tree);
  const routes = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/25', '2001:db8::/32'].map((prefix, i) => ({
    prefix,
    origin: 64500 + (i % 2),
    source: 'RIPE',
  }));
  irrd = await startIrrdServer({
    routes,
    asSets: [{ name: 'AS-CLI', members: ['AS64500', 'AS64501'], source: 'RIPE' }],
    sources: ['RIPE'],
  });
}, 120_000);
afterAll(async () => {
  await irrd?.close();
  rmSync(tree, { recursive: true, force: true });
});

/** `peerdesk ARGS` as a process with PEERDESK_CLI_DEBUG=1 (bin/peerdesk.js says on stderr which code ran). */
function peerdesk(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(tree, 'bin', 'peerdesk.js'), ...args],
      { cwd: tree, env: { ...process.env, PEERDESK_CLI_DEBUG: '1', PEERDESK_CLI_CODE: '', ...env } },
      (err, stdout, stderr) => {
        resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
      },
    );
  });
}

const RENDERED = 'neighbor 192.0.2.1 remote-as 64500\nneighbor 2001:db8::1 remote-as 64501\nx\n  y';

describe('the peerdesk command (subprocess)', () => {
  it('version, help, unknown command and render, from dist/ and from the sources', { timeout: 180_000 }, async () => {
    // --version answers from package.json before choosing any code.
    expect(await peerdesk(['--version'])).toEqual({ stdout: `${version}\n`, stderr: '', code: 0 });

    const help = await peerdesk(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('peerdesk: running dist\n');
    expect(help.stdout).toMatch(/^Usage: peerdesk \[options\] \[command\]\n/);
    for (const c of ['serve', 'migrate', 'irr', 'render']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));

    const bogus = await peerdesk(['bogus']);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/error: unknown command 'bogus'/);

    // render from files and irr run their one-file bundles (dist/bundle/NAME.js), which hold only their
    // command's modules (no database, server or other command code).
    const inputs = (name: string) =>
      Object.keys(
        (JSON.parse(readFileSync(join(tree, 'dist', 'bundle', `${name}.json`), 'utf8')) as { inputs: object }).inputs,
      );
    expect(
      inputs('irr').filter(
        (f) =>
          f.startsWith('src/') &&
          !/^src\/(cli\/(bundle\/irr|irr|main|output)|irr\/(aggregate|expand|formats|irr\.config|prefix|whois\.client))\.ts$/.test(
            f,
          ),
      ),
    ).toEqual([]);
    expect(inputs('irr')).toContain('src/irr/whois.client.ts');
    expect(
      inputs('render').filter(
        (f) =>
          f.startsWith('src/') &&
          !/^src\/(cli\/(bundle\/render|render|main|output)\.ts|templates\/(environment\.ts|engine\/|filters\/))/.test(
            f,
          ),
      ),
    ).toEqual([]);
    expect(inputs('render')).toContain('src/templates/engine/compiler.ts');
    const args = ['render', '--template-file', 'peer.j2', '--context-file', 'ctx.json'];
    expect(await peerdesk(args)).toEqual({
      stdout: RENDERED,
      stderr: 'peerdesk: running dist (bundle render)\n',
      code: 0,
    });
    expect(await peerdesk(args, { PEERDESK_CLI_CODE: 'dist' })).toEqual({
      stdout: RENDERED,
      stderr: 'peerdesk: running dist (PEERDESK_CLI_CODE)\n',
      code: 0,
    });
    const irrArgs = ['irr', 'expand', 'AS-CLI', '--format', 'json', '--name', 'X', '--irr', irrd.address];
    const IRR_JSON =
      '{ "X": [\n    { "prefix": "192.0.2.0\\/24", "exact": true },\n    { "prefix": "198.51.100.0\\/24", "exact": true },\n    { "prefix": "203.0.113.0\\/25", "exact": true }\n] }\n';
    expect(await peerdesk(irrArgs)).toEqual({
      stdout: IRR_JSON,
      stderr: 'peerdesk: running dist (bundle irr)\n',
      code: 0,
    });
    expect(await peerdesk(irrArgs, { PEERDESK_CLI_CODE: 'src' })).toEqual({
      stdout: IRR_JSON,
      stderr: 'peerdesk: running src (PEERDESK_CLI_CODE)\n',
      code: 0,
    });
    expect((await peerdesk([...irrArgs.slice(0, 3), '-6', '--format', 'plain', '--irr', irrd.address])).stdout).toBe(
      '2001:db8::/32\n',
    );
    // --router opens the database: not bundled.
    expect((await peerdesk(['render', '--router', 'r1'], { PEERDESK_CONFIG: join(tree, 'nope.toml') })).stderr).toMatch(
      /^peerdesk: running src: this command needs the sources\n/,
    );
    expect(await peerdesk(args, { PEERDESK_CLI_CODE: 'src' })).toEqual({
      stdout: RENDERED,
      stderr: 'peerdesk: running src (PEERDESK_CLI_CODE)\n',
      code: 0,
    });

    // Commands that open the database run the sources (their loaders look for .ts files).
    expect((await peerdesk(['migrate', '--help'])).stderr).toBe(
      'peerdesk: running src: this command needs the sources\n',
    );

    // An edited source makes dist/ stale: the sources run, with the same result.
    appendFileSync(join(tree, 'src', 'cli', 'render.ts'), '\n');
    expect(await peerdesk(args)).toEqual({
      stdout: RENDERED,
      stderr: 'peerdesk: running src: dist/ is stale: src/cli/render.ts changed after the build\n',
      code: 0,
    });
    // An edited input of the irr bundle makes it stale too.
    appendFileSync(join(tree, 'src', 'irr', 'prefix.ts'), '\n');
    expect((await peerdesk(irrArgs)).stderr).toBe(
      'peerdesk: running src: dist/ is stale: src/irr/prefix.ts changed after the build\n',
    );
    // Without its stamp a bundle is not used: the per-file dist/ decides (stale here).
    rmSync(join(tree, 'dist', 'bundle', 'irr.json'));
    expect((await peerdesk(irrArgs)).stderr).toMatch(
      /^peerdesk: running src: dist\/ is stale: src\/(cli\/render|irr\/prefix)\.ts changed after the build\n$/,
    );
  });
});
