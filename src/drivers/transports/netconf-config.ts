// Candidate-datastore bookkeeping shared by the NETCONF drivers (Junos, IOS-XR): the candidate lock taken
// once per change and released when it ends, the phase of a deployment (idle → loaded → confirming),
// discard on failure, and the lock/discard/unlock order on close. Each driver supplies only its own RPCs.
import type { CandidateResult, RouterTarget } from '../driver.types.ts';
import type { NetconfSession } from './netconf.ts';

/** Where this session's change stands: nothing pending, a loaded candidate, or a commit awaiting confirmation. */
export type CandidatePhase = 'idle' | 'loaded' | 'confirming';

/** Base of a NETCONF driver session that changes the router through the locked candidate datastore. */
export abstract class NetconfCandidateSession {
  protected readonly nc: NetconfSession;
  protected readonly router: RouterTarget;
  protected phase: CandidatePhase = 'idle';
  private locked = false;
  /** The RPC that commits the candidate (and so confirms a pending confirmed commit). */
  private readonly commitRpc: string;

  constructor(nc: NetconfSession, router: RouterTarget, commitRpc: string) {
    this.nc = nc;
    this.router = router;
    this.commitRpc = commitRpc;
  }

  async discardCandidate(): Promise<void> {
    await this.discardQuietly();
    this.phase = 'idle';
    await this.unlock();
  }

  async confirm(): Promise<void> {
    await this.lock();
    await this.nc.rpc(this.commitRpc);
    this.phase = 'idle';
    await this.unlock();
  }

  async close(): Promise<void> {
    if (this.locked && this.phase === 'loaded') await this.discardQuietly();
    if (this.locked) await this.unlock();
    await this.nc.close();
  }

  /** Runs one immediate change (edit + commit) under the lock; on failure the candidate is discarded. */
  protected async changeLocked(apply: () => Promise<void>): Promise<void> {
    await this.lock();
    try {
      await apply();
    } catch (e) {
      await this.discardQuietly();
      throw e;
    } finally {
      await this.unlock();
    }
  }

  /** Loads a candidate under the lock and returns its diff; a failed load or diff discards it and unlocks. */
  protected async loadLocked(load: () => Promise<void>, diff: () => Promise<string>): Promise<CandidateResult> {
    await this.lock();
    try {
      await load();
      this.phase = 'loaded';
      return { diff: await diff() };
    } catch (e) {
      await this.discardCandidate().catch(() => undefined);
      throw e;
    }
  }

  /** Sends the confirmed commit under the lock, which stays held until confirm or rollback. */
  protected async commitConfirmedWith(rpc: string): Promise<void> {
    await this.lock();
    await this.nc.rpc(rpc);
    this.phase = 'confirming';
  }

  /** Undoes a pending confirmed commit with `undo`, or else discards the candidate; always ends idle and unlocked. */
  protected async rollbackWith(confirming: () => Promise<boolean>, undo: () => Promise<void>): Promise<void> {
    try {
      if (await confirming()) await undo();
      else await this.discardQuietly();
    } finally {
      this.phase = 'idle';
      await this.unlock();
    }
  }

  protected async lock(): Promise<void> {
    if (this.locked) return;
    await this.nc.rpc('<lock><target><candidate/></target></lock>');
    this.locked = true;
  }

  private async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    try {
      await this.nc.rpc('<unlock><target><candidate/></target></unlock>');
    } catch {
      /* the lock ends with the session anyway */
    }
  }

  private async discardQuietly(): Promise<void> {
    try {
      await this.nc.rpc('<discard-changes/>');
    } catch {
      /* nothing to discard, or the session is gone */
    }
  }
}
