// Deployments: push a router's rendered configuration safely. The pipeline (one `deploy.run` job):
// lock the router → render (its template) → open the driver → refuse when a confirmed commit is
// already pending → load the candidate and take the diff (a dry run stops here; an empty diff commits
// nothing) → guards (sessions removed, prefix lists shrunk) → commit with confirmation → health gate
// (router reachable, untouched sessions still up, added sessions Established) → confirm, or roll back
// and say which check failed. Every step is written to the deployment's log and the job's log.
// Change review: with PEERDESK_DEPLOY_REVIEW=1 a deployment that would change a router waits
// (status `planned`) until an admin who did not propose it approves it.
import { sql, type Selectable } from 'kysely';
import { now, generationOf, isUniqueViolation, type Db, type Executor } from '../platform/db.ts';
import type { SecretBox } from '../platform/crypto.ts';
import type { DeploymentsTable } from '../platform/db.types.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../platform/errors.ts';
import { parseIp } from '../platform/ip.ts';
import type { DriverSession, PeerState, RouterCredentials } from '../drivers/driver.types.ts';
import { dropCredentials, holdCredentials, takeCredentials } from './one-time-credentials.ts';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { buildRenderContext, loadTemplate, renderConfig, renderTemplate } from '../templates/render.service.ts';
import { errorText, loadRouters, lookupDriver, openSession, unreachableReason } from '../polling/router-access.ts';

export const DEPLOYMENT_STATUSES = [
  'planned',
  'approved',
  'applying',
  'confirming',
  'done',
  'rolled_back',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
const FINAL: DeploymentStatus[] = ['done', 'rolled_back', 'failed', 'rejected', 'cancelled'];

/** Merge (only the stanza Peerdesk owns) or replace, per platform driver. */
export const DEPLOY_MODE: Record<string, 'merge' | 'replace'> = {
  frr: 'replace',
  bird2: 'replace',
  gobgp: 'replace',
  junos: 'merge',
  eos: 'merge',
  iosxr: 'merge',
};

function envInt(name: string, def: number, min: number, max: number): number {
  const n = Number(process.env[name] ?? def);
  return Number.isInteger(n) && n >= min && n <= max ? n : def;
}

/** The deploy settings (read at each use, so tests and operators can change them without restart). */
export function deploySettings() {
  return {
    review: process.env.PEERDESK_DEPLOY_REVIEW === '1',
    maxSessionRemovals: envInt('PEERDESK_DEPLOY_MAX_SESSION_REMOVALS', 3, 0, 1_000_000),
    maxPrefixShrinkPct: envInt('PEERDESK_DEPLOY_MAX_PREFIX_SHRINK_PCT', 50, 0, 100),
    healthTimeoutS: envInt('PEERDESK_DEPLOY_HEALTH_TIMEOUT_S', 90, 1, 3600),
    confirmTimeoutS: envInt('PEERDESK_DEPLOY_CONFIRM_TIMEOUT_S', 300, 30, 3600),
    gitDir: process.env.PEERDESK_DEPLOY_GIT_DIR?.trim() || null,
  };
}

// Values after these keywords are secrets (FRR/EOS/IOS `password X`, Junos `authentication-key "X"`,
// BIRD `password "X"`, `secret`, `key`): they never reach the stored candidate, diff, log or git.
const SECRET =
  /\b(password|secret|authentication-key|auth-key|md5|key)(\s*=\s*|\s+(?:\d\s+)?)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\S+)/gi;

/** Replaces secret values in configuration text with <redacted>. */
export function redactSecrets(text: string): string {
  return text.replace(
    SECRET,
    (_m, kw: string, sp: string, v: string) => `${kw}${sp}${/^["']/.test(v) ? '"<redacted>"' : '<redacted>'}`,
  );
}

/** Every IP address (canonical text) written in a configuration text. */
export function ipsIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /(?<![\w:.])((?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:.])/g,
  )) {
    const ip = parseIp(m[1]!);
    if (ip) out.add(ip.text);
  }
  return out;
}

/** Entries per prefix list (`… prefix-list NAME … permit|deny …` lines, FRR / EOS / IOS style). */
export function prefixListSizes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\s*(?:ip|ipv6)?\s*prefix-list\s+(\S+)\s.*\b(?:permit|deny)\b/gm))
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  return out;
}

/** Lines a unified diff adds (`+`) or removes (`-`), without the file headers. */
function changedLines(diff: string, sign: '+' | '-'): string {
  return diff
    .split('\n')
    .filter((l) => l.startsWith(sign) && !l.startsWith(`${sign}${sign}${sign} `))
    .join('\n');
}

/**
 * Why the guards refuse a change (null: allowed): it removes more than N sessions (neighbours on the
 * router whose address is on a removed line of the diff and nowhere in the candidate), or it shrinks a
 * prefix list by more than P % (merge: only the lists the candidate writes; replace: every list).
 */
export function guardViolation(
  before: PeerState[],
  running: string,
  candidate: string,
  diff: string,
  mode: 'merge' | 'replace',
  limits: { maxSessionRemovals: number; maxPrefixShrinkPct: number },
  sizes: (config: string) => Map<string, number> = prefixListSizes,
): { check: string; reason: string } | null {
  const kept = ipsIn(candidate);
  const gone = ipsIn(changedLines(diff, '-'));
  const removed = before.filter((n) => gone.has(n.peer_ip) && !kept.has(n.peer_ip));
  if (removed.length > limits.maxSessionRemovals) {
    return {
      check: 'sessions_removed',
      reason: `the change removes ${removed.length} BGP sessions (${removed
        .slice(0, 10)
        .map((n) => n.peer_ip)
        .join(', ')}${removed.length > 10 ? ', …' : ''}); at most ${limits.maxSessionRemovals} without force`,
    };
  }
  const was = sizes(running);
  const will = sizes(candidate);
  for (const [name, n] of was) {
    if (mode === 'merge' && !will.has(name)) continue;
    const m = will.get(name) ?? 0;
    if (n > 0 && ((n - m) * 100) / n > limits.maxPrefixShrinkPct) {
      return {
        check: 'prefix_list_shrink',
        reason: `prefix list ${name} shrinks from ${n} to ${m} entries (${Math.round(((n - m) * 100) / n)}%); at most ${limits.maxPrefixShrinkPct}% without force`,
      };
    }
  }
  return null;
}

