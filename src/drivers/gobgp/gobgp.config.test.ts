// The gobgpd TOML reader and the checks a deploy makes before it touches gobgpd: on a candidate
// gobgpd 3.10's own `gobgpd -d` accepts (fixtures/candidate.toml).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkCandidate,
  configProblems,
  globalConfigKey,
  gobgpNeighbors,
  gobgpPrefixSetSizes,
  parseToml,
  redactTomlSecrets,
  GobgpConfigError,
} from './gobgp.config.ts';
import { checkMessage, gobgpConfigFile, installScript, revertKey, revertScript } from './gobgp.revert.ts';
import { configDiff, isLocalHost } from './gobgp.driver.ts';

const candidate = readFileSync(new URL('./fixtures/candidate.toml', import.meta.url), 'utf8');

describe('parseToml on a gobgpd candidate', () => {
  const cfg = parseToml(candidate);

  it('reads tables, arrays of tables, strings with escapes, numbers, multi-line arrays and inline tables', () => {
    expect(cfg.global).toEqual({
      config: { as: 65003, 'router-id': '127.0.12.3', port: 21790, 'local-address-list': ['127.0.12.3', '::1'] },
      'apply-policy': {
        config: {
          'import-policy-list': ['PEERDESK-IMPORT'],
          'default-import-policy': 'reject-route',
          'export-policy-list': ['PEERDESK-EXPORT'],
          'default-export-policy': 'reject-route',
        },
      },
    });
    expect(cfg['defined-sets']).toEqual({
      'prefix-sets': [
        {
          'prefix-set-name': 'PL-OURS-V4',
          'prefix-list': [
            { 'ip-prefix': '192.0.2.0/24', 'masklength-range': '24..32' },
            { 'ip-prefix': '198.51.100.0/24' },
          ],
        },
      ],
      'neighbor-sets': [{ 'neighbor-set-name': 'NS-AS65001_Lab_FRR_v4', 'neighbor-info-list': ['127.0.12.1'] }],
    });
    const policies = cfg['policy-definitions'] as any[];
    expect(policies.map((p) => p.name)).toEqual(['PEERDESK-IMPORT', 'PEERDESK-EXPORT']);
    expect(policies[1].statements[0].actions).toEqual({
      'route-disposition': 'accept-route',
      'bgp-actions': {
        'set-community': { options: 'add', 'set-community-method': { 'communities-list': ['64496:100'] } },
      },
    });
    const [frr, v6] = cfg.neighbors as any[];
    expect(frr.config).toEqual({
      'neighbor-address': '127.0.12.1',
      'peer-as': 65001,
      description: 'AS65001 Lab "FRR" é',
      'auth-password': 's3cret',
    });
    expect(frr['afi-safis']).toEqual([
      {
        config: { 'afi-safi-name': 'ipv4-unicast' },
        'prefix-limit': { config: { 'max-prefixes': 100, 'shutdown-threshold-pct': 90 } },
      },
    ]);
    expect(v6.timers).toEqual({ config: { 'hold-time': 9, 'keepalive-interval': 3 } });
  });

  it('lists the neighbours with canonical addresses', () => {
    expect(gobgpNeighbors(cfg)).toEqual([
      { address: '127.0.12.1', peer_as: 65001, description: 'AS65001 Lab "FRR" é', peer_group: null },
      { address: '2001:db8::2', peer_as: 65002, description: null, peer_group: null },
    ]);
  });

  it('finds nothing wrong with it, and compares [global.config] whatever the key order', () => {
    expect(configProblems(cfg)).toEqual([]);
    const reordered = candidate.replace(
      '  as = 65003\n  router-id = "127.0.12.3"\n',
      '  router-id = "127.0.12.3"\n  as = 65003\n',
    );
    expect(reordered).not.toBe(candidate);
    expect(globalConfigKey(parseToml(reordered))).toBe(globalConfigKey(cfg));
    expect(globalConfigKey(parseToml(candidate.replace('port = 21_790', 'port = 179')))).not.toBe(globalConfigKey(cfg));
  });

  it('says which line it cannot read', () => {
    const bad = (text: string) => {
      try {
        parseToml(text);
        return 'parsed';
      } catch (e) {
        expect(e).toBeInstanceOf(GobgpConfigError);
        return (e as Error).message;
      }
    };
    expect(bad('[global.config]\n  as = 1\n  as = 2\n')).toBe(
      'line 3: trying to redefine an already defined table or value',
    );
    expect(bad('[global.config]\nas = "x\n')).toBe('line 2: control characters are not allowed in strings');
    expect(bad('[a]\nx = 1\n[a]\ny = 2\n')).toBe('line 3: trying to redefine an already defined table or value');
    expect(bad('x = 1979-05-27\n')).toBe('x: dates are not supported');
    expect(bad('x = [1, 2\n')).toBe('line 2: expected comma or end of structure');
    expect(bad('x = 1 y\n')).toBe('line 1: each key-value declaration must be followed by an end-of-line');
  });
});

