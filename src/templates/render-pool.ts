// Render isolation: user templates render in a small pool of worker threads, each with its own capped V8
// heap, behind a bounded queue. A render that overruns its time is terminated (the thread is replaced), and
// one that exhausts its heap only kills its worker; the API's event loop stays free for everyone else.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { DomainError } from '../platform/errors.ts';
import {
  BudgetError,
  SecurityError,
  TemplateError,
  TemplateNotFound,
  TemplateRuntimeError,
  TemplateSyntaxError,
  UndefinedError,
} from './engine/index.ts';
import { DEFAULT_LIMITS } from './engine/budget.ts';

export type RenderDialect = 'jinja2' | 'netbox' | 'peering-manager';

/** One render: the template body, its options, other stored templates by name, and a JSON context. */
export interface RenderJob {
  body: string;
  name: string;
  options: {
    trimBlocks?: boolean;
    lstripBlocks?: boolean;
    keepTrailingNewline?: boolean;
    undefined?: 'default' | 'strict';
    dialect?: RenderDialect;
  };
  /** Other stored templates for include/import/extends, by name (shipped templates are the fallback). */
  templates: Record<string, string>;
  /** JSON-serialisable render context. */
  context: unknown;
  /** The engine's time limit (default 5000 ms); the worker is killed at this plus a grace period. */
  timeLimitMs?: number;
  /** Engine budgets, for tests and tuning (defaults from the engine). */
  limits?: { maxOutputBytes?: number; maxItems?: number; maxAllocBytes?: number };
  /** 'check' only compiles (syntax check) and resolves to ''; default 'render'. */
  mode?: 'render' | 'check';
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  kind: string;
  message: string;
  rawMessage?: string;
  line?: number;
  column?: number;
  templateName?: string;
  template?: boolean;
}

export interface WorkerRequest {
  id: number;
  job: RenderJob;
}

export type WorkerReply =
  { id: number; ok: true; output: string } | { id: number; ok: false; error: SerializedError } | { ready: true };

/** Every render worker is busy and the queue is full (HTTP 503; try again shortly). */
export class RenderBusyError extends DomainError {
  constructor(message = 'the template renderer is busy; try again in a few seconds') {
    super('render_busy', 503, message);
  }
}

/** Message of the error a render gets when its worker was killed for overrunning its time or heap. */
export const RENDER_STOPPED = 'render stopped: exceeded memory/time budget';

export interface RenderPoolOptions {
  /** Worker threads (default PEERDESK_RENDER_WORKERS or 2). */
  size?: number;
  /** Renders allowed to wait for a worker (default PEERDESK_RENDER_QUEUE or 32). */
  maxQueue?: number;
  /** Old-generation heap of each worker in MiB (default PEERDESK_RENDER_HEAP_MB or 256). */
  heapMb?: number;
  /** Extra wall-clock time after the engine's own limit before the worker is terminated (default 2000 ms). */
  graceMs?: number;
  /** Time limit of jobs that do not set one (default PEERDESK_RENDER_TIME_LIMIT_MS or the engine's 5000 ms). */
  timeLimitMs?: number;
}

interface Pending {
  id: number;
  job: RenderJob;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | null;
  timer: NodeJS.Timeout | null;
  /** Set once the slot is being torn down, so its exit is not reported twice. */
  dead: boolean;
  /** The worker has loaded the engine; the wall-clock limit of a job starts only then. */
  ready: boolean;
}

/** How long a new worker may take to load the engine before it counts as stuck. */
const BOOT_LIMIT_MS = 60_000;

/**
 * The worker script next to a module, with that module's own extension: `.ts` when Node runs the
 * sources with type stripping, `.js` when they were compiled to dist/.
 */
