// Runs one queued job in the calling process (the CLI's path), with the worker's bookkeeping.
import { randomBytes } from 'node:crypto';
import type { Db } from '../platform/db.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { jobDefinition } from './registry.ts';
import { appendLog, finishJob } from './jobs.service.ts';
import { JobWriter } from './job-writer.ts';
import { now } from '../platform/db.ts';

/** Claims a specific job and runs it here; returns its final status and result. */
export async function runJobNow(
  db: Db,
  jobId: number,
  onLog: (line: string) => void = () => {},
  secrets?: SecretBox,
): Promise<{ status: string; result: unknown; error?: string }> {
  const workerId = `cli-${process.pid}-${randomBytes(3).toString('hex')}`;
  const claimed = await db
    .updateTable('jobs')
    .set({
      status: 'running',
      worker_id: workerId,
      attempts: 1,
      started_at: now(),
      lease_until: new Date(Date.now() + 3600_000).toISOString(),
    })
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) throw new Error(`job ${jobId} is not queued`);
  const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  const def = (await jobDefinition(job.kind))!;
  const abort = new AbortController();
  const writer = new JobWriter(db, jobId);
  const onSig = () => abort.abort();
  process.once('SIGINT', onSig);
  try {
    const result = await def.run({
      db,
      jobId,
      payload: def.payload.parse(JSON.parse(job.payload)),
      userId: null,
      secrets,
      signal: abort.signal,
      log: (message, level = 'info') => {
        onLog(message);
        return writer.log(message, level);
      },
      progress: (fraction, message) => {
        if (process.stderr.isTTY)
          process.stderr.write(
            `\r${Math.round(fraction * 100)}% ${message ?? ''}`.padEnd(60) + (fraction >= 1 ? '\n' : ''),
          );
        return writer.progress(fraction, message);
      },
    });
    await writer.flush();
    await finishJob(db, jobId, workerId, 'succeeded', { result: result ?? null });
    return { status: 'succeeded', result };
  } catch (err) {
    await writer.flush();
    const message = (err as Error).message;
    await appendLog(db, jobId, `failed: ${message}`, 'error');
    await finishJob(db, jobId, workerId, abort.signal.aborted ? 'cancelled' : 'failed', { error: message });
    return { status: abort.signal.aborted ? 'cancelled' : 'failed', result: null, error: message };
  } finally {
    process.off('SIGINT', onSig);
  }
}