describe('configProblems: what gobgpd -d does not check', () => {
  it('names dangling references, duplicates, and missing AS or router ID', () => {
    const broken = candidate
      .replace('prefix-set = "PL-OURS-V4"', 'prefix-set = "PL-MISSING"')
      .replace('export-policy-list = [\n    "PEERDESK-EXPORT",\n  ]', 'export-policy-list = ["NOPE"]')
      .replace('neighbor-address = "2001:DB8::0:2"', 'neighbor-address = "127.0.12.1"')
      .replace('  router-id = "127.0.12.3"\n', '');
    expect(configProblems(parseToml(broken))).toEqual([
      '[global.config] has no router-id (an IPv4 address; gobgpd does not start without one)',
      'policy PEERDESK-EXPORT: prefix-set PL-MISSING is not defined',
      '[global]: policy NOPE is not defined',
      'neighbor 127.0.12.1 is defined twice',
    ]);
    expect(
      configProblems(
        parseToml(
          '[global.config]\nas = 1\nrouter-id = "192.0.2.1"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "eth0"\n',
        ),
      ),
    ).toEqual(['neighbors[0]: neighbor-address "eth0" is not an IP address']);
    expect(
      configProblems(
        parseToml(
          '[global.config]\nas = 1\nrouter-id = "192.0.2.1"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "192.0.2.9"\npeer-group = "X"\n',
        ),
      ),
    ).toEqual(['neighbor 192.0.2.9: peer group X is not defined']);
    expect(() => checkCandidate(broken)).toThrow(/has no router-id.*PL-MISSING is not defined/);
  });
});

