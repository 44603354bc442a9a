// The IOS-XR parsers on a Cisco-IOS-XR-ipv4-bgp-oper answer (fixtures/ cites the model).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml, type XmlNode } from '../transports/netconf.ts';
import { xrShutdownConfig } from './iosxr.driver.ts';
import { innerData, notificationText, parseXrNeighbors, prettyXml } from './iosxr.parse.ts';
import { referencePeer } from '../../../test/drivers/reference-peers.ts';

const xml = readFileSync(new URL('./fixtures/bgp-oper-neighbors.xml', import.meta.url), 'utf8');
const NOW = new Date('2026-01-01T12:00:00Z');

describe('iosxr parsers', () => {
  it('parses neighbours of the default VRF and VRFs: state, admin shut, max-prefix, notification, counts', () => {
    const peers = parseXrNeighbors(parseXml(xml)['rpc-reply'] as XmlNode, NOW);
    expect(peers).toEqual([
      referencePeer('192.0.2.2'),
      referencePeer('2001:db8::2'),
      {
        vrf: null,
        peer_ip: '192.0.2.6',
        remote_asn: 64506,
        local_asn: 64500,
        local_ip: null,
        description: null,
        state: 'admin-down',
        admin_down: true,
        since: null,
        prefixes_received: null,
        prefixes_accepted: null,
        prefixes_advertised: null,
        families: [],
        last_error: 'Cease/Administrative Shutdown',
      },
      {
        vrf: null,
        peer_ip: '192.0.2.10',
        remote_asn: 64510,
        local_asn: 64500,
        local_ip: null,
        description: null,
        state: 'idle',
        admin_down: false,
        since: null,
        prefixes_received: null,
        prefixes_accepted: null,
        prefixes_advertised: null,
        families: [],
        last_error: 'max-prefix exceeded',
      },
      referencePeer('198.51.100.7', { last_error: 'Cease/Administrative Reset' }),
    ]);
  });

  it('names NOTIFICATION codes', () => {
    expect(notificationText(6, 2)).toBe('Cease/Administrative Shutdown');
    expect(notificationText(4, 0)).toBe('Hold Timer Expired');
    expect(notificationText(2, 2)).toBe('OPEN Message Error/Bad Peer AS');
    expect(notificationText(6, 99)).toBe('Cease/subcode 99');
    expect(notificationText(42, 1)).toBe('NOTIFICATION 42/1');
  });

  it('lays XML out one element per line and builds the shutdown edit', () => {
    expect(prettyXml('<a><b>1</b><c><d/></c></a>')).toBe('<a>\n  <b>1</b>\n  <c>\n    <d/>\n  </c>\n</a>\n');
    expect(innerData('<rpc-reply><data><x>1</x></data></rpc-reply>')).toBe('<x>1</x>');
    expect(xrShutdownConfig(64500, { vrf: 'V1', peer_ip: '192.0.2.9' }, true)).toContain(
      '<vrf><vrf-name>V1</vrf-name><vrf-neighbors><vrf-neighbor><neighbor-address>192.0.2.9</neighbor-address><shutdown>true</shutdown>',
    );
    expect(xrShutdownConfig(64500, { vrf: null, peer_ip: '192.0.2.9' }, false)).toContain('nc:operation="remove"');
  });
});
