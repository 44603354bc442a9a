// Prometheus metrics: HTTP requests by route and status, job counts and durations.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'peerdesk_' });

export const httpRequests = new Counter({
  name: 'peerdesk_http_requests_total',
  help: 'HTTP requests',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});
export const httpDuration = new Histogram({
  name: 'peerdesk_http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});
export const jobsFinished = new Counter({
  name: 'peerdesk_jobs_total',
  help: 'Jobs finished',
  labelNames: ['kind', 'status'],
  registers: [registry],
});
export const jobDuration = new Histogram({
  name: 'peerdesk_job_duration_seconds',
  help: 'Job run time',
  labelNames: ['kind'],
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
  registers: [registry],
});