export function renderWorkerUrl(moduleUrl: string = import.meta.url): URL {
  const ext = /\.[cm]?[jt]s$/.exec(new URL(moduleUrl).pathname)?.[0] ?? '.ts';
  return new URL(`./render-worker${ext}`, moduleUrl);
}

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Rebuilds an error from the worker as the engine's class (line and column kept) so callers can map it. */
function rebuildError(e: SerializedError): Error {
  if (e.kind === 'TemplateSyntaxError')
    return new TemplateSyntaxError(e.rawMessage ?? e.message, e.line ?? 1, e.column ?? 1, e.templateName);
  if (!e.template) return new Error(e.message);
  let err: TemplateError;
  switch (e.kind) {
    case 'BudgetError':
      err = new BudgetError(e.message);
      break;
    case 'SecurityError':
      err = new SecurityError(e.message);
      break;
    case 'UndefinedError':
      err = new UndefinedError(e.message);
      break;
    case 'TemplateNotFound':
      err = new TemplateNotFound(e.templateName ?? '');
      break;
    case 'TemplateRuntimeError':
      err = new TemplateRuntimeError(e.message);
      break;
    default:
      err = new TemplateError(e.message);
  }
  err.message = e.message;
  err.line = e.line;
  err.templateName = e.templateName;
  return err;
}

/** A pool of render worker threads with a bounded queue and a hard wall-clock kill. */
export class RenderPool {
  readonly size: number;
  readonly maxQueue: number;
  readonly heapMb: number;
  readonly graceMs: number;
  readonly timeLimitMs: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a kill or crash (for tests and metrics). */
  restarts = 0;

  constructor(options: RenderPoolOptions = {}) {
    this.size = options.size ?? envInt('PEERDESK_RENDER_WORKERS', 2, 1, Math.max(64, availableParallelism() * 4));
    this.maxQueue = options.maxQueue ?? envInt('PEERDESK_RENDER_QUEUE', 32, 0, 100_000);
    this.heapMb = options.heapMb ?? envInt('PEERDESK_RENDER_HEAP_MB', 256, 32, 16_384);
    this.graceMs = options.graceMs ?? 2000;
    this.timeLimitMs =
      options.timeLimitMs ?? envInt('PEERDESK_RENDER_TIME_LIMIT_MS', DEFAULT_LIMITS.timeLimitMs, 100, 3_600_000);
  }

