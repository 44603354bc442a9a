// The jobs API's output schemas and their presenters: typed functions from selected rows to the schema.
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { JobLogsTable, JobsTable, SchedulesTable } from '../platform/db.types.ts';
import { bool, json } from '../platform/crud.ts';

export const jobOut = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    status: z.string(),
    payload: z.unknown(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    progress: z.number().nullable(),
    progress_message: z.string().nullable(),
    result: z.unknown(),
    error: z.string().nullable(),
    created_by: z.number().int().nullable(),
    schedule: z.number().int().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    run_after: z.string(),
  })
  .meta({ id: 'Job' });
export const logOut = z.object({ id: z.number().int(), time: z.string(), level: z.string(), message: z.string() });
export const scheduleIn = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: z.string().min(1).max(100),
    payload: z.record(z.string(), z.unknown()).optional(),
    cron: z.string().min(1).max(100),
    enabled: z.boolean().optional(),
    description: z.string().max(1000).nullable().optional(),
  })
  .strict();
export const scheduleOut = z
  .object({
    id: z.number().int(),
    name: z.string(),
    kind: z.string(),
    payload: z.unknown(),
    cron: z.string(),
    enabled: z.boolean(),
    next_run_at: z.string().nullable(),
    last_run_at: z.string().nullable(),
    last_job: z.number().int().nullable(),
    description: z.string().nullable(),
  })
  .meta({ id: 'Schedule' });

export type JobRow = Selectable<JobsTable>;
export type JobLogRow = Selectable<JobLogsTable>;
export type ScheduleRow = Selectable<SchedulesTable>;
export type ScheduleInput = z.infer<typeof scheduleIn>;

export function presentJob(j: JobRow): z.infer<typeof jobOut> {
  return {
    id: Number(j.id),
    kind: j.kind,
    status: j.status,
    payload: json(j.payload, {}),
    attempts: Number(j.attempts),
    max_attempts: Number(j.max_attempts),
    progress: j.progress ?? null,
    progress_message: j.progress_message ?? null,
    result: json(j.result, null),
    error: j.error ?? null,
    created_by: j.created_by ? Number(j.created_by) : null,
    schedule: j.schedule_id ? Number(j.schedule_id) : null,
    created_at: j.created_at,
    started_at: j.started_at ?? null,
    finished_at: j.finished_at ?? null,
    run_after: j.run_after,
  };
}

export function presentLogLine(l: JobLogRow): z.infer<typeof logOut> {
  return { id: Number(l.id), time: l.time, level: l.level, message: l.message };
}

export function presentSchedule(s: ScheduleRow): z.infer<typeof scheduleOut> {
  return {
    id: Number(s.id),
    name: s.name,
    kind: s.kind,
    payload: json(s.payload, {}),
    cron: s.cron,
    enabled: bool(s.enabled),
    next_run_at: s.next_run_at ?? null,
    last_run_at: s.last_run_at ?? null,
    last_job: s.last_job_id ? Number(s.last_job_id) : null,
    description: s.description ?? null,
  };
}
