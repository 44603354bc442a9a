// Every job kind, by name: each domain exports its list from a *.jobs.ts module, loaded on first use.
import type { JobDefinition } from './job.types.ts';

const modules: (() => Promise<{ jobs: JobDefinition[] }>)[] = [
  () => import('./builtin.jobs.ts'),
  ...[
    '../peeringdb/peeringdb.jobs.ts',
    '../irr/irr.jobs.ts',
    '../templates/templates.jobs.ts',
    '../polling/polling.jobs.ts',
    '../email/email.jobs.ts',
    '../deploy/deploy.jobs.ts',
  ].map(
    (path) => () =>
      (import(path) as Promise<{ jobs: JobDefinition[] }>).catch((err) =>
        err?.code === 'ERR_MODULE_NOT_FOUND' ? { jobs: [] } : Promise.reject(err),
      ),
  ),
];

let cache: Map<string, JobDefinition> | null = null;

async function load(): Promise<Map<string, JobDefinition>> {
  if (cache) return cache;
  const map = new Map<string, JobDefinition>();
  for (const m of modules) for (const def of (await m()).jobs) map.set(def.kind, def);
  cache = map;
  return map;
}

/** The definition of a job kind, or undefined. */
export async function jobDefinition(kind: string): Promise<JobDefinition | undefined> {
  return (await load()).get(kind);
}

/** Names of every known job kind. */
export async function jobKinds(): Promise<string[]> {
  return [...(await load()).keys()].sort();
}

/** Every job definition (for docs and the CLI). */
export async function allJobDefinitions(): Promise<JobDefinition[]> {
  return [...(await load()).values()];
}