  /** Renders a job on a worker; rejects with the engine's errors, RenderBusyError or a RENDER_STOPPED TemplateError. */
  render(job: RenderJob): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the render pool is closed'));
    return new Promise<string>((resolve, reject) => {
      const p: Pending = {
        id: this.nextId++,
        job: job.timeLimitMs === undefined ? { ...job, timeLimitMs: this.timeLimitMs } : job,
        resolve,
        reject,
      };
      const idle = this.idleSlot();
      if (idle) return this.dispatch(idle, p);
      if (this.queue.length >= this.maxQueue) return reject(new RenderBusyError());
      this.queue.push(p);
    });
  }

  /** Renders waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Renders running on a worker right now. */
  get running(): number {
    return this.slots.filter((s) => s.job !== null).length;
  }

  /** Terminates every worker and rejects renders still waiting or running. */
  async close(): Promise<void> {
    this.closed = true;
    const waiting = this.queue.splice(0);
    for (const p of waiting) p.reject(new Error('the render pool was closed'));
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async (s) => {
        s.dead = true;
        if (s.timer) clearTimeout(s.timer);
        if (s.job) s.job.reject(new Error('the render pool was closed'));
        s.job = null;
        await s.worker.terminate();
      }),
    );
  }

  private idleSlot(): Slot | null {
    const free = this.slots.find((s) => s.job === null && !s.dead);
    if (free) return free;
    if (this.slots.length < this.size) return this.spawn();
    return null;
  }

  private spawn(): Slot {
    const worker = new Worker(renderWorkerUrl(), {
      resourceLimits: {
        maxOldGenerationSizeMb: this.heapMb,
        maxYoungGenerationSizeMb: Math.min(64, Math.max(8, this.heapMb / 8)),
        stackSizeMb: 4,
      },
      // Keep the parent's loader flags (type stripping, test hooks) but not inspector ports.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
    });
    const slot: Slot = { worker, job: null, timer: null, dead: false, ready: false };
    worker.on('message', (msg: WorkerReply) => this.onReply(slot, msg));
    worker.on('error', (err: Error & { code?: string }) => this.onCrash(slot, err));
    worker.on('exit', () => this.onCrash(slot, null));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private dispatch(slot: Slot, p: Pending): void {
    slot.job = p;
    slot.worker.ref();
    this.arm(slot);
    const req: WorkerRequest = { id: p.id, job: p.job };
    try {
      slot.worker.postMessage(req);
    } catch (err) {
      // A context that cannot be cloned (functions, symbols) is the caller's bug, not the template's.
      this.finish(slot);
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Starts the hard wall-clock stop of the slot's job (after boot, so a slow start is not held against it). */
  private arm(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    const limit = slot.job?.job.timeLimitMs ?? this.timeLimitMs;
    // The engine stops itself at `limit` when it can; this is the hard stop for when it cannot.
    slot.timer = setTimeout(() => this.kill(slot), slot.ready ? limit + this.graceMs : BOOT_LIMIT_MS);
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    if (!slot.dead) {
      slot.worker.unref();
      this.drain();
    }
  }

  private drain(): void {
    while (this.queue.length) {
      const slot = this.idleSlot();
      if (!slot) return;
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private onReply(slot: Slot, msg: WorkerReply): void {
    if ('ready' in msg) {
      slot.ready = true;
      if (slot.job) this.arm(slot);
      return;
    }
    const p = slot.job;
    if (!p || p.id !== msg.id) return;
    this.finish(slot);
    if (msg.ok) p.resolve(msg.output);
    else p.reject(rebuildError(msg.error));
  }

  /** Terminates a worker whose render overran; the render fails and a fresh worker takes its place. */
  private kill(slot: Slot): void {
    if (slot.dead) return;
    this.retire(slot, new TemplateError(`${RENDER_STOPPED} (time limit)`));
    void slot.worker.terminate();
  }

  private onCrash(slot: Slot, err: (Error & { code?: string }) | null): void {
    if (slot.dead) return;
    const oom = err?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(err?.message ?? '');
    // A worker that dies before it is ready is a deployment fault (missing file, bad build), not the template's.
    if (!slot.ready && !oom)
      return this.retire(slot, new Error(`the render worker failed to start: ${err?.message ?? 'it exited'}`));
    this.retire(slot, new TemplateError(`${RENDER_STOPPED} (${oom ? 'memory limit' : 'worker stopped'})`));
  }

  private retire(slot: Slot, reason: Error): void {
    slot.dead = true;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const p = slot.job;
    slot.job = null;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (this.closed) return;
    this.restarts++;
    if (p) p.reject(reason);
    this.drain();
  }
}

let shared: RenderPool | null = null;

/** The process-wide render pool (created on first use from the PEERDESK_RENDER_* variables). */
export function getRenderPool(): RenderPool {
  if (!shared) shared = new RenderPool();
  return shared;
}

/** Renders a template in the shared worker pool (see RenderPool.render for the errors). */
export function renderIsolated(job: RenderJob): Promise<string> {
  return getRenderPool().render(job);
}

/**
 * Compiles a template in the shared pool without rendering it: a syntax check that cannot stall the
 * event loop however large the body (rejects with TemplateSyntaxError naming line and column).
 */
export async function checkSyntaxIsolated(
  job: Omit<RenderJob, 'context' | 'mode'> & { context?: unknown },
): Promise<void> {
  await getRenderPool().render({ ...job, context: {}, mode: 'check' });
}

/** Shuts the shared pool down (server close, tests); a later render starts a new pool. */
export async function closeRenderPool(): Promise<void> {
  const p = shared;
  shared = null;
  if (p) await p.close();
}