/** The peers a diff touches (IPs on its added or removed lines). */
export function touchedIps(diff: string): Set<string> {
  return ipsIn(`${changedLines(diff, '+')}\n${changedLines(diff, '-')}`);
}

type StoredDeployment = Selectable<DeploymentsTable> & { router_name: string };
/** A deployment row as stored, with its router's name. */
export type DeploymentRow = Omit<StoredDeployment, 'status'> & { status: DeploymentStatus };
/** The columns the deployment list reads (its `diff` only says whether there are changes: null, '' or 'x'). */
export type DeploymentListRow = Omit<
  StoredDeployment,
  'candidate' | 'log' | 'updated_at' | 'proposed_by' | 'reviewed_by' | 'rollout_order'
>;

const bool = (v: unknown) => v === true || v === 1 || v === '1';

function presentBase(r: DeploymentListRow) {
  return {
    id: Number(r.id),
    router: { id: Number(r.router_id), name: String(r.router_name ?? '') },
    template: r.template_name
      ? {
          id: r.template_id === null || r.template_id === undefined ? null : Number(r.template_id),
          name: String(r.template_name),
          version: r.template_version === null || r.template_version === undefined ? null : Number(r.template_version),
        }
      : null,
    data_generation: r.data_generation ?? null,
    dry_run: bool(r.dry_run),
    force: bool(r.force),
    confirm_timeout: Number(r.confirm_timeout),
    mode: (r.mode ?? null) as 'merge' | 'replace' | null,
    status: r.status as DeploymentStatus,
    reason: r.reason ?? null,
    failed_check: r.failed_check ?? null,
    committed: bool(r.committed),
    needs_approval: bool(r.needs_approval),
    proposed_by: r.proposed_by_name ?? null,
    reviewed_by: r.reviewed_by_name ?? null,
    review_comment: r.review_comment ?? null,
    reviewed_at: r.reviewed_at ?? null,
    job_id: r.job_id === null || r.job_id === undefined ? null : Number(r.job_id),
    git_commit: r.git_commit ?? null,
    has_changes: typeof r.diff === 'string' ? r.diff.length > 0 : null,
    action: (r.action ?? 'deploy') as 'deploy' | 'configure' | 'deconfigure',
    session:
      r.session_id === null || r.session_id === undefined
        ? null
        : { id: Number(r.session_id), name: r.session_repr ?? null },
    rollout_id: r.rollout_id === null || r.rollout_id === undefined ? null : Number(r.rollout_id),
    edited: !!r.overrides_enc,
    one_time_credentials: bool(r.one_time_credentials),
    created_at: String(r.created_at),
    started_at: r.started_at ?? null,
    finished_at: r.finished_at ?? null,
    run_at: r.run_at ?? null,
  };
}
/** The API shape of a deployment in a list. */
export type DeploymentView = ReturnType<typeof presentBase>;
/** The API shape of one deployment: with candidate, diff and log. */
export type DeploymentDetailView = DeploymentView & { candidate: string | null; diff: string | null; log: string };

/** The API shape of a deployment (`full`: with candidate, diff and log). */
export function presentDeployment(r: DeploymentListRow, full: false): DeploymentView;
export function presentDeployment(r: DeploymentRow, full: true): DeploymentDetailView;
export function presentDeployment(
  r: DeploymentListRow & Partial<Pick<DeploymentRow, 'candidate' | 'log'>>,
  full: boolean,
): DeploymentView | DeploymentDetailView {
  const base = presentBase(r);
  if (!full) return base;
  return { ...base, candidate: r.candidate ?? null, diff: r.diff ?? null, log: String(r.log ?? '') };
}

