import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArinRoutes } from './arin-routes.ts';
import { startIrrdServer, type IrrdServer } from './irrd-server.ts';

/** Sends raw lines and collects the raw bytes until the server has been quiet for a moment. */
async function exchange(server: IrrdServer, text: string, quietMs = 80): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, server.host);
    let out = '';
    let timer: NodeJS.Timeout;
    const done = () => {
      sock.destroy();
      resolve(out);
    };
    sock.on('data', (d) => {
      out += d.toString();
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    sock.on('end', done);
    sock.on('error', reject);
    sock.write(text);
    timer = setTimeout(done, quietMs * 3);
  });
}

let server: IrrdServer;
beforeAll(async () => {
  server = await startIrrdServer({
    routes: [
      { prefix: '192.0.2.0/24', origin: 65536, source: 'RIPE' },
      { prefix: '2001:DB8:0::/32', origin: 65536, source: 'RIPE' },
    ],
    asSets: [
      { name: 'AS-A', members: ['AS65536', 'AS-B', 'AS-GONE'], source: 'RIPE' },
      { name: 'AS-B', members: ['AS65537', 'AS-A'], source: 'RIPE' },
    ],
  });
});
afterAll(async () => server?.close());

describe('IRRd test server', () => {
  it('answers like IRRd 4 (framing, !a probe, sources, recursive members, loops)', async () => {
    const out = await exchange(
      server,
      '!!\n!nbgpq4 1.9\n!a\n!s-lc\n!iAS-A\n!iAS-A,1\n!a4AS-A\n!a6AS-A\n!gAS1\n!sNOPE\n!x\n!q\n',
    );
    expect(out).toBe(
      [
        'C',
        'F Missing required set name for A query',
        'A5\nRIPE\nC',
        'A21\nAS-B AS-GONE AS65536\nC',
        'A16\nAS65536 AS65537\nC',
        'A13\n192.0.2.0/24\nC',
        'A14\n2001:db8::/32\nC',
        'D',
        'F One or more selected sources are unavailable.',
        'F Unrecognised command: x',
        '',
      ].join('\n'),
    );
  });

  it('closes after one answer without !!', async () => {
    expect(await exchange(server, '!gAS65536\n!gAS65536\n')).toBe('A13\n192.0.2.0/24\nC\n');
  });

  // How long the delay is belongs in a benchmark; here only that delayed, pipelined answers all
  // arrive complete and in order (no wall-clock assertion: those fail on loaded machines).
  it('answers every pipelined query when a latency is configured, exactly like without one', async () => {
    const slow = await startIrrdServer({ delayMs: 60 });
    const fast = await startIrrdServer({});
    try {
      const input = '!!\n!v\n!gAS65536\n!v\n!iAS-NONE\n';
      const out = await exchange(slow, input, 1000);
      expect(out).toBe(await exchange(fast, input, 1000));
      expect(out.match(/IRRd/g)).toHaveLength(2);
      expect(out.endsWith('D\n')).toBe(true);
    } finally {
      await slow.close();
      await fast.close();
    }
  });

  it('loads the 117k ARIN records once per process', () => {
    const a = loadArinRoutes();
    const b = loadArinRoutes();
    expect(a).toBe(b);
    expect(a.v4.length).toBe(107165);
    expect(a.v6.length).toBe(10338);
  });
});
