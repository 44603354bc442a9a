// The data generation: a value that changes whenever stored data may have changed, in this process
// or another one sharing the database. Read caches key their entries by it, so a write anywhere
// invalidates them without bookkeeping per object.
//   SQLite: a counter bumped by every write statement on our connection (Kysely serialises the
//           connection, so no read can see an uncommitted write) + PRAGMA data_version (commits by
//           other processes).
//   PostgreSQL: statement triggers NOTIFY at commit; every process LISTENs and bumps its counter.
//           Writes made through this process's API also bump it when the request ends
//           (read-your-writes without waiting for the notification).
import {
  AliasNode,
  DeleteQueryNode,
  InsertQueryNode,
  RawNode,
  SchemableIdentifierNode,
  TableNode,
  UpdateQueryNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
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

function tableOf(node: InsertQueryNode | UpdateQueryNode | DeleteQueryNode): string | null {
  const t = InsertQueryNode.is(node)
    ? node.into
    : UpdateQueryNode.is(node)
      ? (node.table ?? node.from?.froms[0])
      : node.from.froms[0];
  if (!t) return null;
  if (TableNode.is(t)) return t.table.identifier.name;
  if (AliasNode.is(t) && TableNode.is(t.node)) return t.node.table.identifier.name;
  if (SchemableIdentifierNode.is(t)) return t.identifier.name;
  return null;
}

/** A Kysely plugin that bumps the generation on every write statement (SQLite's in-process path). */
export function writeTracker(gen: DataGeneration): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const n = args.node;
      if (InsertQueryNode.is(n) || UpdateQueryNode.is(n) || DeleteQueryNode.is(n)) {
        const table = tableOf(n);
        if (!table || !QUIET.has(table)) gen.bump();
      } else if (RawNode.is(n)) {
        const text = n.sqlFragments.join(' ').trimStart().toLowerCase();
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