/** Loads one deployment with its router's name. */
export async function loadDeployment(db: Executor, id: number): Promise<DeploymentRow> {
  const r = await db
    .selectFrom('deployments as d')
    .innerJoin('routers as r', 'r.id', 'd.router_id')
    .selectAll('d')
    .select('r.name as router_name')
    .where('d.id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFoundError('deployment', id);
  // The service writes the status column, always one of DEPLOYMENT_STATUSES.
  return { ...r, status: r.status as DeploymentStatus };
}

/** Appends a (redacted) line to a deployment's log. */
export async function deploymentLog(db: Executor, id: number, message: string, level = 'info'): Promise<void> {
  const line = `${new Date().toISOString()} ${level} ${redactSecrets(message)}\n`;
  await db
    .updateTable('deployments')
    .set({ log: sql`log || ${line}`, updated_at: now() })
    .where('id', '=', id)
    .execute();
}

async function setStatus(
  db: Executor,
  id: number,
  status: DeploymentStatus,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const t = now();
  await db
    .updateTable('deployments')
    .set({ status, updated_at: t, ...(FINAL.includes(status) ? { finished_at: t } : {}), ...extra })
    .where('id', '=', id)
    .execute();
}

export interface Proposer {
  userId: number | null;
  username: string;
  role: 'viewer' | 'operator' | 'admin';
}

/**
 * Creates a deployment for a router and queues its job, or leaves it `planned` for review. Role rule:
 * operators and admins may deploy; with PEERDESK_DEPLOY_REVIEW=1 every deployment that is not a dry
 * run waits for an admin other than its proposer (operators can then only propose). Dry runs never wait.
 */
export async function proposeDeployment(
  db: Db,
  routerId: number,
  input: DeploymentInput,
  who: Proposer,
  opts: { secrets?: SecretBox; enqueue?: boolean; executor?: Executor } = {},
): Promise<{ deployment: DeploymentRow; jobId: number | null }> {
  const [router] = await loadRouters(opts.executor ?? db, [routerId]);
  if (!router) throw new NotFoundError('router', routerId);
  const driver = await lookupDriver(router.driver);
  const why = unreachableReason(router, driver, 'config');
  if (why) throw new ValidationError('router', `cannot deploy to ${router.name}: ${why}`);
  const settings = deploySettings();
  const needsApproval = settings.review && !input.dry_run && !input.rollout_id;
  const overrides = overridesOf(input);
  if (input.credentials && needsApproval)
    throw new ValidationError(
      'credentials',
      'one-time credentials cannot wait for approval (PEERDESK_DEPLOY_REVIEW=1): they are held in memory only; store the credentials on the router or deploy without review',
    );
  if (input.credentials && opts.enqueue === false)
    throw new ValidationError('credentials', 'one-time credentials are for a single deployment');
  if ((overrides || input.credentials) && !opts.secrets)
    throw new ValidationError('candidate', 'no secret key to protect the edited candidate or commands');
  const runAt = input.run_at === undefined || input.run_at === null ? null : checkRunAt(input.run_at);
  if (runAt && input.rollout_id) throw new ValidationError('run_at', 'a rollout deployment runs when its rollout does');
  const t = now();
  let heldFor: number | null = null;
  const work = async (tx: Executor) => {
    const row = await tx
      .insertInto('deployments')
      .values({
        router_id: routerId,
        dry_run: input.dry_run,
        force: !!input.force,
        confirm_timeout: input.confirm_timeout ?? settings.confirmTimeoutS,
        mode: DEPLOY_MODE[router.driver ?? ''] ?? 'merge',
        status: 'planned',
        needs_approval: needsApproval,
        proposed_by: who.userId,
        proposed_by_name: who.username,
        action: input.action ?? 'deploy',
        session_id: input.session_id ?? null,
        session_repr: input.session_repr ?? null,
        rollout_id: input.rollout_id ?? null,
        rollout_order: input.rollout_order ?? null,
        overrides_enc: overrides ? opts.secrets!.encrypt(JSON.stringify(overrides)) : null,
        one_time_credentials: !!input.credentials,
        run_at: runAt ? runAt.toISOString() : null,
        log: '',
        created_at: t,
        updated_at: t,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    let jobId: number | null = null;
    if (!needsApproval && opts.enqueue !== false) {
      jobId = await enqueueJob(
        tx,
        'deploy.run',
        { deployment_id: id },
        { userId: who.userId, runAfter: runAt ?? undefined },
      );
      await tx.updateTable('deployments').set({ job_id: jobId }).where('id', '=', id).execute();
      // Held before the transaction commits, so the in-process worker cannot claim the job without them.
      if (input.credentials) holdCredentials((heldFor = jobId), input.credentials);
    }
    const what =
      input.action === 'deconfigure'
        ? `removal of session ${input.session_repr ?? input.session_id} from the router`
        : input.action === 'configure'
          ? `configure of session ${input.session_repr ?? input.session_id}`
          : 'deployment';
    const extras = [
      overrides?.candidate !== undefined ? 'edited candidate' : '',
      overrides?.commands_before?.length ? `${overrides.commands_before.length} commands before` : '',
      overrides?.commands_after?.length ? `${overrides.commands_after.length} commands after` : '',
      input.credentials ? 'one-time credentials (held in memory only)' : '',
    ].filter(Boolean);
    await deploymentLog(
      tx,
      id,
      `${input.dry_run ? 'dry run' : what} proposed by ${who.username}${extras.length ? ` with ${extras.join(', ')}` : ''}${runAt ? `; scheduled for ${runAt.toISOString()}` : ''}${needsApproval ? '; waiting for approval (PEERDESK_DEPLOY_REVIEW=1)' : ''}`,
    );
    return { deployment: await loadDeployment(tx, id), jobId };
  };
  try {
    return opts.executor ? await work(opts.executor) : await db.transaction().execute(work);
  } catch (e) {
    if (heldFor !== null) dropCredentials(heldFor);
    throw e;
  }
}

/** What a deployment is asked to do beyond the router deploy (session actions, Config Manager, rollouts). */
export interface DeploymentInput {
  dry_run: boolean;
  force?: boolean;
  confirm_timeout?: number;
  action?: 'deploy' | 'configure' | 'deconfigure';
  session_id?: number;
  session_repr?: string;
  rollout_id?: number;
  rollout_order?: number;
  /** Config Manager: an edited candidate replacing the rendered one. */
  candidate?: string;
  /** Config Manager: configuration lines put before / after the candidate (every platform's own syntax). */
  commands_before?: string[];
  commands_after?: string[];
  /** Config Manager: credentials for this deployment only, over the stored ones; held in memory, never stored. */
  credentials?: RouterCredentials;
  /** Scheduled window: run at this time (ISO 8601, in the future, at most RUN_AT_MAX_DAYS ahead); absent = as soon as possible. */
  run_at?: string | null;
}

/** How far ahead a single deployment may be scheduled. */
export const RUN_AT_MAX_DAYS = 30;

/** Parses a deployment's `run_at`: a date-time in the future, at most RUN_AT_MAX_DAYS ahead (else 400 naming run_at). */
export function checkRunAt(value: string, at = Date.now()): Date {
  const d = new Date(value);
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime()))
    throw new ValidationError('run_at', 'not a date and time (ISO 8601, e.g. 2030-01-31T22:00:00Z)');
  if (d.getTime() <= at)
    throw new ValidationError('run_at', `must be in the future (it is ${new Date(at).toISOString()} now)`);
  if (d.getTime() > at + RUN_AT_MAX_DAYS * 86_400_000)
    throw new ValidationError('run_at', `at most ${RUN_AT_MAX_DAYS} days ahead`);
  return d;
}

interface Overrides {
  candidate?: string;
  commands_before?: string[];
  commands_after?: string[];
}

function overridesOf(input: DeploymentInput): Overrides | null {
  if (input.candidate !== undefined && /<redacted>/.test(input.candidate))
    throw new ValidationError(
      'candidate',
      'the candidate still holds "<redacted>" placeholders: write the secrets, or remove those lines',
    );
  const o: Overrides = {};
  if (input.candidate !== undefined) o.candidate = input.candidate;
  if (input.commands_before?.length) o.commands_before = input.commands_before;
  if (input.commands_after?.length) o.commands_after = input.commands_after;
  return Object.keys(o).length ? o : null;
}

/** The candidate the Config Manager sends: the edited (or rendered) text between the one-time commands. */
export function withCommands(candidate: string, before: string[] = [], after: string[] = []): string {
  const body = candidate.endsWith('\n') || !candidate ? candidate : `${candidate}\n`;
  return `${before.map((l) => `${l}\n`).join('')}${body}${after.map((l) => `${l}\n`).join('')}`;
}

/** Approves (queues its job) or rejects a planned deployment; the reviewer must be an admin and not the proposer. */
export async function reviewDeployment(
  db: Db,
  id: number,
  approve: boolean,
  comment: string | null,
  who: Proposer,
): Promise<{ deployment: DeploymentRow; jobId: number | null }> {
  if (who.role !== 'admin') throw new ForbiddenError('only the admin role may approve or reject deployments');
  return db.transaction().execute(async (tx) => {
    const d = await loadDeployment(tx, id);
    if (d.status !== 'planned' || !bool(d.needs_approval))
      throw new ConflictError(
        `deployment ${id} is ${d.status}${bool(d.needs_approval) ? '' : ' and does not wait for approval'}`,
        [],
        'not_reviewable',
      );
    if (d.proposed_by !== null && who.userId !== null && Number(d.proposed_by) === who.userId)
      throw new ForbiddenError('the proposer of a deployment cannot approve or reject it');
    const t = now();
    const review = { reviewed_by: who.userId, reviewed_by_name: who.username, review_comment: comment, reviewed_at: t };
    let jobId: number | null = null;
    let windowNote = '';
    if (approve) {
      // The scheduled window: queued for run_at, or now when there is none or it passed while waiting.
      const runAt = d.run_at ? new Date(String(d.run_at)) : null;
      const later = runAt && runAt.getTime() > Date.now() ? runAt : null;
      if (later) windowNote = `; runs at ${later.toISOString()} (scheduled window)`;
      else if (runAt)
        windowNote = `; the scheduled window (${runAt.toISOString()}) passed while waiting for approval: runs now`;
      jobId = await enqueueJob(
        tx,
        'deploy.run',
        { deployment_id: id },
        { userId: who.userId, runAfter: later ?? undefined },
      );
      await tx
        .updateTable('deployments')
        .set({ ...review, status: 'approved', job_id: jobId, updated_at: t })
        .where('id', '=', id)
        .where('status', '=', 'planned')
        .execute();
    } else {
      await setStatus(tx, id, 'rejected', {
        ...review,
        reason: `rejected by ${who.username}${comment ? `: ${comment}` : ''}`,
      });
    }
    await deploymentLog(
      tx,
      id,
      `${approve ? 'approved' : 'rejected'} by ${who.username}${comment ? `: ${comment}` : ''}${windowNote}`,
    );
    return { deployment: await loadDeployment(tx, id), jobId };
  });
}

/**
 * Cancels a deployment that has not started (planned or approved, scheduled or waiting for review):
 * its queued job is cancelled and it ends `cancelled` with who and why in its log. The proposer or an
 * admin may; one already applying / confirming (or whose job is running) → 409.
 */
export async function cancelDeployment(
  db: Db,
  id: number,
  reason: string | null,
  who: Proposer,
): Promise<DeploymentRow> {
  return db.transaction().execute(async (tx) => {
    const d = await loadDeployment(tx, id);
    if (
      who.role !== 'admin' &&
      (d.proposed_by === null || d.proposed_by === undefined || Number(d.proposed_by) !== who.userId)
    )
      throw new ForbiddenError('only the proposer of a deployment or an admin may cancel it');
    if (d.status === 'applying' || d.status === 'confirming')
      throw new ConflictError(
        `deployment ${id} is ${d.status}: it has started changing the router and can no longer be cancelled (it ends by its health gate: confirmed or rolled back)`,
        [],
        'not_cancellable',
      );
    if (FINAL.includes(d.status))
      throw new ConflictError(`deployment ${id} already ended ${d.status}`, [], 'not_cancellable');
    if (d.started_at)
      throw new ConflictError(
        `deployment ${id} has started (its job is running) and can no longer be cancelled`,
        [],
        'not_cancellable',
      );
    if (d.job_id !== null && d.job_id !== undefined) {
      const job = await tx
        .selectFrom('jobs')
        .select(['id', 'kind', 'status'])
        .where('id', '=', Number(d.job_id))
        .executeTakeFirst();
      if (job && job.kind === 'deploy.run') {
        if (job.status === 'running')
          throw new ConflictError(
            `deployment ${id} has started (job ${job.id} is running) and can no longer be cancelled`,
            [],
            'not_cancellable',
          );
        if (job.status === 'queued') {
          const res = await tx
            .updateTable('jobs')
            .set({ status: 'cancelled', cancel_requested: true, finished_at: now() })
            .where('id', '=', Number(job.id))
            .where('status', '=', 'queued')
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1)
            throw new ConflictError(
              `deployment ${id} has just started (job ${job.id} was claimed) and can no longer be cancelled`,
              [],
              'not_cancellable',
            );
        }
      }
    }
    const why = `cancelled by ${who.username}${reason ? `: ${reason}` : ''}`;
    const res = await tx
      .updateTable('deployments')
      .set({ status: 'cancelled', reason: why, failed_check: null, updated_at: now(), finished_at: now() })
      .where('id', '=', id)
      .where('status', 'in', ['planned', 'approved'])
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1)
      throw new ConflictError(`deployment ${id} changed while being cancelled; try again`, [], 'not_cancellable');
    await deploymentLog(tx, id, `${why}${d.job_id ? ` (job ${d.job_id} cancelled)` : ''}`, 'warn');
    return loadDeployment(tx, id);
  });
}

