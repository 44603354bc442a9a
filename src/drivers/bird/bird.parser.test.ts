// BIRD parser and control-socket client on output captured from a real BIRD 2.0.12 (lab triangle,
// net 127.0.9.0/24, `birdc -v` keeps the reply codes; and one raw socket session).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdSocket, parseBirdLines } from '../transports/bird-socket.ts';
import { logCall } from '../transports/common.ts';
import { birdDownReason, birdTimeToIso, parseBirdBgpProtocols, parseBirdProtocols } from './bird.parser.ts';
import { birdMessage } from './bird.driver.ts';

const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const local = (...a: [number, number, number, number, number, number]) =>
  new Date(a[0], a[1] - 1, a[2], a[3], a[4], a[5]).toISOString();
const now = new Date(2026, 10, 30, 3, 35, 0);

describe('parseBirdProtocols', () => {
  it('reads BGP protocols with neighbour, AS, local side, description and per-channel routes', () => {
    expect(parseBirdBgpProtocols(parseBirdLines(text('protocols-established.txt')), now)).toEqual([
      {
        name: 'frr',
        peer: {
          vrf: null,
          peer_ip: '127.0.9.1',
          remote_asn: 65001,
          local_asn: 65002,
          local_ip: '127.0.9.2',
          description: 'lab frr',
          state: 'established',
          admin_down: false,
          since: local(2026, 11, 30, 3, 30, 3),
          prefixes_received: 2,
          prefixes_accepted: 2,
          prefixes_advertised: 1,
          families: [{ afi_safi: 'ipv4-unicast', received: 2, accepted: 2, advertised: 1 }],
          last_error: null,
        },
      },
      {
        name: 'gobgp',
        peer: {
          vrf: null,
          peer_ip: '127.0.9.3',
          remote_asn: 65003,
          local_asn: 65002,
          local_ip: '127.0.9.2',
          description: 'lab gobgp',
          state: 'established',
          admin_down: false,
          since: local(2026, 11, 30, 3, 30, 6),
          prefixes_received: 3,
          prefixes_accepted: 3,
          prefixes_advertised: 1,
          families: [{ afi_safi: 'ipv4-unicast', received: 3, accepted: 3, advertised: 1 }],
          last_error: null,
        },
      },
    ]);
  });

  it('tells a peer that shut the session (received Cease) from a protocol disabled here', () => {
    const [frr, gobgp] = parseBirdProtocols(parseBirdLines(text('protocols-down.txt')), now);
    expect(frr).toMatchObject({
      peer_ip: '127.0.9.1',
      state: 'active',
      admin_down: false,
      last_error: 'Cease/Administrative Shutdown (received)',
      families: [],
      prefixes_received: null,
    });
    expect(gobgp).toMatchObject({
      peer_ip: '127.0.9.3',
      state: 'admin-down',
      admin_down: true,
      last_error: 'Administrative shutdown: "bird maint msg"',
    });
  });

  it('reports a passive protocol waiting for its peer as active, not unknown', () => {
    const passive = text('protocols-down.txt').replace(/BGP state:(\s+)Active/, 'BGP state:$1Passive');
    expect(parseBirdProtocols(parseBirdLines(passive), now)[0]).toMatchObject({
      peer_ip: '127.0.9.1',
      state: 'active',
    });
  });

  it('reads birdc output without codes too (the text birdc prints)', () => {
    const plain = text('protocols-established.txt')
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^\d{4}-/, ''));
    expect(parseBirdProtocols(plain, now).map((p) => [p.peer_ip, p.state, p.prefixes_received])).toEqual([
      ['127.0.9.1', 'established', 2],
      ['127.0.9.3', 'established', 3],
    ]);
  });

  it('puts BIRD error texts in words', () => {
    expect(birdDownReason('Received: Administrative shutdown')).toBe('Cease/Administrative Shutdown (received)');
    expect(birdDownReason('BGP Error: Hold timer expired')).toBe('Hold Timer Expired (sent)');
    expect(birdDownReason('Error: Hold timer expired')).toBe('Hold Timer Expired');
    expect(birdDownReason('Socket: Connection refused')).toBe('peer unreachable (Connection refused)');
    expect(birdDownReason('Automatic shutdown: Route limit exceeded')).toBe('max-prefix exceeded');
    expect(birdDownReason('Received: Peer de-configured')).toBe('Cease/Peer De-configured (received)');
    expect(birdDownReason('Something new')).toBe('Something new');
  });

  it('reads BIRD times (local) in the formats it prints', () => {
    expect(birdTimeToIso('2026-11-30 03:30:01', now)).toBe(local(2026, 11, 30, 3, 30, 1));
    expect(birdTimeToIso('03:30:01.500', now)).toBe(new Date(2026, 10, 30, 3, 30, 1, 500).toISOString());
    expect(birdTimeToIso('23:59:00', now)).toBe(local(2026, 11, 29, 23, 59, 0));
    expect(birdTimeToIso('2026-11-29', now)).toBe(local(2026, 11, 29, 0, 0, 0));
    expect(birdTimeToIso('yesterday', now)).toBeNull();
  });

  it('keeps a disable message a safe BIRD string', () => {
    expect(birdMessage('say "hi"\\now\nplease')).toBe('say hi now please');
    expect(birdMessage('')).toBeNull();
  });
});

