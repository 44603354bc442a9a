// The deploy pages' API calls and small helpers: router deploy, Config Manager, rollouts (list, one,
// create), a router's last deployments, field errors for forms and times to come ("in 59 min").
import { api, ApiError, unwrap, type FieldError, type Page, type paths, type Schemas } from '../../api/client';
import type { RolloutStatus } from '../../api/enums';

/** A started deployment (or dry run) as the API answers it: the deployment and its job. */
export type Started = Schemas['DeploymentStarted'];

/** The body of a router deploy. */
export type DeployBody = paths['/api/routers/{id}/deploy/']['post']['requestBody']['content']['application/json'];

/** The Config Manager's body (the configure body with its one-time fields). */
export type ConfigManagerBody =
  paths['/api/peering-sessions/{id}/config-manager/']['post']['requestBody']['content']['application/json'];

/** The body of POST /api/rollouts/. */
export type RolloutBody = paths['/api/rollouts/']['post']['requestBody']['content']['application/json'];

/** Starts a deploy (or its dry run) of a router's rendered configuration. */
export async function startRouterDeploy(routerId: number, body: DeployBody): Promise<Started> {
  return unwrap(await api.POST('/api/routers/{id}/deploy/', { params: { path: { id: routerId } }, body }));
}

/** Starts a Config Manager deployment of a session's router (or its dry run). */
export async function startConfigManager(sessionId: number, body: ConfigManagerBody): Promise<Started> {
  return unwrap(
    await api.POST('/api/peering-sessions/{id}/config-manager/', { params: { path: { id: sessionId } }, body }),
  );
}

/** Cancels a deployment that has not started (the proposer or an admin); answers the deployment. */
export async function cancelDeployment(id: number, body: { reason?: string }): Promise<Schemas['DeploymentDetail']> {
  return unwrap(await api.POST('/api/deployments/{id}/cancel/', { params: { path: { id } }, body }));
}

/** Cancels a scheduled rollout and its deployments (its creator or an admin); answers the rollout. */
export async function cancelRollout(id: number, body: { reason?: string }): Promise<Schemas['Rollout']> {
  return unwrap(await api.POST('/api/rollouts/{id}/cancel/', { params: { path: { id } }, body }));
}

/** A router's newest deployments. */
export async function routerDeployments(routerId: number, limit: number): Promise<Page<Schemas['Deployment']>> {
  return unwrap(await api.GET('/api/deployments/', { params: { query: { router: routerId, limit, offset: 0 } } }));
}

export async function createRollout(body: RolloutBody): Promise<{ rollout: Schemas['Rollout']; job_id: number }> {
  return unwrap(await api.POST('/api/rollouts/', { body }));
}

export async function listRollouts(query: {
  status?: RolloutStatus;
  limit: number;
  offset: number;
}): Promise<Page<Schemas['Rollout']>> {
  return unwrap(await api.GET('/api/rollouts/', { params: { query } }));
}

export async function getRollout(id: number): Promise<Schemas['Rollout']> {
  return unwrap(await api.GET('/api/rollouts/{id}/', { params: { path: { id } } }));
}

/** What POST /api/render-config/ answers: the rendered text and the template it came from. */
export type Rendered = paths['/api/render-config/']['post']['responses'][200]['content']['application/json'];

/** Renders a router's own template (else its platform's shipped one) over its inventory: the text a deploy starts from. */
export async function renderRouter(router: Schemas['Router']): Promise<Rendered> {
  const template = router.config_template?.id ?? (router.platform?.driver ? `${router.platform.driver}.j2` : null);
  if (template === null)
    throw new Error(`${router.name} has no config template and no platform driver: nothing to render`);
  return unwrap(await api.POST('/api/render-config/', { body: { template, router: router.id } }));
}

/**
 * An API error split for a form: the messages of the fields the form shows (by the first segment of
 * the dotted path; a list item's index is told as its line), and the rest (no field, or one the form
 * does not show) for the box above it.
 */
export function formErrors(error: unknown, shown: string[]): { byField: Record<string, string>; rest: unknown } {
  if (!(error instanceof ApiError)) return { byField: {}, rest: error };
  const byField: Record<string, string> = {};
  const other: FieldError[] = [];
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
  const rest: ApiError = Object.assign(Object.create(Object.getPrototypeOf(error)), error, { fields: other });
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