/** The `deploy.run` job was cancelled while queued (e.g. through /api/jobs/{id}/cancel/): its deployment ends `cancelled`. */
export async function deploymentJobCancelled(db: Executor, jobId: number, deploymentId: number): Promise<void> {
  const why = `cancelled: its job ${jobId} was cancelled before it started`;
  const res = await db
    .updateTable('deployments')
    .set({ status: 'cancelled', reason: why, updated_at: now(), finished_at: now() })
    .where('id', '=', deploymentId)
    .where('job_id', '=', jobId)
    .where('status', 'in', ['planned', 'approved'])
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) await deploymentLog(db, deploymentId, why, 'warn');
}

/** Whether a job id names a worker process on this host that no longer exists (`host-pid-xxxxxx`). */
function workerProcessGone(workerId: string | null | undefined, host: string): boolean {
  const m = /^(.*)-(\d+)-[0-9a-f]{6}$/.exec(workerId ?? '');
  if (!m || m[1] !== host) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The worker sweep: a deployment left `applying` / `confirming` by a worker that died (its job's lease
 * expired, the job ended, or its process on this host is gone) ends `failed` (failed_check `worker_lost`)
 * and its router lock is released. The router itself reverts an unconfirmed change by its confirm timer.
 */
export async function sweepStaleDeployments(db: Db): Promise<number> {
  const rows = await db
    .selectFrom('deployments as d')
    .leftJoin('jobs as j', 'j.id', 'd.job_id')
    .select([
      'd.id',
      'd.router_id',
      'd.status',
      'd.confirm_timeout',
      'd.job_id',
      'j.status as job_status',
      'j.lease_until',
      'j.worker_id',
    ])
    .where('d.status', 'in', ['applying', 'confirming'])
    .execute();
  if (!rows.length) return 0;
  const { hostname } = await import('node:os');
  const host = hostname();
  const t = now();
  let ended = 0;
  for (const r of rows) {
    const jobId = r.job_id === null || r.job_id === undefined ? null : Number(r.job_id);
    let lost: string | null = null;
    if (jobId === null || !r.job_status) lost = 'its job is gone';
    else if (r.job_status !== 'running') lost = `its job ${jobId} is ${r.job_status}`;
    else if (!r.lease_until || String(r.lease_until) < t)
      lost = `the lease of its job ${jobId} expired (the worker ${r.worker_id ?? ''} stopped renewing it)`;
    else if (workerProcessGone(r.worker_id, host))
      lost = `the worker process of its job ${jobId} (${r.worker_id}) is gone`;
    if (!lost) continue;
    const timeout = Number(r.confirm_timeout);
    const reason =
      r.status === 'confirming'
        ? `worker lost while confirming: ${lost}; the change was never confirmed, so the router's own confirm timer reverts it (within ${timeout} s of the commit)`
        : `worker lost while applying: ${lost}; if the commit reached the router, the router's own confirm timer reverts the unconfirmed change (within ${timeout} s of the commit)`;
    const id = Number(r.id);
    const done = await db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('deployments')
        .set({ status: 'failed', failed_check: 'worker_lost', reason, updated_at: t, finished_at: t })
        .where('id', '=', id)
        .where('status', '=', r.status)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await deploymentLog(tx, id, `failed: ${reason}; router lock released`, 'error');
      await tx
        .deleteFrom('deploy_locks')
        .where('router_id', '=', Number(r.router_id))
        .where('deployment_id', '=', id)
        .execute();
      return true;
    });
    if (done) ended++;
  }
  return ended;
}

