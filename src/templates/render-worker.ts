// Worker thread of the render pool: renders one job at a time inside its own V8 heap (resourceLimits set by
// the pool), so a hostile template can exhaust only this isolate, never the API's event loop or heap.
import { parentPort } from 'node:worker_threads';
import { TemplateError, TemplateSyntaxError } from './engine/index.ts';
import { createPeerdeskEnvironment, type PeerdeskEnvironmentOptions } from './environment.ts';
import type { RenderJob, SerializedError, WorkerReply, WorkerRequest } from './render-pool.ts';

/** Turns any thrown value into plain data the pool can rebuild as the same error class. */
function serializeError(err: unknown): SerializedError {
  if (err instanceof TemplateSyntaxError) {
    return {
      kind: 'TemplateSyntaxError',
      message: err.message,
      rawMessage: err.rawMessage,
      line: err.line,
      column: err.column,
      templateName: err.templateName,
    };
  }
  if (err instanceof TemplateError) {
    return { kind: err.name, message: err.message, line: err.line, templateName: err.templateName, template: true };
  }
  return { kind: 'Error', message: err instanceof Error ? err.message : String(err), template: false };
}

/** Renders one job with the Peerdesk environment: stored templates first, then the shipped ones. */
function render(job: RenderJob): string {
  const templates = job.templates;
  const options: PeerdeskEnvironmentOptions = {
    trimBlocks: job.options.trimBlocks,
    lstripBlocks: job.options.lstripBlocks,
    keepTrailingNewline: job.options.keepTrailingNewline,
    undefined: job.options.undefined,
    dialect: job.options.dialect,
    loader: (name: string) => (Object.hasOwn(templates, name) ? templates[name] : undefined),
  };
  if (job.timeLimitMs !== undefined) options.timeLimitMs = job.timeLimitMs;
  if (job.limits) Object.assign(options, job.limits);
  const env = createPeerdeskEnvironment(options);
  const tpl = env.fromString(job.body, job.name);
  if (job.mode === 'check') return '';
  return tpl.render((job.context ?? {}) as Record<string, unknown>);
}

const port = parentPort;
if (!port) throw new Error('render-worker.ts must run as a worker thread');
port.on('message', (msg: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: msg.id, ok: true, output: render(msg.job) };
  } catch (err) {
    reply = { id: msg.id, ok: false, error: serializeError(err) };
  }
  port.postMessage(reply);
});
// Imports are done: the pool starts the job's wall-clock limit from here.
port.postMessage({ ready: true } satisfies WorkerReply);
