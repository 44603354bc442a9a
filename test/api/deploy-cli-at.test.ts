// `peerdesk deploy ROUTER --at ISO` (src/cli/deploy.ts) in a child process against the Junos NETCONF test
// router: the deployment is scheduled (its job queued for that time, nothing touches the router) and
// the command exits 0; a past or too distant --at exits 1 naming it and creates nothing.
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { deployCliRig } from '../support/deploy-cli-rig.ts';

describe.each(engines())('peerdesk deploy on %s', (engine) => {
  const rig = deployCliRig(engine, {
    dirPrefix: 'pd-deploy-cli-at-',
    templateName: 'cli-at-policy',
    prefixList: 'CLI-AT',
  });

  it('--at schedules the deployment for a worker; a bad window exits 1 and creates nothing', async () => {
    const at = new Date(Date.now() + 2 * 3600_000);
    at.setMilliseconds(0);
    const r = await rig.run('deploy', 'mx1', '--at', at.toISOString());
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toBe(`deployment #1 mx1: planned (scheduled for ${at.toISOString()})\n`);
    const d = await rig.db.selectFrom('deployments').selectAll().executeTakeFirstOrThrow();
    const job = await rig.db.selectFrom('jobs').selectAll().where('id', '=', d.job_id).executeTakeFirstOrThrow();
    expect([d.status, d.run_at, d.proposed_by_name, job.kind, job.status, job.run_after]).toEqual([
      'planned',
      at.toISOString(),
      'cli',
      'deploy.run',
      'queued',
      at.toISOString(),
    ]);
    expect(rig.server.runningText()).not.toContain('prefix-list CLI-AT');

    const json = await rig.run('deploy', 'mx1', '--dry-run', '--at', at.toISOString(), '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 2,
      status: 'planned',
      dry_run: true,
      run_at: at.toISOString(),
      job_id: expect.any(Number),
    });

    const past = await rig.run('deploy', 'mx1', '--at', new Date(Date.now() - 60_000).toISOString());
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^--at: must be in the future/m);
    const far = await rig.run('deploy', 'mx1', '--at', new Date(Date.now() + 40 * 86_400_000).toISOString());
    expect([far.code, far.stderr.trim()]).toEqual([1, '--at: at most 30 days ahead']);
    const junk = await rig.run('deploy', 'mx1', '--at', 'next tuesday');
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/^--at: not a date and time/m);
    expect((await rig.db.selectFrom('deployments').select('id').execute()).length).toBe(2);
  }, 180_000);
});
