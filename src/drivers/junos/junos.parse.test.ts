// The Junos parsers on answers written after Juniper's documented formats (fixtures/ cite the pages).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml, type XmlNode } from '../transports/netconf.ts';
import { junosConfirmMinutes, junosNeighborPath, junosPendingConfirm } from './junos.driver.ts';
import { junosAddress, mergeJunosState, parseJunosBgpConfig, parseJunosNeighbors, ribFamily } from './junos.parse.ts';
import { referencePeer } from '../../../test/drivers/reference-peers.ts';

const fixture = (name: string) =>
  parseXml(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))['rpc-reply'] as XmlNode;
const NOW = new Date('2026-01-01T12:00:00Z');

describe('junos parsers', () => {
  it('parses get-bgp-neighbor-information: addresses without ports, instances, counts per RIB, last error', () => {
    const peers = parseJunosNeighbors(fixture('get-bgp-neighbor-information.xml'), NOW);
    expect(peers).toEqual([
      referencePeer('192.0.2.2'),
      referencePeer('2001:db8::2', { local_ip: '2001:db8::1' }),
      referencePeer('198.51.100.7', { last_error: 'Cease' }),
    ]);
  });

  it('reads deactivated neighbours (itself or through its group) from the XML configuration', () => {
    const config = parseJunosBgpConfig(fixture('get-configuration-bgp.xml'));
    expect(config).toEqual([
      {
        vrf: null,
        peer_ip: '192.0.2.2',
        group: 'TRANSIT',
        remote_asn: 64501,
        description: 'Transit A',
        inactive: false,
      },
      {
        vrf: null,
        peer_ip: '2001:db8::2',
        group: 'IX-V6',
        remote_asn: 64502,
        description: 'IX peer B',
        inactive: false,
      },
      {
        vrf: null,
        peer_ip: '2001:db8::66',
        group: 'IX-V6',
        remote_asn: 64566,
        description: 'IX peer parked',
        inactive: true,
      },
      {
        vrf: 'CUST-A',
        peer_ip: '198.51.100.7',
        group: 'CUSTOMERS',
        remote_asn: 64503,
        description: null,
        inactive: false,
      },
      { vrf: 'CUST-A', peer_ip: '198.51.100.9', group: 'PARKED', remote_asn: 64509, description: null, inactive: true },
    ]);
    const merged = mergeJunosState(parseJunosNeighbors(fixture('get-bgp-neighbor-information.xml'), NOW), config);
    expect(merged.map((p) => `${p.vrf ?? '-'} ${p.peer_ip} ${p.state} ${p.admin_down}`)).toEqual([
      '- 192.0.2.2 established false',
      '- 2001:db8::2 active false',
      'CUST-A 198.51.100.7 established false',
      '- 2001:db8::66 admin-down true',
      'CUST-A 198.51.100.9 admin-down true',
    ]);
    expect(merged[3]).toMatchObject({
      remote_asn: 64566,
      description: 'IX peer parked',
      last_error: 'deactivated in the configuration',
    });
  });

  it('small helpers', () => {
    expect(junosAddress('2001:DB8::2+179')).toBe('2001:db8::2');
    expect(junosAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(ribFamily('inet.0')).toBe('ipv4-unicast');
    expect(ribFamily('CUST-A.inet6.0')).toBe('ipv6-unicast');
    expect(ribFamily('inet.2')).toBe('ipv4-multicast');
    expect(ribFamily('bgp.l3vpn.0')).toBe('l3vpn-ipv4-unicast');
    expect(junosConfirmMinutes(1)).toBe(1);
    expect(junosConfirmMinutes(60)).toBe(1);
    expect(junosConfirmMinutes(61)).toBe(2);
    expect(junosConfirmMinutes(300)).toBe(5);
    expect(junosNeighborPath({ vrf: 'CUST A', group: 'G1', peer_ip: '192.0.2.9' })).toBe(
      'routing-instances "CUST A" protocols bgp group G1 neighbor 192.0.2.9',
    );
    const pending = parseXml(
      '<rpc-reply><commit-information><commit-history><sequence-number>0</sequence-number><log>commit confirmed, rollback in 5mins</log></commit-history><commit-history><sequence-number>1</sequence-number><log>x</log></commit-history></commit-information></rpc-reply>',
    )['rpc-reply'] as XmlNode;
    expect(junosPendingConfirm(pending)).toBe(true);
    const done = parseXml(
      '<rpc-reply><commit-information><commit-history><sequence-number>0</sequence-number><log>confirm</log></commit-history><commit-history><sequence-number>1</sequence-number><log>commit confirmed, rollback in 5mins</log></commit-history></commit-information></rpc-reply>',
    )['rpc-reply'] as XmlNode;
    expect(junosPendingConfirm(done)).toBe(false);
  });
});
