// Export to git: each applied deployment's rendered configuration (secrets redacted) is written to
// `<router>.conf` in the repository PEERDESK_DEPLOY_GIT_DIR (created with `git init` when missing) and
// committed with the deployment as the commit message. The system `git`, run with execFile (no shell).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentRow } from './deploy.service.ts';

function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', dir, ...args],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`git ${args[0]}: ${(stderr || err.message).trim()}`)) : resolve(stdout),
    );
  });
}

/** The file name a router's configuration gets (its name, with anything unsafe replaced). */
export function configFileName(router: string): string {
  return `${router.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || 'router'}.conf`;
}

/** Commits the deployment's candidate; returns the commit id (the previous one when nothing changed). */
export async function exportToGit(dir: string, d: DeploymentRow): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (!existsSync(join(dir, '.git'))) await git(dir, ['init', '-q']);
  const file = configFileName(String(d.router_name));
  await writeFile(join(dir, file), String(d.candidate ?? ''));
  await git(dir, ['add', '--', file]);
  const message = [
    `Deploy ${d.router_name}: deployment #${d.id}`,
    '',
    `Template: ${d.template_name ?? '?'} v${d.template_version ?? '?'}; data generation ${d.data_generation ?? '?'}`,
    `Proposed by: ${d.proposed_by_name ?? '?'}${d.reviewed_by_name ? `; approved by ${d.reviewed_by_name}` : ''}`,
    `Status: ${d.status}${d.reason ? ` (${d.reason})` : ''}`,
  ].join('\n');
  await git(dir, [
    '-c',
    'user.name=Peerdesk',
    '-c',
    'user.email=peerdesk@localhost',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    message,
  ]);
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}
