// The one-pass readers a poll uses on BIRD's reply text (checkReplyText, parseBirdBgpProtocolsText):
// they must read every reply as the line-based readers do (parseBirdLines, checkReply through
// BirdSocket.command), on captured BIRD output, a generated 100-protocol listing and edge cases.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdSocket, checkReplyText, parseBirdLines } from '../transports/bird-socket.ts';
import { parseBirdBgpProtocols, parseBirdBgpProtocolsText } from './bird.parser.ts';

const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const session = JSON.parse(text('socket-session.json')) as { greeting: string; replies: Record<string, string> };
const now = new Date(2026, 10, 30, 4, 0, 0);

/** A `show protocols all` reply of n BGP protocols as BIRD 2 prints it (up ones with routes and timers). */
function bigReply(n: number): string {
  const out = ['2002-Name       Proto      Table      State  Since         Info'];
  for (let i = 0; i < n; i++) {
    const up = i % 3 === 0;
    out.push(
      `1002-p${i}        BGP        ---        ${up ? 'up   ' : 'start'}  2026-11-30 03:30:0${i % 10}  ${up ? 'Established' : 'Active'}`,
      `1006-  Description:    neighbour ${i}: Neighbor address: 192.0.2.250`,
      `   BGP state:          ${up ? 'Established' : 'Active'}`,
      `     Neighbor address: 192.0.2.${i % 250}`,
      `     Neighbor AS:      ${65000 + i}`,
      `     Local AS:         64500`,
      ...(up
        ? [
            '     Source address:   192.0.2.254',
            '     Hold timer:       143.123/180',
            '     Keepalive timer:  12.002/60',
          ]
        : ['     Connect delay:    3.851/5', '     Last error:       Socket: Connection refused']),
      '   Channel ipv4',
      `     State:          ${up ? 'UP' : 'DOWN'}`,
      '     Table:          master4',
      ...(up ? [`     Routes:         ${i} imported, 2 filtered, 1 exported, 0 preferred`] : []),
      '     Route change stats:     received   rejected   filtered    ignored   accepted',
      '       Import updates:              1          0          0          0          1',
      ' ',
    );
  }
  out.push('0000 ');
  return `${out.join('\n')}\n`;
}

describe('one-pass readers of BIRD reply text', () => {
  const replies: [string, string][] = [
    ['protocols-established.txt', text('protocols-established.txt')],
    ['protocols-down.txt', text('protocols-down.txt')],
    ...Object.entries(session.replies),
    ['100 protocols', bigReply(100)],
  ];

  // (The line-based reader hands its lines' text to the text reader: this checks that reading the
  // codes and continuation lines of the raw text gives what parseBirdLines gives.)
  it.each(replies)('reads the raw text of %s as the lines it is made of', (_name, reply) => {
    const byLines = parseBirdBgpProtocols(parseBirdLines(reply), now);
    expect(parseBirdBgpProtocolsText(reply, now)).toEqual(byLines);
    // Windows line ends change nothing.
    expect(parseBirdBgpProtocolsText(reply.replace(/\n/g, '\r\n'), now)).toEqual(byLines);
  });

  it('reads every field of a big listing (values that look like keys stay values)', () => {
    const protocols = parseBirdBgpProtocolsText(bigReply(100), now);
    expect(protocols).toHaveLength(100);
    expect(protocols[3]).toEqual({
      name: 'p3',
      peer: {
        vrf: null,
        peer_ip: '192.0.2.3',
        remote_asn: 65003,
        local_asn: 64500,
        local_ip: '192.0.2.254',
        description: 'neighbour 3: Neighbor address: 192.0.2.250',
        state: 'established',
        admin_down: false,
        since: new Date(2026, 10, 30, 3, 30, 3).toISOString(),
        prefixes_received: 5,
        prefixes_accepted: 3,
        prefixes_advertised: 1,
        families: [{ afi_safi: 'ipv4-unicast', received: 5, accepted: 3, advertised: 1 }],
        last_error: null,
      },
    });
    expect(protocols[4]!.peer).toMatchObject({
      peer_ip: '192.0.2.4',
      state: 'active',
      last_error: 'peer unreachable (Connection refused)',
      families: [],
      prefixes_received: null,
    });
  });

  it('reads birdc output without codes, and a VRF', () => {
    const plain = text('protocols-established.txt').replace(/^\d{4}[- ]/gm, '');
    expect(parseBirdBgpProtocolsText(plain, now)).toEqual(
      parseBirdBgpProtocols(text('protocols-established.txt').split('\n'), now),
    );
    const vrf = bigReply(1).replace('   BGP state:', '   VRF:                red\n   BGP state:');
    expect(parseBirdBgpProtocolsText(vrf, now)[0]!.peer.vrf).toBe('red');
  });

  it('checks a reply as command() does: the first error line, else the first line without a code', () => {
    const ok = session.replies['show protocols all x']!;
    expect(checkReplyText('r1', 'show protocols all', ok)).toBe(ok);
    expect(() => checkReplyText('r1', 'show foo', session.replies['show foo']!)).toThrow(
      expect.objectContaining({ code: 'router_error', message: expect.stringContaining('9001 syntax error') }),
    );
    // An error line is reported even after a line without a code.
    expect(() => checkReplyText('r1', 'x', '1002-a BGP\nstray text\n8003 No protocols match\n')).toThrow(
      /8003 No protocols match/,
    );
    expect(() => checkReplyText('r1', 'x', '1002-a BGP\nstray text\n0000 \n')).toThrow(
      expect.objectContaining({ code: 'router_error', message: expect.stringContaining('stray text') }),
    );
    // Continuation lines, empty lines and CRLF are fine.
    expect(checkReplyText('r1', 'x', '1002-a BGP\r\n  more\r\n\r\n0000 \r\n')).toBe(
      '1002-a BGP\r\n  more\r\n\r\n0000 \r\n',
    );
  });
});

describe('BirdSocket.commandText (a server replaying a real BIRD session)', () => {
  let dir: string;
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-birdtext-'));
    server = createServer((c) => {
      c.write(session.greeting);
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const cmd = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const reply = cmd === 'big' ? bigReply(200) : (session.replies[cmd] ?? '9001 syntax error\n');
          // In pieces: the client must find the reply's end wherever they break.
          for (let i = 0; i < reply.length; i += 4093) c.write(reply.slice(i, i + 4093));
        }
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'bird.ctl'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the reply text, read as command() reads it; errors reject the same way', async () => {
    const logs: string[] = [];
    const s = await BirdSocket.connect('fake', join(dir, 'bird.ctl'), {
      signal: new AbortController().signal,
      socketDirs: [dir],
      log: (m) => void logs.push(m),
    });
    try {
      const [asText, asLines, big] = await Promise.all([
        s.commandText('show protocols all x'),
        s.command('show protocols all x'),
        s.commandText('big'),
      ]);
      expect(parseBirdBgpProtocolsText(asText, now)).toEqual(parseBirdBgpProtocols(asLines, now));
      expect(parseBirdBgpProtocolsText(asText, now)).toHaveLength(1);
      expect(parseBirdBgpProtocolsText(big, now)).toEqual(parseBirdBgpProtocols(parseBirdLines(bigReply(200)), now));
      await expect(s.commandText('show foo')).rejects.toMatchObject({
        code: 'router_error',
        message: expect.stringContaining('9001 syntax error'),
      });
      // Each answer is logged (cut short), as for command().
      expect(logs.filter((l) => l.startsWith('fake: birdc big → 2002-Name Proto'))).toHaveLength(1);
      expect(logs).toHaveLength(4);
    } finally {
      await s.close();
    }
  });
});
