// gRPC transport (@grpc/grpc-js): one channel per router per session, a deadline on every call, and
// gRPC status codes mapped to Peerdesk's router errors. Used by the GoBGP driver with its API subset.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { DriverSessionOptions, RouterCredentials } from '../driver.types.ts';
import { callTimeout, deviceError, logCall, onAbort, timedOut, unreachable } from './common.ts';

type Callback = (err: grpc.ServiceError | null, value?: unknown) => void;
type GrpcStub = grpc.Client &
  Record<string, (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb?: Callback) => unknown>;

const loaded = new Map<string, grpc.GrpcObject>();

/** Loads a .proto once (field names kept as written, 64-bit integers as numbers, enums as numbers). */
function loadProto(path: string): grpc.GrpcObject {
  let pkg = loaded.get(path);
  if (!pkg) {
    const def = protoLoader.loadSync(path, {
      keepCase: true,
      longs: Number,
      enums: Number,
      defaults: false,
      oneofs: true,
    });
    pkg = grpc.loadPackageDefinition(def);
    loaded.set(path, pkg);
  }
  return pkg;
}

/** Splits `grpc://host:port` (IPv6 in brackets). */
export function parseGrpcUrl(hostname: string): { host: string; port: number } | null {
  const m = /^grpc:\/\/(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(hostname);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : null;
}

/** A gRPC client for one service of one router. */
export class GrpcConnection {
  private readonly stub: GrpcStub;
  private readonly router: string;
  private readonly opts: DriverSessionOptions;

  constructor(
    router: string,
    address: string,
    protoPath: string,
    service: string,
    credentials: RouterCredentials | null,
    opts: DriverSessionOptions,
  ) {
    const pkg = loadProto(protoPath);
    const Ctor = service.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], pkg) as
      typeof grpc.Client | undefined;
    if (!Ctor) throw new Error(`service ${service} not in ${protoPath}`);
    // GoBGP's API is plain TCP unless started with TLS; a CA in the credentials turns TLS on.
    const creds = credentials?.ca_pem
      ? grpc.credentials.createSsl(Buffer.from(credentials.ca_pem))
      : grpc.credentials.createInsecure();
    this.stub = new Ctor(address, creds, { 'grpc.max_receive_message_length': 256 * 1024 * 1024 }) as GrpcStub;
    this.router = router;
    this.opts = opts;
  }

  private deadline(): Date {
    return new Date(Date.now() + callTimeout(this.opts));
  }

  private mapError(method: string, err: grpc.ServiceError): Error {
    if (err.code === grpc.status.UNAVAILABLE) return unreachable(this.router, `gRPC ${err.details || 'unavailable'}`);
    if (err.code === grpc.status.DEADLINE_EXCEEDED) return timedOut(this.router, method, callTimeout(this.opts));
    if (err.code === grpc.status.CANCELLED) return unreachable(this.router, 'cancelled');
    return deviceError(this.router, method, `${grpc.status[err.code] ?? err.code}: ${err.details}`);
  }

  /** A unary call. `shown` is what the job log shows for the request. */
  unary<T>(method: string, request: object, shown = JSON.stringify(request)): Promise<T> {
    return new Promise((resolve, reject) => {
      let call: { cancel(): void } | null = null;
      const cleanup = onAbort(this.opts.signal, () => call?.cancel());
      call = this.stub[method](request, new grpc.Metadata(), { deadline: this.deadline() }, (err, value) => {
        cleanup();
        if (err) {
          void logCall(this.opts.log, this.router, `${method} ${shown}`, `error ${err.details}`);
          return reject(this.mapError(method, err));
        }
        void logCall(this.opts.log, this.router, `${method} ${shown}`, JSON.stringify(value ?? {}));
        resolve(value as T);
      }) as { cancel(): void };
    });
  }

  /** A server-streaming call, collected into an array. */
  stream<T>(method: string, request: object, shown = JSON.stringify(request)): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const items: T[] = [];
      let settled = false;
      const call = this.stub[method](request, new grpc.Metadata(), {
        deadline: this.deadline(),
      }) as grpc.ClientReadableStream<T>;
      const cleanup = onAbort(this.opts.signal, () => call.cancel());
      call.on('data', (item: T) => items.push(item));
      call.on('error', (err: grpc.ServiceError) => {
        if (settled) return;
        settled = true;
        cleanup();
        void logCall(this.opts.log, this.router, `${method} ${shown}`, `error ${err.details}`);
        reject(this.mapError(method, err));
      });
      call.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        void logCall(
          this.opts.log,
          this.router,
          `${method} ${shown}`,
          `${items.length} item(s): ${JSON.stringify(items)}`,
        );
        resolve(items);
      });
    });
  }

  close(): void {
    this.stub.close();
  }
}