/** Takes the router's deploy lock (a lock left by a finished deployment is taken over). */
async function acquireLock(db: Db, routerId: number, deploymentId: number): Promise<void> {
  try {
    await db
      .insertInto('deploy_locks')
      .values({ router_id: routerId, deployment_id: deploymentId, locked_at: now() })
      .execute();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const held = await db
      .selectFrom('deploy_locks as l')
      .innerJoin('deployments as d', 'd.id', 'l.deployment_id')
      .select(['l.deployment_id', 'd.status'])
      .where('l.router_id', '=', routerId)
      .executeTakeFirst();
    if (held && !(FINAL as readonly string[]).includes(held.status))
      throw new DeployFailure(
        'lock',
        `deployment #${held.deployment_id} is running on this router (one deployment per router at a time)`,
      );
    const taken = await db
      .updateTable('deploy_locks')
      .set({ deployment_id: deploymentId, locked_at: now() })
      .where('router_id', '=', routerId)
      .where('deployment_id', '=', held ? held.deployment_id : -1)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) throw new DeployFailure('lock', 'another deployment took the router lock');
  }
}

async function releaseLock(db: Db, routerId: number, deploymentId: number): Promise<void> {
  await db
    .deleteFrom('deploy_locks')
    .where('router_id', '=', routerId)
    .where('deployment_id', '=', deploymentId)
    .execute();
}

/** A pipeline failure with the check that failed. */
export class DeployFailure extends Error {
  readonly check: string;
  constructor(check: string, message: string) {
    super(message);
    this.check = check;
  }
}

