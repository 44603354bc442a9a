import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startIrrdServer, type IrrdServer } from '../../test/support/irrd-server.ts';
import { IrrError, IrrPool, WhoisConnection, parseHostPort } from './whois.client.ts';

const routes = [
  { prefix: '192.0.2.0/24', origin: 65536, source: 'RIPE' },
  { prefix: '198.51.100.0/24', origin: 65536, source: 'ARIN' },
  { prefix: '2001:db8::/32', origin: 65536, source: 'RIPE' },
];
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
async function server(opts: Parameters<typeof startIrrdServer>[0] = {}): Promise<IrrdServer> {
  const s = await startIrrdServer({
    routes,
    asSets: [{ name: 'AS-X', members: ['AS65536'], source: 'RIPE' }],
    sources: ['RIPE', 'ARIN'],
    ...opts,
  });
  cleanup.push(() => s.close());
  return s;
}
function pool(s: IrrdServer, extra: Partial<ConstructorParameters<typeof IrrPool>[0]> = {}): IrrPool {
  const p = new IrrPool({ host: s.host, port: s.port, timeoutMs: 2000, ...extra });
  cleanup.push(() => p.close());
  return p;
}

describe('WhoisConnection', () => {
  it('frames A/C/D/F answers and pipelines queries in one write burst', async () => {
    const s = await server();
    const c = new WhoisConnection({ host: s.host, port: s.port });
    await c.connect();
    cleanup.push(() => c.close());
    const answers = await Promise.all(['!gAS65536', '!6AS65536', '!gAS1', '!x', '!sRIPE', '!v'].map((q) => c.send(q)));
    expect(answers[0]).toEqual({ kind: 'A', data: '192.0.2.0/24 198.51.100.0/24' });
    expect(answers[1]).toEqual({ kind: 'A', data: '2001:db8::/32' });
    expect(answers[2]).toEqual({ kind: 'D' });
    expect(answers[3]).toEqual({ kind: 'F', message: 'Unrecognised command: x' });
    expect(answers[4]).toEqual({ kind: 'C' });
    expect(answers[5]).toMatchObject({ kind: 'A', data: expect.stringMatching(/^IRRd -- version/) });
    expect(s.queries.slice(0, 2)).toEqual(['!!', '!npeerdesk']);
  });

  it('reassembles answers split into tiny TCP segments, counting bytes not characters', async () => {
    const data = 'AS-ÉTÉ 192.0.2.0/24';
    const raw = `C\nA${Buffer.byteLength(data) + 1}\n${data}\nC\nD\n`;
    const srv = net.createServer((sock) => {
      sock.once('data', () => {
        const bytes = Buffer.from(raw);
        let i = 0;
        const tick = setInterval(() => {
          if (i >= bytes.length) return clearInterval(tick);
          sock.write(bytes.subarray(i, i + 3));
          i += 3;
        }, 1);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => srv.close(r)));
    const c = new WhoisConnection({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
    await c.connect();
    cleanup.push(() => c.destroy(new IrrError('IRR_CLOSED', 'done')));
    const [a, b] = await Promise.all([c.send('!gAS1'), c.send('!gAS2')]);
    expect(a).toEqual({ kind: 'A', data });
    expect(b).toEqual({ kind: 'D' });
  });

  it('hands A data over as the bytes received when asked (raw), other answers unchanged', async () => {
    const s = await server();
    const c = new WhoisConnection({ host: s.host, port: s.port });
    await c.connect();
    cleanup.push(() => c.close());
    const [text, raw, none, again] = await Promise.all([
      c.send('!gAS65536'),
      c.send('!gAS65536', true),
      c.send('!gAS1', true),
      c.send('!6AS65536'),
    ]);
    expect(text).toEqual({ kind: 'A', data: '192.0.2.0/24 198.51.100.0/24' });
    expect(raw.kind).toBe('A');
    expect(raw.kind === 'A' && Buffer.isBuffer(raw.bytes) && raw.bytes.toString('utf8')).toBe(
      '192.0.2.0/24 198.51.100.0/24',
    );
    expect(none).toEqual({ kind: 'D' });
    expect(again).toEqual({ kind: 'A', data: '2001:db8::/32' });
    const p = pool(s);
    const viaPool = await p.query('!gAS65536', { sources: ['RIPE'], raw: true });
    expect(viaPool.kind === 'A' && viaPool.bytes.toString('utf8')).toBe('192.0.2.0/24');
  });
});

describe('IrrPool', () => {
  it('probes !a like bgpq4 and remembers the answer', async () => {
    const yes = pool(await server());
    const no = pool(await server({ supportsA: false }));
    expect(await yes.supportsA()).toBe(true);
    expect(await no.supportsA()).toBe(false);
    expect(no.knownASupport).toBe(false);
  });

  it('selects sources per query and switches back to the default', async () => {
    const s = await server();
    const p = pool(s, { size: 1 });
    const [arin, all] = [await p.query('!gAS65536', { sources: ['arin'] }), await p.query('!gAS65536')];
    expect(arin).toEqual({ kind: 'A', data: '198.51.100.0/24' });
    expect(all).toEqual({ kind: 'A', data: '192.0.2.0/24 198.51.100.0/24' });
    expect(s.queries).toContain('!sARIN');
    expect(s.queries).toContain('!sRIPE,ARIN');
    await expect(p.query('!gAS65536', { sources: ['NOPE'] })).rejects.toThrow(/refused sources NOPE/);
  });

  it('gives a clear error when the server stalls mid-answer', async () => {
    const s = await server({ fault: { mode: 'stall', afterBytes: 20 } });
    const p = pool(s, { timeoutMs: 150, retries: 1 });
    await expect(p.query('!a4AS-X')).rejects.toThrow(
      /stalled: no data for 150 ms while answering "!a4AS-X".*gave up after 2 attempts/,
    );
  });

  it('gives a clear error when the server closes the socket mid-answer', async () => {
    const s = await server({ fault: { mode: 'close', afterBytes: 8 } });
    const p = pool(s, { retries: 0 });
    await expect(p.query('!gAS65536')).rejects.toThrow(
      /closed the connection while answering "!gAS65536" \(received \d+ of \d+ bytes\)/,
    );
  });

  it('retries on a fresh connection when only the first one misbehaves', async () => {
    const s = await server({ fault: { mode: 'close', afterBytes: 4, connections: 1 } });
    const p = pool(s, { retries: 2 });
    expect(await p.query('!gAS65536')).toEqual({ kind: 'A', data: '192.0.2.0/24 198.51.100.0/24' });
    expect(s.connections).toBe(2);
  });

  it('fails fast and clearly when nothing listens', async () => {
    const p = new IrrPool({ host: '127.0.0.1', port: 1, retries: 0 });
    await expect(p.query('!v')).rejects.toThrow(/IRR server 127.0.0.1:1: cannot connect/);
  });

  it('spreads a large pipeline over several connections', async () => {
    const s = await server();
    const p = pool(s, { size: 3, spreadAt: 4 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => p.query('!gAS65536')));
    expect(answers.every((a) => a.kind === 'A')).toBe(true);
    expect(s.connections).toBeGreaterThan(1);
    expect(s.connections).toBeLessThanOrEqual(3);
  });
});

describe('parseHostPort', () => {
  it('reads host, host:port and [v6]:port', () => {
    expect(parseHostPort('rr.ntt.net')).toEqual({ host: 'rr.ntt.net', port: 43 });
    expect(parseHostPort('127.0.0.1:4343')).toEqual({ host: '127.0.0.1', port: 4343 });
    expect(parseHostPort('[::1]:4343')).toEqual({ host: '::1', port: 4343 });
    expect(() => parseHostPort('host:notaport')).toThrow(/invalid IRR server/);
  });
});
