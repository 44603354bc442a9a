import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startIrrdServer, type IrrdServer } from '../../test/support/irrd-server.ts';
import { register } from '../cli/irr.ts';
import { TEST_AS_SETS } from './fixtures.test-helper.ts';

let server: IrrdServer;
beforeAll(async () => {
  const routes = ['192.31.196.0/24', '192.175.48.0/24', '2001:4:112::/48', '2620:4f:8000::/48'].map((prefix) => ({
    prefix,
    origin: 112,
    source: 'RIPE',
  }));
  server = await startIrrdServer({ routes, asSets: TEST_AS_SETS, sources: ['ARIN', 'RIPE'] });
});
afterAll(async () => server?.close());

/** Runs `peerdesk irr …` in-process and captures stdout, stderr and the exit code. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    const program = new Command('peerdesk').exitOverride();
    register(program);
    await program.parseAsync(['node', 'peerdesk', 'irr', ...args]);
    return { stdout, stderr, code: Number(process.exitCode ?? 0) };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}

describe('peerdesk irr', () => {
  it('expand prints bgpq4-shaped JSON with --name', async () => {
    const r = await cli('expand', 'AS-AS112', '--irr', server.address, '--format', 'json', '--name', 'AS112-IN');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      'AS112-IN': [
        { prefix: '192.31.196.0/24', exact: true },
        { prefix: '192.175.48.0/24', exact: true },
      ],
    });
  });

  it('expand -6 --aggregate --format bird', async () => {
    const r = await cli('expand', 'AS112', '-6', '--aggregate', '--irr', server.address, '--format', 'bird');
    expect(r.stdout).toBe('NN = [\n    2001:4:112::/48,\n    2620:4f:8000::/48\n];\n');
  });

  it('validate prints the report, --json for machines', async () => {
    const r = await cli('validate', 'AS-AS112', '--irr', server.address, '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      exists: true,
      members: ['AS112'],
      depth: 1,
      prefixCount: { ipv4: 2, ipv6: 2 },
    });
    const text = await cli('validate', 'AS-NOPE', '--irr', server.address);
    expect(text.stdout).toMatch(/AS-NOPE \(as-set\): NOT FOUND/);
    expect(text.code).toBe(2);
  });

  it('errors are one clear line and a non-zero exit', async () => {
    const bad = await cli('expand', 'AS-AS112', '--irr', '127.0.0.1:1', '--timeout', '500');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^peerdesk irr: IRR server 127\.0\.0\.1:1: cannot connect .*\n$/);
    const fmt = await cli('expand', 'AS-AS112', '--irr', server.address, '--format', 'xml');
    expect(fmt.stderr).toBe(
      'peerdesk irr: unknown format "xml" (json, plain, junos, eos, ios, iosxr, bird, openbgpd)\n',
    );
  });
});
