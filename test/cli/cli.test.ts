// Smoke test of the real `peerdesk` command as a process, from the compiled dist/ and from the sources.
// Runs in a private copy of the tree (src/, bin/, package.json; node_modules and templates linked), so the
// dist/ built here cannot go stale under concurrent edits and the repository's own dist/ is not touched.
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../scripts/build-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tree = mkdtempSync(join(tmpdir(), 'peerdesk-cli-tree-'));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => {
  cpSync(join(ROOT, 'src'), join(tree, 'src'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
  cpSync(join(ROOT, 'bin'), join(tree, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(tree, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  symlinkSync(join(ROOT, 'templates'), join(tree, 'templates'));
  writeFileSync(join(tree, 'peer.j2'), '{% for s in sessions %}neighbor {{ s.ip }} remote-as {{ s.asn }}\n{% endfor %}{{ "x\\ny" | indent(2) }}\n');
  writeFileSync(join(tree, 'ctx.json'), JSON.stringify({ sessions: [{ ip: '192.0.2.1', asn: 64500 }, { ip: '2001:db8::1', asn: 64501 }] }));
  buildServer(join(tree, 'dist'), join(tree, 'src'));
});
afterAll(() => rmSync(tree, { recursive: true, force: true }));

/** `peerdesk ARGS` as a process with PEERDESK_CLI_DEBUG=1 (bin/peerdesk.js says on stderr which code ran). */
function peerdesk(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(tree, 'bin', 'peerdesk.js'), ...args], { cwd: tree, env: { ...process.env, PEERDESK_CLI_DEBUG: '1', PEERDESK_CLI_CODE: '', ...env } }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
    });
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

    const args = ['render', '--template-file', 'peer.j2', '--context-file', 'ctx.json'];
    expect(await peerdesk(args)).toEqual({ stdout: RENDERED, stderr: 'peerdesk: running dist\n', code: 0 });
    expect(await peerdesk(args, { PEERDESK_CLI_CODE: 'src' })).toEqual({ stdout: RENDERED, stderr: 'peerdesk: running src (PEERDESK_CLI_CODE)\n', code: 0 });

    // Commands that open the database run the sources (their loaders look for .ts files).
    expect((await peerdesk(['migrate', '--help'])).stderr).toBe('peerdesk: running src: this command needs the sources\n');

    // An edited source makes dist/ stale: the sources run, with the same result.
    appendFileSync(join(tree, 'src', 'cli', 'render.ts'), '\n');
    expect(await peerdesk(args)).toEqual({ stdout: RENDERED, stderr: 'peerdesk: running src: dist/ is stale: src/cli/render.ts changed after the build\n', code: 0 });
  });
});