describe('deploy helpers', () => {
  it('diffs the file against the candidate, empty when only trailing blanks differ', () => {
    expect(configDiff(candidate, `${candidate.replace(/\n/g, '  \n')}\n\n`)).toBe('');
    const d = configDiff(candidate, candidate.replace('peer-as = 65002', 'peer-as = 65009'));
    expect(d.split('\n').filter((l) => /^[+-](?![+-]{2} )/.test(l))).toEqual([
      '-    peer-as = 65002',
      '+    peer-as = 65009',
    ]);
    expect(d.startsWith('--- running\n+++ candidate\n@@ ')).toBe(true);
  });

  it("takes the config file from the credentials, else the environment, else Debian's path", () => {
    const saved = process.env.PEERDESK_GOBGP_CONFIG_FILE;
    try {
      delete process.env.PEERDESK_GOBGP_CONFIG_FILE;
      expect(gobgpConfigFile(null)).toBe('/etc/gobgpd.conf');
      expect(gobgpConfigFile({ config_file: '/srv/gobgp/gobgpd.toml' })).toBe('/srv/gobgp/gobgpd.toml');
      expect(gobgpConfigFile({ config_file: '../x' })).toBe('/etc/gobgpd.conf');
      process.env.PEERDESK_GOBGP_CONFIG_FILE = '/etc/gobgp/gobgpd.toml';
      expect(gobgpConfigFile({})).toBe('/etc/gobgp/gobgpd.toml');
      process.env.PEERDESK_GOBGP_CONFIG_FILE = 'relative';
      expect(gobgpConfigFile({})).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.PEERDESK_GOBGP_CONFIG_FILE;
      else process.env.PEERDESK_GOBGP_CONFIG_FILE = saved;
    }
  });

  it('writes scripts that quote the file and restore it after the delay, each arm with its own files', () => {
    const files = { dir: '/tmp/p', key: revertKey('/etc/gobgpd.conf') };
    const s = revertScript(2.4, "/etc/it's.conf", files, '0123456789abcdef');
    const prev = `/tmp/p/previous-${files.key}-0123456789abcdef.conf`;
    // The timer registers its own pid, then restores its own previous file (gone when cancelled) under the lock.
    expect(s).toContain(
      `\necho "$$ 0123456789abcdef" > /tmp/p/revert-${files.key}.pid.0123456789abcdef && mv -f /tmp/p/revert-${files.key}.pid.0123456789abcdef /tmp/p/revert-${files.key}.pid\nsleep 2\npd_lock\n`,
    );
    expect(s).toContain(`if [ -f ${prev} ] && cat ${prev} > '/etc/it'\\''s.conf'; then pd_restored=1; fi`);
    expect(s).toContain(
      `if [ "$(cat /tmp/p/revert-${files.key}.pid 2>/dev/null)" = "$$ 0123456789abcdef" ]; then rm -f /tmp/p/revert-${files.key}.pid; fi\nrm -f ${prev} /tmp/p/revert-${files.key}-0123456789abcdef.sh\npd_unlock\n`,
    );
    expect(s).toContain(`pd_pid=$(pd_gobgpd_pid '/etc/it'\\''s.conf') && kill -HUP "$pd_pid"`);
    expect(() => revertScript(3, '/etc/gobgpd.conf', files, '../x')).toThrow('bad revert token');
    expect(installScript('/etc/gobgpd.conf')).toMatch(
      /pd_pid=\$\(pd_gobgpd_pid \/etc\/gobgpd.conf\) \|\| \{.*exit 3; \}\ncat > \/etc\/gobgpd.conf \|\| exit 4\nkill -HUP "\$pd_pid"\n$/,
    );
    // A commit's install writes only while its own timer is armed and has not fired, under the same lock.
    expect(installScript('/etc/gobgpd.conf', { files, token: '0123456789abcdef' })).toMatch(
      new RegExp(
        `pd_lock \\|\\| .*\nif pd_a=\\$\\(pd_armed\\) && \\[ "\\$\\{pd_a#\\* \\}" = 0123456789abcdef \\] && \\[ -f ${prev} \\]; then :; else\n.*\n  exit 6\nfi\ncat > /etc/gobgpd.conf \\|\\| exit 4\npd_unlock\nkill -HUP "\\$pd_pid"\n$`,
      ),
    );
    expect(revertKey('/etc/gobgpd.conf')).toMatch(/^[0-9a-f]{16}$/);
    expect(revertKey('/etc/gobgpd.conf')).not.toBe(revertKey('/etc/gobgpd2.conf'));
  });

  it('reads the error of gobgpd -d and knows which hosts are this machine', () => {
    expect(
      checkMessage(
        `{"Error":"1 error(s) decoding:\\n\\n* 'neighbors[0]' has invalid keys: bogus","Topic":"Config","level":"fatal","msg":"Can't read config file x"}\n`,
      ),
    ).toBe("'neighbors[0]' has invalid keys: bogus");
    expect([
      isLocalHost('127.0.12.3'),
      isLocalHost('[::1]'),
      isLocalHost('localhost'),
      isLocalHost('192.0.2.77'),
      isLocalHost('router.example.net'),
    ]).toEqual([true, true, true, false, false]);
  });

  it('redacts MD5 passwords and counts prefix-set entries (for the deploy guards)', () => {
    expect(redactTomlSecrets(candidate)).toContain('    auth-password = "<redacted>"\n');
    expect(redactTomlSecrets(candidate)).not.toContain('s3cret');
    expect(redactTomlSecrets(`+    auth-password = "a\\"b # c"\n-  auth-password='x'\n`)).toBe(
      `+    auth-password = "<redacted>"\n-  auth-password="<redacted>"\n`,
    );
    expect(gobgpPrefixSetSizes(candidate)).toEqual(new Map([['PL-OURS-V4', 2]]));
    expect(gobgpPrefixSetSizes('not [toml')).toEqual(new Map());
  });
});
