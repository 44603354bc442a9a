// /api/jobs/ (list, detail with live log, cancel, run) and /api/schedules/ (cron-stored schedules).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancelJob, enqueueJob, nextCronRun } from './jobs.service.ts';
import { allJobDefinitions } from './registry.ts';
import { NotFoundError } from '../platform/errors.ts';
import { json, pageLinks, pageQuery, assertUnique } from '../platform/crud.ts';
import { now } from '../platform/db.ts';

const jobOut = z
  .object({
    id: z.number().int(), kind: z.string(), status: z.string(), payload: z.unknown(), attempts: z.number().int(), max_attempts: z.number().int(),
    progress: z.number().nullable(), progress_message: z.string().nullable(), result: z.unknown(), error: z.string().nullable(),
    created_by: z.number().int().nullable(), schedule: z.number().int().nullable(), created_at: z.string(), started_at: z.string().nullable(), finished_at: z.string().nullable(), run_after: z.string(),
  })
  .meta({ id: 'Job' });
const logOut = z.object({ id: z.number().int(), time: z.string(), level: z.string(), message: z.string() });
const presentJob = (j: any) => ({
  id: Number(j.id), kind: j.kind, status: j.status, payload: json(j.payload, {}), attempts: Number(j.attempts), max_attempts: Number(j.max_attempts),
  progress: j.progress ?? null, progress_message: j.progress_message ?? null, result: json(j.result, null), error: j.error ?? null,
  created_by: j.created_by ? Number(j.created_by) : null, schedule: j.schedule_id ? Number(j.schedule_id) : null, created_at: j.created_at, started_at: j.started_at ?? null, finished_at: j.finished_at ?? null, run_after: j.run_after,
});
const scheduleIn = z.object({ name: z.string().trim().min(1).max(100), kind: z.string().min(1).max(100), payload: z.record(z.string(), z.unknown()).optional(), cron: z.string().min(1).max(100), enabled: z.boolean().optional(), description: z.string().max(1000).nullable().optional() }).strict();
const scheduleOut = z.object({ id: z.number().int(), name: z.string(), kind: z.string(), payload: z.unknown(), cron: z.string(), enabled: z.boolean(), next_run_at: z.string().nullable(), last_run_at: z.string().nullable(), last_job: z.number().int().nullable(), description: z.string().nullable() }).meta({ id: 'Schedule' });
const presentSchedule = (s: any) => ({ id: Number(s.id), name: s.name, kind: s.kind, payload: json(s.payload, {}), cron: s.cron, enabled: s.enabled === true || s.enabled === 1, next_run_at: s.next_run_at ?? null, last_run_at: s.last_run_at ?? null, last_job: s.last_job_id ? Number(s.last_job_id) : null, description: s.description ?? null });

