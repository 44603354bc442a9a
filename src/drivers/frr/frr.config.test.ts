import { describe, expect, it } from 'vitest';
import { frrDelta, negate, ownedText, parseFrrConfig, vtyshCommands } from './frr.config.ts';

const RUNNING = `Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname lab-frr
!
ip prefix-list OWN seq 5 permit 203.0.113.0/26
!
router bgp 65001
 bgp router-id 127.0.7.1
 no bgp ebgp-requires-policy
 neighbor 127.0.7.2 remote-as 65002
 neighbor 127.0.7.2 description lab bird
 neighbor 127.0.7.3 remote-as 65003
 neighbor 127.0.7.3 description lab gobgp
 !
 address-family ipv4 unicast
  network 203.0.113.0/26
  neighbor 127.0.7.2 route-map EXPORT out
  neighbor 127.0.7.3 route-map EXPORT out
 exit-address-family
exit
!
route-map EXPORT permit 10
 match ip address prefix-list OWN
exit
!
end
`;

describe('FRR configuration deltas', () => {
  it('parses indentation into contexts and keeps only the owned stanzas', () => {
    const tree = parseFrrConfig(RUNNING);
    expect(tree.map((n) => n.line)).toEqual([
      'frr defaults traditional',
      'hostname lab-frr',
      'ip prefix-list OWN seq 5 permit 203.0.113.0/26',
      'router bgp 65001',
      'route-map EXPORT permit 10',
    ]);
    expect(tree[3]!.children.at(-1)).toEqual({
      line: 'address-family ipv4 unicast',
      children: [
        { line: 'network 203.0.113.0/26', children: [] },
        { line: 'neighbor 127.0.7.2 route-map EXPORT out', children: [] },
        { line: 'neighbor 127.0.7.3 route-map EXPORT out', children: [] },
      ],
    });
    expect(ownedText(RUNNING).split('\n')[0]).toBe('ip prefix-list OWN seq 5 permit 203.0.113.0/26');
    expect(ownedText(RUNNING)).not.toContain('hostname');
  });

  it('is empty for the same configuration (hostname and banners ignored)', () => {
    expect(
      frrDelta(
        RUNNING,
        RUNNING.replace('hostname lab-frr', 'hostname other').replace('Building configuration...\n', ''),
      ),
    ).toEqual([]);
  });

  it('removes a neighbour with one command (its own lines go with it) and adds one under its contexts', () => {
    const without = RUNNING.replace(
      ' neighbor 127.0.7.3 remote-as 65003\n neighbor 127.0.7.3 description lab gobgp\n',
      '',
    ).replace('  neighbor 127.0.7.3 route-map EXPORT out\n', '');
    expect(frrDelta(RUNNING, without)).toEqual([
      { path: ['router bgp 65001'], command: 'no neighbor 127.0.7.3 remote-as 65003' },
    ]);
    expect(frrDelta(without, RUNNING)).toEqual([
      { path: ['router bgp 65001'], command: 'neighbor 127.0.7.3 remote-as 65003' },
      { path: ['router bgp 65001'], command: 'neighbor 127.0.7.3 description lab gobgp' },
      { path: ['router bgp 65001', 'address-family ipv4 unicast'], command: 'neighbor 127.0.7.3 route-map EXPORT out' },
    ]);
    expect(vtyshCommands(frrDelta(without, RUNNING))).toEqual([
      'configure terminal',
      'router bgp 65001',
      'neighbor 127.0.7.3 remote-as 65003',
      'neighbor 127.0.7.3 description lab gobgp',
      'end',
      'configure terminal',
      'router bgp 65001',
      'address-family ipv4 unicast',
      'neighbor 127.0.7.3 route-map EXPORT out',
      'end',
    ]);
  });

  it('re-adds the kept lines of a neighbour whose AS changes; negates `no` lines; edits prefix lists', () => {
    const changed = RUNNING.replace('remote-as 65002', 'remote-as 65020')
      .replace(' no bgp ebgp-requires-policy\n', '')
      .replace('seq 5 permit 203.0.113.0/26', 'seq 5 permit 203.0.113.0/25');
    expect(frrDelta(RUNNING, changed)).toEqual([
      { path: [], command: 'no ip prefix-list OWN seq 5 permit 203.0.113.0/26' },
      { path: ['router bgp 65001'], command: 'bgp ebgp-requires-policy' },
      { path: ['router bgp 65001'], command: 'no neighbor 127.0.7.2 remote-as 65002' },
      { path: [], command: 'ip prefix-list OWN seq 5 permit 203.0.113.0/25' },
      { path: ['router bgp 65001'], command: 'neighbor 127.0.7.2 remote-as 65020' },
      { path: ['router bgp 65001'], command: 'neighbor 127.0.7.2 description lab bird' },
      { path: ['router bgp 65001', 'address-family ipv4 unicast'], command: 'neighbor 127.0.7.2 route-map EXPORT out' },
    ]);
    expect(negate('no bgp x')).toBe('bgp x');
    expect(negate('bgp x')).toBe('no bgp x');
  });

  it('reads CRLF line ends, tabs and repeated spaces as show running-config prints them (one space, same contexts)', () => {
    const messy = RUNNING.replace(/\n/g, '\r\n')
      .replace(' neighbor 127.0.7.2 description lab bird', ' neighbor  127.0.7.2\tdescription   lab bird  ')
      .replace('exit-address-family', 'exit-address-family \t');
    expect(parseFrrConfig(messy)).toEqual(parseFrrConfig(RUNNING));
    expect(frrDelta(RUNNING, messy)).toEqual([]);
    expect(ownedText('router bgp 1\n\tneighbor  10.0.0.1   remote-as 2\u00a0\r\n!\n')).toBe(
      'router bgp 1\n neighbor 10.0.0.1 remote-as 2\n',
    );
  });
});
