// FRR parser on answers captured from a real FRR 8.4 bgpd (lab triangle, net 127.0.9.0/24).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frrDownReason, frrFamily, parseFrrNeighbors } from './frr.parser.ts';
import { runsOwnConfigFile, saveCommands, shutdownMessage } from './frr.driver.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const now = new Date('2026-11-30T03:35:00Z');

describe('parseFrrNeighbors', () => {
  it('reads established sessions with counts, uptime and the last NOTIFICATION with its RFC 8203 message', () => {
    expect(parseFrrNeighbors(fixture('neighbors-established.json'), now)).toEqual([
      {
        vrf: null,
        peer_ip: '127.0.9.2',
        remote_asn: 65002,
        local_asn: 65001,
        local_ip: '127.0.9.1',
        description: 'lab bird',
        state: 'established',
        admin_down: false,
        since: '2026-11-30T03:32:09.000Z',
        prefixes_received: 1,
        prefixes_accepted: 1,
        prefixes_advertised: 2,
        families: [{ afi_safi: 'ipv4-unicast', received: 1, accepted: 1, advertised: 2 }],
        last_error: 'Cease/Administrative Shutdown (received): "hello"',
      },
      {
        vrf: null,
        peer_ip: '127.0.9.3',
        remote_asn: 65003,
        local_asn: 65001,
        local_ip: '127.0.9.1',
        description: 'lab gobgp',
        state: 'established',
        admin_down: false,
        since: '2026-11-30T03:30:50.000Z',
        prefixes_received: 3,
        prefixes_accepted: 3,
        prefixes_advertised: 2,
        families: [{ afi_safi: 'ipv4-unicast', received: 3, accepted: 3, advertised: 2 }],
        last_error: 'Cease/Administrative Shutdown (received)',
      },
    ]);
  });

  it('tells our own shutdown (admin-down) from a session the other side shut', () => {
    const [own, theirs] = parseFrrNeighbors(fixture('neighbors-down.json'), now);
    expect(own).toMatchObject({
      peer_ip: '127.0.9.2',
      state: 'admin-down',
      admin_down: true,
      last_error: 'Administrative shutdown',
      since: '2026-11-30T03:34:47.000Z',
      prefixes_received: 0,
    });
    expect(theirs).toMatchObject({
      peer_ip: '127.0.9.3',
      state: 'idle',
      admin_down: false,
      last_error: 'Cease/Administrative Shutdown (received)',
      since: '2026-11-30T03:34:58.000Z',
    });
  });

  it('puts non-default VRFs by name and skips the VRF header fields', () => {
    const body = fixture('neighbors-established.json').default;
    const list = parseFrrNeighbors(
      { default: { vrfId: 0, vrfName: 'default' }, CUST: { ...body, vrfId: 5, vrfName: 'CUST' } },
      now,
    );
    expect(list.map((p) => [p.vrf, p.peer_ip])).toEqual([
      ['CUST', '127.0.9.2'],
      ['CUST', '127.0.9.3'],
    ]);
  });
});

describe('FRR words', () => {
  it('maps reset reasons and notifications to words', () => {
    expect(frrDownReason({ lastResetDueTo: 'No AFI/SAFI activated for peer', lastResetCode: 30 })).toBeNull();
    expect(frrDownReason({ lastResetDueTo: 'Reached received prefix count' })).toBe('max-prefix exceeded');
    expect(frrDownReason({ lastResetDueTo: 'Waiting for NHT' })).toBe('peer unreachable (no route to the next hop)');
    expect(
      frrDownReason({
        lastNotificationReason: 'Hold Timer Expired/Unspecific',
        lastResetDueTo: 'BGP Notification send',
      }),
    ).toBe('Hold Timer Expired (sent)');
    expect(frrDownReason({ lastResetDueTo: 'Peer closed the session' })).toBe('Peer closed the session');
  });

  it('names address families like the rest of Peerdesk', () => {
    expect(['ipv4Unicast', 'ipv6Unicast', 'ipv4Multicast', 'l2VpnEvpn', 'ipv4Flowspec'].map(frrFamily)).toEqual([
      'ipv4-unicast',
      'ipv6-unicast',
      'ipv4-multicast',
      'l2vpn-evpn',
      'ipv4-flowspec',
    ]);
  });

  it('keeps a shutdown message to one line of at most 128 bytes', () => {
    expect(shutdownMessage(undefined)).toBeNull();
    expect(shutdownMessage('  \n ')).toBeNull();
    expect(shutdownMessage('line one\nline two')).toBe('line one line two');
    const long = shutdownMessage('é'.repeat(100))!;
    expect(Buffer.byteLength(long)).toBe(128);
  });
});

describe('FRR save (write memory)', () => {
  it("saves to bgpd's own file when it runs with -f, else as vtysh.conf says (integrated frr.conf)", () => {
    // /proc/PID/cmdline of the lab's bgpd, and of a Debian bgpd started by watchfrr (integrated config).
    const lab = [
      '/usr/lib/frr/bgpd',
      '-Z',
      '-S',
      '-n',
      '-l',
      '127.0.1.1',
      '-p',
      '1790',
      '-P',
      '0',
      '--vty_socket',
      '/tmp/lab/frr',
      '-i',
      '/tmp/lab/frr/bgpd.pid',
      '-f',
      '/tmp/lab/frr/bgpd.conf',
      '',
    ].join('\0');
    const debian = ['/usr/lib/frr/bgpd', '-d', '-F', 'traditional', '-A', '127.0.0.1', ''].join('\0');
    expect(runsOwnConfigFile(lab)).toBe(true);
    expect(runsOwnConfigFile(lab.replaceAll('\0', '\n'))).toBe(true);
    expect(runsOwnConfigFile(['bgpd', '--config_file=/etc/frr/bgpd.conf'].join('\0'))).toBe(true);
    expect(runsOwnConfigFile(['bgpd', '-f/etc/frr/bgpd.conf'].join('\0'))).toBe(true);
    expect(runsOwnConfigFile(debian)).toBe(false);
    expect(runsOwnConfigFile('')).toBe(false);
    expect(saveCommands(true)).toEqual([
      'configure terminal',
      'no service integrated-vtysh-config',
      'end',
      'write memory',
    ]);
    expect(saveCommands(false)).toEqual(['write memory']);
  });
});