/** Mounts job and schedule routes. */
export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  const idParams = z.object({ id: z.coerce.number().int().min(1) });

  r.get('/api/job-kinds/', { schema: { tags: ['jobs'], summary: 'Job kinds that can be queued', response: { 200: z.array(z.object({ kind: z.string(), description: z.string() })) } }, preValidation: a.requireRole('viewer') }, async () =>
    (await allJobDefinitions()).map((d) => ({ kind: d.kind, description: d.description })),
  );

  r.get('/api/jobs/', {
    schema: { tags: ['jobs'], summary: 'Jobs, newest first', querystring: pageQuery.pick({ limit: true, offset: true }).extend({ status: z.string().optional(), kind: z.string().optional() }), response: { 200: z.object({ count: z.number(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(jobOut) }) } },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    let q = a.db.selectFrom('jobs');
    if (req.query.status) q = q.where('status', 'in', req.query.status.split(','));
    if (req.query.kind) q = q.where('kind', 'in', req.query.kind.split(','));
    const count = Number((await q.select((eb: any) => eb.fn.countAll().as('c')).executeTakeFirst()).c);
    const rows = await q.selectAll().orderBy('id', 'desc').limit(req.query.limit).offset(req.query.offset).execute();
    return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentJob) };
  });

  r.post('/api/jobs/', { schema: { tags: ['jobs'], summary: 'Queue a job of a known kind', body: z.object({ kind: z.string().min(1).max(100), payload: z.record(z.string(), z.unknown()).optional() }).strict(), response: { 202: jobOut } }, preValidation: a.requireRole('operator') }, async (req, reply) => {
    const id = await enqueueJob(a.db, req.body.kind, req.body.payload ?? {}, { userId: (req as any).principal.userId });
    return reply.code(202).send(presentJob(await a.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()));
  });

  r.get('/api/jobs/:id/', { schema: { tags: ['jobs'], summary: 'One job', params: idParams, response: { 200: jobOut } }, preValidation: a.requireRole('viewer') }, async (req) => {
    const j = await a.db.selectFrom('jobs').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!j) throw new NotFoundError('job', req.params.id);
    return presentJob(j);
  });

  r.get('/api/jobs/:id/log/', { schema: { tags: ['jobs'], summary: 'Log lines of a job; pass after=<last id> to follow', params: idParams, querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }), response: { 200: z.object({ status: z.string(), progress: z.number().nullable(), lines: z.array(logOut) }) } }, preValidation: a.requireRole('viewer') }, async (req) => {
    const j = await a.db.selectFrom('jobs').select(['status', 'progress']).where('id', '=', req.params.id).executeTakeFirst();
    if (!j) throw new NotFoundError('job', req.params.id);
    const lines = await a.db.selectFrom('job_logs').selectAll().where('job_id', '=', req.params.id).where('id', '>', req.query.after).orderBy('id').limit(1000).execute();
    return { status: j.status, progress: j.progress ?? null, lines: lines.map((l: any) => ({ id: Number(l.id), time: l.time, level: l.level, message: l.message })) };
  });

  r.post('/api/jobs/:id/cancel/', { schema: { tags: ['jobs'], summary: 'Cancel a queued or running job', params: idParams, response: { 200: jobOut } }, preValidation: a.requireRole('operator') }, async (req) => {
    await cancelJob(a.db, req.params.id);
    return presentJob(await a.db.selectFrom('jobs').selectAll().where('id', '=', req.params.id).executeTakeFirst());
  });

  r.get('/api/schedules/', { schema: { tags: ['jobs'], summary: 'Schedules', response: { 200: z.object({ count: z.number(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(scheduleOut) }) } }, preValidation: a.requireRole('viewer') }, async () => {
    const rows = await a.db.selectFrom('schedules').selectAll().orderBy('name').execute();
    return { count: rows.length, next: null, previous: null, results: rows.map(presentSchedule) };
  });

  const validateSchedule = async (body: any) => {
    const probe = await import('./registry.ts');
    const def = await probe.jobDefinition(body.kind);
    if (!def) throw new (await import('../platform/errors.ts')).ValidationError('kind', `unknown job kind "${body.kind}"`);
    const parsed = def.payload.safeParse(body.payload ?? {});
    if (!parsed.success) throw new (await import('../platform/errors.ts')).ValidationError(parsed.error.issues.map((i) => ({ field: `payload.${i.path.join('.')}`, message: i.message })));
    return nextCronRun(body.cron).toISOString();
  };

  r.post('/api/schedules/', { schema: { tags: ['jobs'], summary: 'Create a schedule (cron, UTC)', body: scheduleIn, response: { 201: scheduleOut } }, preValidation: a.requireRole('admin') }, async (req, reply) => {
    const next = await validateSchedule(req.body);
    await assertUnique(a.db, 'schedules', 'name', req.body.name, null);
    const t = now();
    const row = await a.db.insertInto('schedules').values({ name: req.body.name, kind: req.body.kind, payload: JSON.stringify(req.body.payload ?? {}), cron: req.body.cron, enabled: req.body.enabled ?? true, next_run_at: next, description: req.body.description ?? null, created_at: t, updated_at: t, version: 1 }).returning('id').executeTakeFirst();
    return reply.code(201).send(presentSchedule(await a.db.selectFrom('schedules').selectAll().where('id', '=', row.id).executeTakeFirst()));
  });

  r.patch('/api/schedules/:id/', { schema: { tags: ['jobs'], summary: 'Change a schedule', params: idParams, body: scheduleIn.partial(), response: { 200: scheduleOut } }, preValidation: a.requireRole('admin') }, async (req) => {
    const s = await a.db.selectFrom('schedules').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!s) throw new NotFoundError('schedule', req.params.id);
    const merged = { kind: s.kind, payload: json(s.payload, {}), cron: s.cron, ...req.body };
    const next = await validateSchedule(merged);
    if (req.body.name) await assertUnique(a.db, 'schedules', 'name', req.body.name, Number(s.id));
    const set: any = { updated_at: now(), next_run_at: next };
    for (const k of ['name', 'kind', 'cron', 'enabled', 'description'] as const) if (k in req.body) set[k] = (req.body as any)[k];
    if (req.body.payload) set.payload = JSON.stringify(req.body.payload);
    await a.db.updateTable('schedules').set(set).where('id', '=', s.id).execute();
    return presentSchedule(await a.db.selectFrom('schedules').selectAll().where('id', '=', s.id).executeTakeFirst());
  });

  r.delete('/api/schedules/:id/', { schema: { tags: ['jobs'], summary: 'Delete a schedule', params: idParams }, preValidation: a.requireRole('admin') }, async (req, reply) => {
    const res = await a.db.deleteFrom('schedules').where('id', '=', req.params.id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFoundError('schedule', req.params.id);
    return reply.code(204).send();
  });
}