describe('BIRD control socket client (a server replaying a real BIRD session)', () => {
  const session = JSON.parse(text('socket-session.json')) as { greeting: string; replies: Record<string, string> };
  let dir: string;
  let server: Server;
  const received: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-birdsock-'));
    server = createServer((c) => {
      c.write(session.greeting);
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const cmd = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          received.push(cmd);
          if (cmd === 'quit') return void c.end();
          if (cmd === 'hang') continue; // never answers
          const reply = session.replies[cmd] ?? '9001 syntax error\n';
          // Deliver in small pieces: the client must reassemble lines.
          for (let i = 0; i < reply.length; i += 7) c.write(reply.slice(i, i + 7));
        }
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'bird.ctl'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses codes and continuation lines, serves several commands on one connection, and rejects 9xxx', async () => {
    const logs: string[] = [];
    const s = await BirdSocket.connect('fake', join(dir, 'bird.ctl'), {
      signal: new AbortController().signal,
      socketDirs: [dir],
      log: (m) => void logs.push(m),
    });
    try {
      const [status, disabled, protocols] = await Promise.all([
        s.command('show status'),
        s.command('disable x "msg"'),
        s.command('show protocols all x'),
      ]);
      expect(status).toEqual([
        { code: 1000, text: 'BIRD 2.0.12' },
        { code: 1011, text: 'Router ID is 192.0.2.9' },
        { code: 1011, text: 'Hostname is vm' },
        { code: 1011, text: 'Current server time is 2026-11-30 03:43:16.969' },
        { code: 1011, text: 'Last reboot on 2026-11-30 03:43:12.419' },
        { code: 1011, text: 'Last reconfiguration on 2026-11-30 03:43:12.419' },
        { code: 13, text: 'Daemon is up and running' },
      ]);
      expect(disabled).toEqual([{ code: 9, text: 'x: disabled' }]);
      expect(parseBirdProtocols(protocols, new Date(2026, 10, 30, 4, 0, 0))).toEqual([
        {
          vrf: null,
          peer_ip: '127.0.8.2',
          remote_asn: 65001,
          local_asn: 65000,
          local_ip: null,
          description: null,
          state: 'admin-down',
          admin_down: true,
          since: new Date(2026, 10, 30, 3, 43, 17, 241).toISOString(),
          prefixes_received: null,
          prefixes_accepted: null,
          prefixes_advertised: null,
          families: [],
          last_error: 'Administrative shutdown: "msg"',
        },
      ]);
      await expect(s.command('show foo')).rejects.toMatchObject({
        code: 'router_error',
        message: expect.stringContaining('9001 syntax error'),
      });
      // The connection is still usable after an error reply.
      expect(await s.command('configure check')).toEqual([
        { code: 2, text: 'Reading configuration from b.conf' },
        { code: 20, text: 'Configuration OK' },
      ]);
      expect(received.slice(-5)).toEqual([
        'show status',
        'disable x "msg"',
        'show protocols all x',
        'show foo',
        'configure check',
      ]);
      expect(logs.some((l) => l.startsWith('fake: birdc show status → 1000-BIRD 2.0.12'))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('finds the end of a reply wherever the pieces break, and logs each answer', async () => {
    const reply = session.replies['show protocols all x']!;
    const expected = parseBirdLines(reply).filter((l) => !(l.code === 0 && l.text === ''));
    // Pieces written 3 ms apart, so each arrives on its own: one byte at a time, then two pieces cut at
    // every offset of the last two lines (inside the `0000 ` that ends the reply, too).
    const cuts: number[][] = [Array.from({ length: reply.length - 1 }, (_, i) => i + 1)];
    for (let k = reply.length - 12; k < reply.length; k++) cuts.push([k]);
    const slow = createServer((c) => {
      c.write(session.greeting);
      c.on('data', async (d) => {
        const at = JSON.parse(d.toString().trim()) as number[];
        const ends = [...at, reply.length];
        for (let i = 0, from = 0; i < ends.length; from = ends[i]!, i++) {
          c.write(reply.slice(from, ends[i]));
          await new Promise((r) => setTimeout(r, 3));
        }
      });
    });
    const path = join(dir, 'slow.ctl');
    await new Promise<void>((r) => slow.listen(path, r));
    const logs: string[] = [];
    const s = await BirdSocket.connect('fake', path, {
      signal: new AbortController().signal,
      socketDirs: [dir],
      log: (m) => void logs.push(m),
    });
    try {
      for (const at of cuts)
        expect(await s.command(JSON.stringify(at)), `cut at ${at.length > 1 ? 'every byte' : at[0]}`).toEqual(expected);
      expect(expected.slice(-2)).toEqual([
        { code: 1006, text: '    IGP IPv4 table: master4' },
        { code: 1006, text: '' },
      ]);
      expect(logs).toHaveLength(cuts.length);
      // Whitespace runs collapsed; short enough to be logged whole.
      expect(logs.at(-1)).toBe(`fake: birdc ${JSON.stringify(cuts.at(-1))} → ${reply.trim().split(/\s+/).join(' ')}`);
    } finally {
      await s.close();
      await new Promise((r) => slow.close(r));
    }
  });

  it('logs a long answer cut at 400 characters, whitespace collapsed, with the length received', async () => {
    const answer = `0001 BIRD ready.\n${Array.from({ length: 60 }, (_, i) => `1002-n${i}       BGP        ---        up     03:43:17.241  Established`).join('\n')}\n0000 \n`;
    const logs: string[] = [];
    await logCall((m) => void logs.push(m), 'r1', 'birdc show protocols', answer);
    const collapsed = answer.trim().split(/\s+/).join(' ');
    expect(logs).toEqual([`r1: birdc show protocols → ${collapsed.slice(0, 400)}… (${answer.length} chars)`]);
    await logCall(undefined, 'r1', 'birdc show protocols', answer); // no log: nothing to do
    await logCall((m) => void logs.push(m), 'r1', 'birdc show x', ' \n\t ');
    expect(logs[1]).toBe('r1: birdc show x → (empty)');
  });

  it('parses CRLF line ends, continuation lines and lines without a code', () => {
    expect(parseBirdLines('0001 BIRD 2.0.12 ready.\r\n1002-x BGP\r\n  continued\r\n\r\nno code\n0000 ')).toEqual([
      { code: 1, text: 'BIRD 2.0.12 ready.' },
      { code: 1002, text: 'x BGP' },
      { code: 1002, text: ' continued' },
      { code: -1, text: 'no code' },
      { code: 0, text: '' },
    ]);
    expect(parseBirdLines('')).toEqual([]);
    expect(parseBirdLines('123 short\n12a4-x\n')).toEqual([
      { code: -1, text: '123 short' },
      { code: -1, text: '12a4-x' },
    ]);
  });

  it('times out a command that gets no answer', async () => {
    const s = await BirdSocket.connect('fake', join(dir, 'bird.ctl'), {
      signal: new AbortController().signal,
      socketDirs: [dir],
      timeoutMs: 300,
    });
    await expect(s.command('hang')).rejects.toMatchObject({ code: 'router_timeout' });
    await expect(s.command('show status')).rejects.toMatchObject({ code: 'router_unreachable' });
    await s.close();
  });

  it('refuses a socket outside the allowed directories, naming neither the path nor whether it exists', async () => {
    const errs = await Promise.all(
      [join(dir, 'bird.ctl'), '/nonexistent/bird.ctl'].map((p) =>
        BirdSocket.connect('fake', p, { signal: new AbortController().signal, socketDirs: ['/run/bird'] }).then(
          () => null,
          (e: Error & { code?: string }) => ({ code: e.code, message: e.message }),
        ),
      ),
    );
    expect(errs[0]).toMatchObject({ code: 'socket_not_allowed' });
    expect(errs[1]).toEqual(errs[0]);
    expect(errs[0]!.message).not.toContain(dir);
  });

  it('reads PEERDESK_SOCKET_DIRS when the session gives no directories', async () => {
    const before = process.env.PEERDESK_SOCKET_DIRS;
    try {
      process.env.PEERDESK_SOCKET_DIRS = `/run/bird,${dir}`;
      const s = await BirdSocket.connect('fake', join(dir, 'bird.ctl'), { signal: new AbortController().signal });
      await s.close();
      delete process.env.PEERDESK_SOCKET_DIRS;
      await expect(
        BirdSocket.connect('fake', join(dir, 'bird.ctl'), { signal: new AbortController().signal }),
      ).rejects.toMatchObject({ code: 'socket_not_allowed' });
    } finally {
      if (before === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
      else process.env.PEERDESK_SOCKET_DIRS = before;
    }
  });
});
