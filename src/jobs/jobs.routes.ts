// /api/jobs/ (list, detail with live log, cancel, run) and /api/schedules/ (cron-stored schedules).
// Thin: validate, authorise, call jobs.service, present with jobs.schema.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  cancelJob,
  createSchedule,
  deleteSchedule,
  enqueueJob,
  getJob,
  jobLog,
  listJobs,
  listSchedules,
  updateSchedule,
} from './jobs.service.ts';
import { jobOut, logOut, presentJob, presentLogLine, presentSchedule, scheduleIn, scheduleOut } from './jobs.schema.ts';
import { allJobDefinitions } from './registry.ts';
import { pageLinks, pageQuery } from '../platform/crud.ts';

/** Mounts job and schedule routes. */
export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const idParams = z.object({ id: z.coerce.number().int().min(1) });

  r.get(
    '/api/job-kinds/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Job kinds that can be queued',
        response: { 200: z.array(z.object({ kind: z.string(), description: z.string() })) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async () => (await allJobDefinitions()).map((d) => ({ kind: d.kind, description: d.description })),
  );

  r.get(
    '/api/jobs/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Jobs, newest first',
        querystring: pageQuery
          .pick({ limit: true, offset: true })
          .extend({ status: z.string().optional(), kind: z.string().optional() }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(jobOut),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const { count, rows } = await listJobs(app.db, req.query);
      return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentJob) };
    },
  );

  r.post(
    '/api/jobs/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Queue a job of a known kind',
        body: z
          .object({ kind: z.string().min(1).max(100), payload: z.record(z.string(), z.unknown()).optional() })
          .strict(),
        response: { 202: jobOut },
      },
      preValidation: app.requireRole('operator'),
    },
    async (req, reply) => {
      const id = await enqueueJob(app.db, req.body.kind, req.body.payload ?? {}, {
        userId: req.principal?.userId ?? null,
      });
      return reply.code(202).send(presentJob(await getJob(app.db, id)));
    },
  );

  r.get(
    '/api/jobs/:id/',
    {
      schema: { tags: ['jobs'], summary: 'One job', params: idParams, response: { 200: jobOut } },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      return presentJob(await getJob(app.db, req.params.id));
    },
  );

  r.get(
    '/api/jobs/:id/log/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Log lines of a job; pass after=<last id> to follow',
        params: idParams,
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }),
        response: { 200: z.object({ status: z.string(), progress: z.number().nullable(), lines: z.array(logOut) }) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const log = await jobLog(app.db, req.params.id, req.query.after);
      return { status: log.status, progress: log.progress, lines: log.lines.map(presentLogLine) };
    },
  );

  r.post(
    '/api/jobs/:id/cancel/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a queued or running job',
        params: idParams,
        response: { 200: jobOut },
      },
      preValidation: app.requireRole('operator'),
    },
    async (req) => {
      await cancelJob(app.db, req.params.id);
      return presentJob(await getJob(app.db, req.params.id));
    },
  );

  r.get(
    '/api/schedules/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Schedules',
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(scheduleOut),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async () => {
      const rows = await listSchedules(app.db);
      return { count: rows.length, next: null, previous: null, results: rows.map(presentSchedule) };
    },
  );

  r.post(
    '/api/schedules/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Create a schedule (cron, UTC)',
        body: scheduleIn,
        response: { 201: scheduleOut },
      },
      preValidation: app.requireRole('admin'),
    },
    async (req, reply) => {
      return reply.code(201).send(presentSchedule(await createSchedule(app.db, req.body)));
    },
  );

  r.patch(
    '/api/schedules/:id/',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Change a schedule',
        params: idParams,
        body: scheduleIn.partial(),
        response: { 200: scheduleOut },
      },
      preValidation: app.requireRole('admin'),
    },
    async (req) => {
      return presentSchedule(await updateSchedule(app.db, req.params.id, req.body));
    },
  );

  r.delete(
    '/api/schedules/:id/',
    {
      schema: { tags: ['jobs'], summary: 'Delete a schedule', params: idParams },
      preValidation: app.requireRole('admin'),
    },
    async (req, reply) => {
      await deleteSchedule(app.db, req.params.id);
      return reply.code(204).send();
    },
  );
}
