// The data generation: a value that changes whenever stored data may have changed, in this process
// or another one sharing the database. Read caches key their entries by it, so a write anywhere
// invalidates them without bookkeeping per object.
//   SQLite: a counter bumped by every write statement on our connection (Kysely serialises the
//           connection, so no read can see an uncommitted write) + PRAGMA data_version (commits by
//           other processes).
//   PostgreSQL: statement triggers NOTIFY at commit; every process LISTENs and bumps its counter.
//           Writes made through this process's API also bump it when the request ends
//           (read-your-writes without waiting for the notification).
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

// Tables whose churn says nothing about what cached API reads show. `router_poll_status` (when each
// router was last polled) and `router_jobs` are written by every poll; only uncached routes read them
// (the router's detail and live panel), so a cached router list shows last_polled_at as of the last
// other write.
const QUIET = new Set([
  'jobs',
  'job_logs',
  'workers',
  'ui_sessions',
  'api_tokens',
  'changes',
  'router_poll_status',
  'router_jobs',
  'peerdesk_migrations',
  'peerdesk_migrations_lock',
]);

/** Tracks the data generation of one database handle. */
export class DataGeneration {
  #local = 0;
  #dataVersion: (() => number) | null = null;
  #listening = false;
  /** Whether the generation can be trusted across processes (PostgreSQL needs its listener). */
  get reliable(): boolean {
    return this.#dataVersion !== null || this.#listening;
  }
  /** Marks that data changed (a write statement or a notification). */
  bump(): void {
    this.#local++;
  }
  /** SQLite: reads PRAGMA data_version to see other processes' commits. */
  useDataVersion(read: () => number): void {
    this.#dataVersion = read;
  }
  /** PostgreSQL: the LISTEN connection is up. */
  setListening(on: boolean): void {
    this.#listening = on;
    this.bump();
  }
  /** The current generation as a cache-key part. */
  current(): string {
    return this.#dataVersion ? `${this.#local}.${this.#dataVersion()}` : String(this.#local);
  }
}

function tableOf(node: any): string | null {
  const t = node.into ?? node.table ?? node.from?.froms?.[0];
  const ident = t?.table?.identifier?.name ?? t?.node?.table?.identifier?.name ?? t?.identifier?.name;
  return typeof ident === 'string' ? ident : null;
}

/** A Kysely plugin that bumps the generation on every write statement (SQLite's in-process path). */
export function writeTracker(gen: DataGeneration): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const n = args.node as any;
      if (n.kind === 'InsertQueryNode' || n.kind === 'UpdateQueryNode' || n.kind === 'DeleteQueryNode') {
        const table = tableOf(n);
        if (!table || !QUIET.has(table)) gen.bump();
      } else if (n.kind === 'RawNode') {
        const text = (n.sqlFragments ?? []).join(' ').trimStart().toLowerCase();
        if (/^(insert|update|delete|create|drop|alter)/.test(text) && !/^update jobs\b/.test(text)) gen.bump();
      }
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
}

export { QUIET as QUIET_TABLES };
