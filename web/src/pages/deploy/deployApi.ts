// The deploy pages' API calls and small helpers: router deploy, Config Manager, rollouts (list, one,
// create), a router's last deployments, field errors for forms and times to come ("in 59 min").
import { api, ApiError, unwrap, type Row } from '../../api/client';
import type { Started } from '../DeployPages';

// Rollout listing and scheduled deploys (`run_at`) are newer than some generated clients: these calls
// go through the same client (CSRF, 401 handling) untyped.
const raw = api as unknown as {
  GET(path: string, init?: Row): Promise<{ data?: unknown; error?: unknown; response: Response }>;
  POST(path: string, init?: Row): Promise<{ data?: unknown; error?: unknown; response: Response }>;
};

/** The body of a router deploy. */
export interface DeployBody {
  dry_run: boolean;
  force?: boolean;
  confirm_timeout?: number;
  run_at?: string;
}

/** The Config Manager's body (the configure body with its one-time fields). */
export interface ConfigManagerBody extends DeployBody {
  candidate?: string;
  commands_before?: string[];
  commands_after?: string[];
  credentials?: { username?: string; password?: string; ssh_private_key?: string; ssh_passphrase?: string };
}

/** Starts a deploy (or its dry run) of a router's rendered configuration. */
export async function startRouterDeploy(routerId: number, body: DeployBody): Promise<Started> {
  return unwrap(await raw.POST('/api/routers/{id}/deploy/', { params: { path: { id: routerId } }, body })) as Started;
}

/** Starts a Config Manager deployment of a session's router (or its dry run). */
export async function startConfigManager(sessionId: number, body: ConfigManagerBody): Promise<Started> {
  return unwrap(
    await raw.POST('/api/peering-sessions/{id}/config-manager/', { params: { path: { id: sessionId } }, body }),
  ) as Started;
}

/** Cancels a deployment that has not started (the proposer or an admin); answers the deployment. */
export async function cancelDeployment(id: number, body: { reason?: string }): Promise<Row> {
  return unwrap(await raw.POST('/api/deployments/{id}/cancel/', { params: { path: { id } }, body })) as Row;
}

/** Cancels a scheduled rollout and its deployments (its creator or an admin); answers the rollout. */
export async function cancelRollout(id: number, body: { reason?: string }): Promise<Row> {
  return unwrap(await raw.POST('/api/rollouts/{id}/cancel/', { params: { path: { id } }, body })) as Row;
}

/** A router's newest deployments. */
export async function routerDeployments(routerId: number, limit: number): Promise<{ count: number; results: Row[] }> {
  return unwrap(await raw.GET('/api/deployments/', { params: { query: { router: routerId, limit, offset: 0 } } })) as {
    count: number;
    results: Row[];
  };
}

export const ROLLOUT_STATUSES = ['scheduled', 'running', 'done', 'stopped', 'failed'] as const;

/** The body of POST /api/rollouts/. */
export interface RolloutBody {
  session_ids?: number[];
  router_ids?: number[];
  at?: string;
  canary?: boolean;
  dry_run?: boolean;
  force?: boolean;
  confirm_timeout?: number;
}

export async function createRollout(body: RolloutBody): Promise<{ rollout: Row; job_id: number }> {
  return unwrap(await raw.POST('/api/rollouts/', { body })) as { rollout: Row; job_id: number };
}

export async function listRollouts(query: {
  status?: string;
  limit: number;
  offset: number;
}): Promise<{ count: number; results: Row[] }> {
  return unwrap(await raw.GET('/api/rollouts/', { params: { query } })) as { count: number; results: Row[] };
}

export async function getRollout(id: number): Promise<Row> {
  return unwrap(await raw.GET('/api/rollouts/{id}/', { params: { path: { id } } })) as Row;
}

/** Renders a router's own template (else its platform's shipped one) over its inventory: the text a deploy starts from. */
export async function renderRouter(router: Row): Promise<{ content: string; template: Row }> {
  const template = router.config_template?.id ?? (router.platform?.driver ? `${router.platform.driver}.j2` : null);
  if (template === null)
    throw new Error(`${router.name} has no config template and no platform driver: nothing to render`);
  return unwrap(await raw.POST('/api/render-config/', { body: { template, router: router.id } })) as {
    content: string;
    template: Row;
  };
}

/**
 * An API error split for a form: the messages of the fields the form shows (by the first segment of
 * the dotted path; a list item's index is told as its line), and the rest (no field, or one the form
 * does not show) for the box above it.
 */
export function formErrors(error: unknown, shown: string[]): { byField: Record<string, string>; rest: unknown } {
  if (!(error instanceof ApiError)) return { byField: {}, rest: error };
  const byField: Record<string, string> = {};
  const other = [];
  for (const f of error.fields) {
    const [head, ...tail] = f.field.split('.');
    if (!head || !shown.includes(head)) {
      other.push(f);
      continue;
    }
    const where = tail.length ? (/^\d+$/.test(tail[0]!) ? `line ${Number(tail[0]) + 1}: ` : `${tail.join('.')}: `) : '';
    byField[head] = byField[head] ? `${byField[head]}; ${where}${f.message}` : `${where}${f.message}`;
  }
  if (error.fields.length && !other.length) return { byField, rest: null };
  const rest = Object.assign(Object.create(Object.getPrototypeOf(error)), error, { fields: other });
  return { byField, rest };
}

/** "in 59 min", "in 2 h 5 min", or "now" for a time that has come. */
export function untilText(iso: string | null | undefined): string {
  if (!iso) return '';
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `in ${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `in ${Math.floor(h / 24)} d ${h % 24} h`;
}

/** The value of a datetime-local input for a time (local clock, minutes). */
export function localInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value as ISO 8601 (UTC), or null when it is empty or not a time. */
export function isoOfLocal(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Lines of a one-command-per-line text area, without the empty ones. */
export const commandLines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
