// The contract between the job runner and the domains that define job kinds.
import type { z } from 'zod';
import type { Db } from '../platform/db.ts';
import type { SecretBox } from '../platform/crypto.ts';

/** What a running job can do: log, report progress, notice cancellation. */
export interface JobContext<P = unknown> {
  db: Db;
  jobId: number;
  payload: P;
  /** Appends a line to the job's log (visible live in API and UI). */
  log(message: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
  /** Reports progress as a fraction 0..1 with an optional message. */
  progress(fraction: number, message?: string): Promise<void>;
  /** Aborted when someone cancels the job or the worker shuts down. */
  signal: AbortSignal;
  /** The user who queued it, if any. */
  userId: number | null;
  /** Decrypts router credentials and MD5 passwords (the process's secret key). */
  secrets?: SecretBox;
}

/** A typed job kind: its payload schema and its work. Each domain exports a list of them. */
export interface JobDefinition<P = unknown> {
  kind: string;
  description: string;
  payload: z.ZodType<P>;
  /** Attempts before the job is marked failed (default 3; 1 for work that must not repeat). */
  maxAttempts?: number;
  run(ctx: JobContext<P>): Promise<unknown>;
}

/** Helps TypeScript infer the payload type of a job definition. */
export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}
