// Job progress and log lines are written through an ordered queue that never blocks the job: a job
// that reports progress from inside its own transaction (SQLite has one connection) must not wait
// for a write that can only run after that transaction ends.
import type { Db } from '../platform/db.ts';
import { appendLog } from './jobs.service.ts';

/** Ordered, non-blocking writer of one job's log and progress. */
export class JobWriter {
  #chain: Promise<void> = Promise.resolve();
  #pendingProgress: { fraction: number; message: string | null } | null = null;
  readonly #db: Db;
  readonly #jobId: number;
  constructor(db: Db, jobId: number) {
    this.#db = db;
    this.#jobId = jobId;
  }
  #enqueue(work: () => Promise<unknown>): void {
    this.#chain = this.#chain.then(() => work().then(() => undefined)).catch(() => undefined);
  }
  /** Queues a log line (returns at once; lines keep their order). */
  log(message: string, level = 'info'): Promise<void> {
    this.#enqueue(() => appendLog(this.#db, this.#jobId, message, level));
    return Promise.resolve();
  }
  /** Queues a progress update; bursts collapse into the latest value. */
  progress(fraction: number, message?: string): Promise<void> {
    const coalesce = this.#pendingProgress !== null;
    this.#pendingProgress = { fraction: Math.max(0, Math.min(1, fraction)), message: message ?? null };
    if (!coalesce) {
      this.#enqueue(async () => {
        const p = this.#pendingProgress;
        this.#pendingProgress = null;
        if (p)
          await this.#db
            .updateTable('jobs')
            .set({ progress: p.fraction, progress_message: p.message })
            .where('id', '=', this.#jobId)
            .execute();
      });
    }
    return Promise.resolve();
  }
  /** Waits until everything queued is written. */
  flush(): Promise<void> {
    return this.#chain;
  }
}