export interface RunContext {
  db: Db;
  secrets?: SecretBox;
  signal: AbortSignal;
  log: (message: string, level?: 'info' | 'warn' | 'error') => Promise<void>;
  /** The job running the deployment (one-time credentials are held under its id). */
  jobId?: number;
}

/** Polls the router until the health gate passes or its time is up; returns null or the failed check. */
export async function healthGate(
  session: DriverSession,
  before: PeerState[],
  candidate: string,
  diff: string,
  expected: { peer_ip: string; enabled: boolean }[],
  timeoutS: number,
  signal: AbortSignal,
  log: RunContext['log'],
): Promise<{ check: string; reason: string } | null> {
  const touched = touchedIps(diff);
  const inCandidate = ipsIn(candidate);
  const untouched = before.filter((n) => n.state === 'established' && !touched.has(n.peer_ip));
  const known = new Set(before.map((n) => n.peer_ip));
  const added = expected.filter((s) => s.enabled && !known.has(s.peer_ip) && inCandidate.has(s.peer_ip));
  await log(
    `health gate: ${untouched.length} untouched sessions must stay Established, ${added.length} expected new sessions and any neighbour the change adds must reach Established, within ${timeoutS} s`,
  );
  const end = Date.now() + timeoutS * 1000;
  let last: { check: string; reason: string } = { check: 'router_reachable', reason: 'no answer from the router yet' };
  let polls = 0;
  for (;;) {
    if (signal.aborted) return { check: 'cancelled', reason: 'the job was cancelled' };
    try {
      const now = new Map((await session.listNeighbors()).map((n) => [n.peer_ip, n]));
      const down = untouched.find((n) => now.get(n.peer_ip)?.state !== 'established');
      // Added: the sessions Peerdesk's data expects, and every neighbour the change put on the router.
      const fresh = [...now.values()]
        .filter((n) => !known.has(n.peer_ip) && touched.has(n.peer_ip) && !n.admin_down)
        .map((n) => ({ peer_ip: n.peer_ip, enabled: true }));
      const notUp = [...added, ...fresh].find((s) => now.get(s.peer_ip)?.state !== 'established');
      if (down)
        last = {
          check: 'untouched_sessions_up',
          reason: `session ${down.peer_ip}, not touched by the change, is ${now.get(down.peer_ip)?.state ?? 'gone'}`,
        };
      else if (notUp)
        last = {
          check: 'added_sessions_established',
          reason: `added session ${notUp.peer_ip} is ${now.get(notUp.peer_ip)?.state ?? 'not on the router'}, not Established`,
        };
      else return null;
    } catch (e) {
      last = { check: 'router_reachable', reason: `router not reachable: ${errorText(e)}` };
    }
    if (Date.now() >= end) return { check: last.check, reason: `${last.reason} after ${timeoutS} s` };
    // Polled at 250 ms, 500 ms, then every second: a session that comes up at once is confirmed at once.
    await new Promise((r) => setTimeout(r, Math.min(1000, 250 * 2 ** polls++)));
  }
}

