// `peerdesk deploy ROUTER` (src/cli/deploy.ts) in a child process against the Junos NETCONF test router:
// a dry run prints the diff and commits nothing; a real run ends `done`; an unknown router exits 1.
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { deployCliRig } from '../support/deploy-cli-rig.ts';

describe.each(engines())('peerdesk deploy on %s', (engine) => {
  const rig = deployCliRig(engine, { dirPrefix: 'pd-deploy-cli-', templateName: 'cli-policy', prefixList: 'CLI' });

  it('dry run prints the diff and commits nothing; a real run is done; an unknown router fails', async () => {
    const dry = await rig.run('deploy', 'mx1', '--dry-run');
    expect(dry.code, `${dry.stdout}\n${dry.stderr}`).toBe(0);
    expect(dry.stdout).toContain('+ 192.0.2.0/24;');
    expect(dry.stdout).toMatch(/^deployment #1 mx1: done \(dry run: diff computed, nothing applied\)$/m);
    expect(rig.server.runningText()).not.toContain('prefix-list CLI');

    const real = await rig.run('deploy', 'mx1', '--confirm-timeout', '120', '--json');
    expect(real.code, real.stderr).toBe(0);
    const d = JSON.parse(real.stdout);
    expect([d.id, d.status, d.reason, d.proposed_by, d.confirm_timeout]).toEqual([
      2,
      'done',
      'applied and confirmed',
      'cli',
      120,
    ]);
    expect(rig.server.runningText()).toContain('192.0.2.0/24;');

    const bad = await rig.run('deploy', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no router named nope');
    const badTimeout = await rig.run('deploy', 'mx1', '--confirm-timeout', '5');
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain('--confirm-timeout must be a whole number of seconds from 30 to 3600');
  }, 180_000);
});
