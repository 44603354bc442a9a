// The command line in-process: which command modules load, help and errors, `render --template-file`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandNames, peerdeskVersion } from '../../src/cli/main.ts';
import { cli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'peerdesk-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('peerdesk command loading', () => {
  it('finds every command module and lists them in a fixed order', () => {
    const names = commandNames();
    for (const n of ['serve', 'worker', 'migrate', 'user', 'token', 'job', 'peeringdb', 'irr', 'render'])
      expect(names).toContain(n);
    expect(names).not.toContain('main');
    expect(names).not.toContain('util');
    expect(names.slice(0, 9)).toEqual([
      'serve',
      'worker',
      'migrate',
      'user',
      'token',
      'job',
      'peeringdb',
      'irr',
      'render',
    ]);
  });

  it('loads only the named command; help and unknown commands load them all', async () => {
    expect((await cli('irr', '--help')).commands).toEqual(['irr']);
    expect((await cli('render', '--help')).commands).toEqual(['render']);
    expect((await cli('--help')).commands).toEqual(commandNames());
    expect((await cli('help', 'irr')).commands).toEqual(commandNames());
    expect((await cli('--help', 'irr')).commands).toEqual(commandNames());
    expect((await cli('bogus')).commands).toEqual(commandNames());
  });

  it("--version prints package.json's version; --help lists every command", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(peerdeskVersion()).toBe(pkg.version);
    expect(await cli('--version')).toMatchObject({ stdout: `${pkg.version}\n`, code: 0 });
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const n of commandNames()) expect(help.stdout).toMatch(new RegExp(`^  ${n}\\b`, 'm'));
  });

  it("an unknown command or option exits 1 with commander's message", async () => {
    const r = await cli('bogus');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown command 'bogus'\n/);
    const o = await cli('irr', 'expand', '--bogus');
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/^error: unknown option '--bogus'\n/);
  });
});

describe('peerdesk render --template-file', () => {
  const ctx = file(
    'ctx.json',
    JSON.stringify({
      router: { name: 'edge1' },
      sessions: [
        { ip: '192.0.2.1', asn: 64500, name: 'Peer "A"' },
        { ip: '2001:db8::1', asn: 64501, name: 'Peer B' },
      ],
    }),
  );

  it('renders the template with the JSON context, exactly', async () => {
    const tpl = file(
      'a.j2',
      'hostname {{ router.name }}\n{% for s in sessions %}neighbor {{ s.ip }} remote-as {{ s.asn }} # {{ s.name | upper }}\n{% endfor %}{{ missing }}end\n',
    );
    const r = await cli('render', '--template-file', tpl, '--context-file', ctx);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // Python Jinja2 3.1 renders exactly this (an undefined name is empty; the final newline is dropped).
    expect(r.stdout).toBe(
      'hostname edge1\nneighbor 192.0.2.1 remote-as 64500 # PEER "A"\nneighbor 2001:db8::1 remote-as 64501 # PEER B\nend',
    );
  });

  it('include resolves next to the template; --trim-blocks and --out', async () => {
    file('part.j2', 'router {{ router.name }}\n');
    const tpl = file('b.j2', '{% include "part.j2" %}{% if true %}\nx\n{% endif %}\n');
    const outFile = join(dir, 'out.txt');
    const r = await cli('render', '--template-file', tpl, '--context-file', ctx, '--trim-blocks', '--out', outFile);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    // As Jinja2: the included file loses its final newline, trim_blocks eats the one after `{% if %}`.
    expect(readFileSync(outFile, 'utf8')).toBe('router edge1x\n');
  });

  it('plain Jinja2 indent by default; --dialect peering-manager indents the first line too', async () => {
    const tpl = file('c.j2', '[{{ "a\\nb" | indent(2) }}]');
    expect((await cli('render', '--template-file', tpl)).stdout).toBe('[a\n  b]');
    expect((await cli('render', '--template-file', tpl, '--dialect', 'jinja2')).stdout).toBe('[a\n  b]');
    expect((await cli('render', '--template-file', tpl, '--dialect', 'peering-manager')).stdout).toBe('[  a\n  b]');
    const bad = await cli('render', '--template-file', tpl, '--dialect', 'django');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('peerdesk: --dialect must be one of jinja2, netbox, peering-manager, got "django"\n');
  });

  it('--strict fails on an undefined name; without a template it says what is missing', async () => {
    const tpl = file('d.j2', 'x {{ nope }}');
    expect((await cli('render', '--template-file', tpl)).stdout).toBe('x ');
    const strict = await cli('render', '--template-file', tpl, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/^peerdesk: .*'nope' is undefined/);
    const none = await cli('render');
    expect(none).toMatchObject({ code: 1, stderr: 'peerdesk: --template-file is required (or use --router)\n' });
  });
});