/** The `deploy.run` job: runs the whole pipeline for one deployment; returns its final status. */
export async function runDeployment(
  ctx: RunContext,
  deploymentId: number,
): Promise<{ status: DeploymentStatus; reason: string | null }> {
  const { db } = ctx;
  const d = await loadDeployment(db, deploymentId);
  // One-time credentials are taken first, so they are forgotten whatever happens next.
  const oneTime = bool(d.one_time_credentials) ? (ctx.jobId === undefined ? null : takeCredentials(ctx.jobId)) : null;
  if (FINAL.includes(d.status) || d.status === 'applying' || d.status === 'confirming')
    return { status: d.status, reason: d.reason ?? null };
  if (bool(d.needs_approval) && d.status !== 'approved')
    throw new Error(`deployment ${deploymentId} waits for approval`);
  const log = async (m: string, level: 'info' | 'warn' | 'error' = 'info') => {
    await deploymentLog(db, deploymentId, m, level);
    await ctx.log(redactSecrets(m), level);
  };
  const routerId = Number(d.router_id);
  const dryRun = bool(d.dry_run);
  await db
    .updateTable('deployments')
    .set({ started_at: now(), updated_at: now() })
    .where('id', '=', deploymentId)
    .execute();
  if (d.run_at) await log(`scheduled window ${String(d.run_at)}: started`);
  let session: DriverSession | null = null;
  let committed = false;
  let locked = false;
  // A removal from the router deletes the session and its BGP peer once the router no longer has it.
  const afterDone = async () => {
    if (d.action !== 'deconfigure' || d.session_id === null || d.session_id === undefined) return;
    try {
      await deleteSessionAfterRemoval(db, ctx.secrets!, Number(d.session_id), d);
      await log(`session ${d.session_repr ?? d.session_id} and its BGP peer deleted`);
    } catch (e) {
      await log(`the session was removed from the router but could not be deleted: ${errorText(e)}`, 'warn');
    }
  };
  const finish = async (status: DeploymentStatus, reason: string | null, check: string | null = null) => {
    await setStatus(db, deploymentId, status, { reason, failed_check: check, committed });
    await log(`${status}${reason ? `: ${reason}` : ''}`, status === 'done' ? 'info' : 'error');
    return { status, reason };
  };
  try {
    if (bool(d.one_time_credentials) && !oneTime)
      throw new DeployFailure(
        'credentials',
        'one-time credentials need the in-process worker: this job ran in a worker process that does not hold them (they are never stored); nothing was changed, propose the deployment again',
      );
    await acquireLock(db, routerId, deploymentId);
    locked = true;
    let [router] = await loadRouters(db, [routerId]);
    const driver = await lookupDriver(router?.driver);
    const why = router ? unreachableReason(router, driver, 'config') : 'the router was deleted';
    if (!router || why || !driver) throw new DeployFailure('driver', why ?? 'no driver');
    if (!ctx.secrets) throw new DeployFailure('render', 'no secret key to decrypt session passwords');
    // 1. Render the router's template (its own, else the platform's shipped one).
    const tplRow = await db
      .selectFrom('routers')
      .select('config_template_id')
      .where('id', '=', routerId)
      .executeTakeFirst();
    const template: number | string = tplRow?.config_template_id
      ? Number(tplRow.config_template_id)
      : `${driver.name}.j2`;
    const excluded =
      d.action === 'deconfigure' && d.session_id !== null && d.session_id !== undefined ? Number(d.session_id) : null;
    const rendered =
      excluded === null
        ? await renderConfig(db, { template, routerId, includeSecrets: true, secrets: ctx.secrets, withContext: true })
        : await renderWithout(db, template, routerId, excluded, ctx.secrets);
    const overrides: Overrides | null = d.overrides_enc
      ? JSON.parse(ctx.secrets.decrypt(String(d.overrides_enc)))
      : null;
    let candidate = overrides
      ? withCommands(overrides.candidate ?? rendered.content, overrides.commands_before, overrides.commands_after)
      : rendered.content;
    if (overrides?.candidate !== undefined)
      await log('the candidate was edited in the Config Manager: the rendered configuration is replaced');
    if (overrides?.commands_before?.length || overrides?.commands_after?.length)
      await log(
        `one-time commands: ${overrides.commands_before?.length ?? 0} before and ${overrides.commands_after?.length ?? 0} after the candidate`,
      );
    if (excluded !== null)
      await log(`rendered without session ${d.session_repr ?? excluded} (removal from the router)`);
    if (oneTime) {
      // In memory only: the stored credentials with the one-time fields over them (e.g. the host key stays).
      const stored: RouterCredentials = router!.credentials_enc
        ? JSON.parse(ctx.secrets.decrypt(router!.credentials_enc))
        : {};
      router = { ...router!, credentials_enc: ctx.secrets.encrypt(JSON.stringify({ ...stored, ...oneTime })) };
      await log('using the one-time credentials given for this deployment');
    }
    const gen = generationOf(db);
    await db
      .updateTable('deployments')
      .set({
        template_id: rendered.template.id,
        template_name: rendered.template.name,
        template_version: rendered.template.version,
        data_generation: gen ? String(gen.current()) : null,
        candidate: redactSecrets(candidate),
        updated_at: now(),
      })
      .where('id', '=', deploymentId)
      .execute();
    await log(
      `rendered ${rendered.template.name} v${rendered.template.version}: ${candidate.split('\n').length} lines, ${rendered.sessionCount} sessions`,
    );
    const expected = ((rendered.context?.sessions ?? []) as { peer_ip: string; enabled: boolean }[]).map((s) => ({
      peer_ip: parseIp(String(s.peer_ip))?.text ?? String(s.peer_ip),
      enabled: s.enabled !== false,
    }));
    // 2. Open the router; someone else's confirmed commit must not be confirmed or undone by us.
    session = await openSession(router, driver, ctx.secrets, ctx.signal, (m, level) =>
      log(m, level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info'),
    );
    if (!session.loadCandidate || !session.commitConfirmed || !session.confirm || !session.rollback)
      throw new DeployFailure('driver', `the ${driver.name} driver cannot load configuration`);
    if (session.pendingConfirm && (await session.pendingConfirm()))
      throw new DeployFailure(
        'pending_confirm',
        'a confirmed commit is already waiting for confirmation on the router (someone else is deploying); nothing was changed',
      );
    // 3. Read running, load the candidate, diff.
    const running = session.getRunningConfig ? await session.getRunningConfig() : '';
    const before = await session.listNeighbors();
    const mode = DEPLOY_MODE[driver.name] ?? 'merge';
    if (excluded !== null && mode === 'merge') {
      // A merge keeps what the candidate leaves out: the removal is said explicitly.
      const ip = 'removedIp' in rendered ? rendered.removedIp : null;
      const lines = ip ? removalLines(driver.name, running, ip, router!.local_asn) : null;
      if (lines === null)
        throw new DeployFailure(
          'deconfigure',
          `cannot say how to remove ${ip ?? 'the session'} from a ${driver.name} router in merge mode; nothing was changed`,
        );
      if (lines) {
        candidate = `${candidate.replace(/\n?$/, '\n')}${lines}`;
        await db
          .updateTable('deployments')
          .set({ candidate: redactSecrets(candidate), updated_at: now() })
          .where('id', '=', deploymentId)
          .execute();
        await log(`merge mode: removal statements for ${ip} added to the candidate`);
      } else await log(`${ip} is not in the running configuration: nothing to remove on the router`);
    }
    let diff: string;
    try {
      diff = (await session.loadCandidate(candidate, mode)).diff;
    } catch (e) {
      throw new DeployFailure('load_candidate', `the router refused the candidate: ${errorText(e)}`);
    }
    await db
      .updateTable('deployments')
      .set({ diff: redactSecrets(diff), updated_at: now() })
      .where('id', '=', deploymentId)
      .execute();
    await log(
      diff
        ? `diff: ${diff.split('\n').filter((l) => /^[+-](?![+-]{2} )/.test(l)).length} changed lines`
        : 'diff: no changes',
    );
    if (dryRun || !diff) {
      await session.discardCandidate?.();
      const out = await finish(
        'done',
        dryRun ? 'dry run: diff computed, nothing applied' : 'no changes: nothing committed',
      );
      if (!dryRun) await afterDone();
      return out;
    }
    // 4. Guards.
    const settings = deploySettings();
    if (!bool(d.force)) {
      const g = guardViolation(before, running, candidate, diff, mode, settings, driver.prefixListSizes);
      if (g) {
        await session.discardCandidate?.();
        return await finish('failed', `refused: ${g.reason}; nothing applied`, `guard:${g.check}`);
      }
    }
    // 5. Apply with confirmation.
    await setStatus(db, deploymentId, 'applying');
    const timeoutS = Number(d.confirm_timeout);
    try {
      await session.commitConfirmed(timeoutS, `Peerdesk deployment #${deploymentId}`);
    } catch (e) {
      await session.rollback().catch(() => undefined);
      throw new DeployFailure('commit', `the commit failed and was undone: ${errorText(e)}`);
    }
    committed = true;
    await log(`committed with confirmation (reverts by itself after ${timeoutS} s)`);
    // 6. Health gate (bounded by the confirm window, keeping time to confirm).
    await setStatus(db, deploymentId, 'confirming', { committed: true });
    const gateS = Math.max(1, Math.min(settings.healthTimeoutS, timeoutS - 15));
    const failed = await healthGate(session, before, candidate, diff, expected, gateS, ctx.signal, log);
    if (failed) {
      await log(`health gate failed (${failed.check}): ${failed.reason}; rolling back`, 'warn');
      try {
        await session.rollback();
      } catch (e) {
        return await finish(
          'failed',
          `health gate failed (${failed.check}): ${failed.reason}; the rollback failed too (${errorText(e)}); the router reverts by itself when the confirm window ends`,
          failed.check,
        );
      }
      committed = false;
      return await finish(
        'rolled_back',
        `health gate failed (${failed.check}): ${failed.reason}; rolled back`,
        failed.check,
      );
    }
    await session.confirm();
    await log('health gate passed; confirmed');
    const out = await finish('done', 'applied and confirmed');
    await afterDone();
    if (settings.gitDir) {
      try {
        const { exportToGit } = await import('./git-export.ts');
        const sha = await exportToGit(settings.gitDir, await loadDeployment(db, deploymentId));
        await db.updateTable('deployments').set({ git_commit: sha }).where('id', '=', deploymentId).execute();
        await log(`exported to git: ${sha}`);
      } catch (e) {
        await log(`git export failed: ${errorText(e)}`, 'warn');
      }
    }
    return out;
  } catch (e) {
    if (session && !committed) await session.discardCandidate?.().catch(() => undefined);
    if (session && committed) {
      await log(`rolling back after an error: ${errorText(e)}`, 'warn');
      if (
        await session.rollback?.().then(
          () => true,
          () => false,
        )
      )
        committed = false;
    }
    if (e instanceof DeployFailure) return await finish('failed', e.message, e.check);
    return await finish('failed', errorText(e), 'error');
  } finally {
    await session?.close().catch(() => undefined);
    if (locked) await releaseLock(db, routerId, deploymentId).catch(() => undefined);
  }
}

/** Renders the router's configuration as if one session were gone (the deconfigure before a delete). */
async function renderWithout(
  db: Db,
  template: number | string,
  routerId: number,
  sessionId: number,
  secrets: SecretBox,
) {
  const tpl = await loadTemplate(db, template);
  const context = await buildRenderContext(db, { routerId }, { includeSecrets: true, secrets });
  const removed = context.sessions.find((x) => Number(x.id) === sessionId);
  context.sessions = context.sessions.filter((x) => Number(x.id) !== sessionId);
  for (const list of [context.peer_groups, context.bgp_groups])
    for (const g of list ?? [])
      if (Array.isArray(g.session_ids)) g.session_ids = g.session_ids.filter((x) => Number(x) !== sessionId);
  const content = await renderTemplate(db, tpl, context);
  return {
    content,
    sessionCount: context.sessions.length,
    context,
    template: tpl,
    removedIp: removed ? String(removed.peer_ip) : null,
  };
}

/** Deletes a session and its BGP peer in one transaction, in the change log under the proposer's name. */
async function deleteSessionAfterRemoval(
  db: Db,
  secrets: SecretBox,
  sessionId: number,
  d: DeploymentRow,
): Promise<void> {
  const { deleteSessions } = await import('../sessions/sessions.service.ts');
  const principal =
    d.proposed_by === null || d.proposed_by === undefined
      ? null
      : {
          userId: Number(d.proposed_by),
          username: String(d.proposed_by_name ?? ''),
          role: 'operator' as const,
          via: 'session' as const,
          canWrite: true,
        };
  await db
    .transaction()
    .execute((tx) =>
      deleteSessions({ db: tx, principal, secrets, requestId: `deployment-${d.id}` }, [sessionId], true),
    );
}

/**
 * The statements that remove a neighbour in merge mode ('' when the running configuration does not have
 * it; null when the platform is not known): EOS / IOS-XR `no neighbor`, Junos `delete:` in its group.
 */
export function removalLines(driver: string, running: string, ip: string, localAsn: number): string | null {
  const has = ipsIn(running).has(parseIp(ip)?.text ?? ip);
  if (driver === 'eos' || driver === 'iosxr') return has ? `router bgp ${localAsn}\n   no neighbor ${ip}\n` : '';
  if (driver === 'junos') {
    // The group (and routing instance) whose block holds `neighbor IP`.
    const stack: string[] = [];
    for (const raw of running.split('\n')) {
      const line = raw.trim().replace(/^(inactive|protect):\s*/, '');
      const open = /^(.*?)\s*\{$/.exec(line);
      const nb = /^neighbor\s+(\S+?)\s*[{;]$/.exec(line);
      if (nb && parseIp(nb[1]!)?.text === parseIp(ip)?.text) {
        const path = stack.filter(Boolean);
        const body = `delete: neighbor ${nb[1]};`;
        return `${path.reduceRight((inner, p, i) => `${'    '.repeat(i)}${p} {\n${inner}${'    '.repeat(i)}}\n`, `${'    '.repeat(path.length)}${body}\n`)}`;
      }
      if (open) stack.push(open[1]!);
      else if (line === '}') stack.pop();
    }
    return '';
  }
  return null;
}
