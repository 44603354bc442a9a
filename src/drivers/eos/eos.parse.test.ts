// The EOS parsers on eAPI answers written after Arista's documented JSON (fixtures/show-bgp.json cites it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eosCommitTimer, eosConfigLines, eosShutdownReason } from './eos.driver.ts';
import {
  eosIdleReason,
  eosPendingCommitTimer,
  parseEosAsn,
  parseEosBgp,
  type EosNeighbors,
  type EosSummary,
} from './eos.parse.ts';
import { referencePeer } from '../../../test/drivers/reference-peers.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/show-bgp.json', import.meta.url), 'utf8')) as {
  result: unknown[];
};

describe('eos parsers', () => {
  it('joins both summaries and the neighbour list: state, admin-down, counts per family, down reason', () => {
    const [v4, v6, nb] = fixture.result;
    const peers = parseEosBgp(v4 as EosSummary, v6 as EosSummary, nb as EosNeighbors);
    expect(peers).toEqual([
      referencePeer('192.0.2.2', { local_ip: null, since: '2026-01-01T10:00:00.250Z' }),
      {
        vrf: null,
        peer_ip: '192.0.2.6',
        remote_asn: 64506,
        local_asn: 64500,
        local_ip: null,
        description: 'IX peer C',
        state: 'admin-down',
        admin_down: true,
        since: '2026-01-01T11:00:00.000Z',
        prefixes_received: 0,
        prefixes_accepted: 0,
        prefixes_advertised: 0,
        families: [{ afi_safi: 'ipv4-unicast', received: 0, accepted: 0, advertised: 0 }],
        last_error: 'Cease/Administrative Shutdown',
      },
      {
        vrf: null,
        peer_ip: '192.0.2.10',
        remote_asn: 65546,
        local_asn: 64500,
        local_ip: null,
        description: null,
        state: 'idle',
        admin_down: false,
        since: '2026-01-01T12:00:00.000Z',
        prefixes_received: 0,
        prefixes_accepted: 0,
        prefixes_advertised: 0,
        families: [{ afi_safi: 'ipv4-unicast', received: 0, accepted: 0, advertised: 0 }],
        last_error: 'max-prefix exceeded',
      },
      referencePeer('198.51.100.7', { local_ip: null, since: '2026-01-01T00:00:00.000Z' }),
      {
        vrf: null,
        peer_ip: '2001:db8::2',
        remote_asn: 64502,
        local_asn: 64500,
        local_ip: null,
        description: 'IX peer B',
        state: 'active',
        admin_down: false,
        since: '2026-01-01T12:37:55.000Z',
        prefixes_received: 0,
        prefixes_accepted: 0,
        prefixes_advertised: 0,
        families: [{ afi_safi: 'ipv6-unicast', received: 0, accepted: 0, advertised: 0 }],
        last_error: null,
      },
    ]);
  });

  it('small helpers', () => {
    expect(parseEosAsn('1.10')).toBe(65546);
    expect(parseEosAsn('4200000001')).toBe(4200000001);
    expect(parseEosAsn('x')).toBeNull();
    expect(eosIdleReason('NoInterface')).toBe('peer unreachable (NoInterface)');
    expect(eosIdleReason('Shutdown')).toBe('idle: Shutdown');
    expect(eosCommitTimer(90)).toBe('00:01:30');
    expect(eosCommitTimer(3661)).toBe('01:01:01');
    expect(eosCommitTimer(0)).toBe('00:00:01');
    expect(eosCommitTimer(999_999)).toBe('23:59:59');
    expect(eosShutdownReason('planned "work"\nticket 42?')).toBe(' reason planned work ticket 42');
    expect(eosShutdownReason(undefined)).toBe('');
    expect(eosConfigLines('router bgp 64500\n   neighbor 192.0.2.9 remote-as 64509\n!\n\nend\n')).toEqual([
      'router bgp 64500',
      'neighbor 192.0.2.9 remote-as 64509',
    ]);
    expect(eosPendingCommitTimer({ sessions: { a: { state: 'completed' }, b: { state: 'pendingCommitTimer' } } })).toBe(
      true,
    );
    expect(eosPendingCommitTimer({ sessions: { a: { state: 'pending' } } })).toBe(false);
  });
});
