import type { CredentialChange, CredentialState, CredentialStore } from "../ports/credential-store.js";
import { PENDING_GRACE_MS } from "../ports/credential-store.js";

interface Record {
  epoch: number;
  gone: boolean;
  pwd?: string;
  prev?: string;
  user?: string;
  at: number;
  pending?: { value: string; at: number };
}

/** What a use of a credential finds in the record (see CREDENTIAL_LUA in redis-credential-store.ts). */
export interface CredentialView {
  epoch: number;
  gone: boolean;
  /** A change has been in flight longer than the grace period. */
  stuck: boolean;
  user: string | undefined;
}

/**
 * The credential records in this process's memory (dev and tests), with the same rules as the
 * Redis scripts: the memory session and refresh stores call {@link view} and {@link admit} in
 * the same synchronous step as their own change, which is what makes them atomic here.
 */
export class MemoryCredentialStore implements CredentialStore {
  private readonly records = new Map<string, Record>();

  private record(userId: string): Record {
    let r = this.records.get(userId);
    if (!r) this.records.set(userId, (r = { epoch: 0, gone: false, at: -1 }));
    return r;
  }

  view(userId: string, now: number): CredentialView {
    const r = this.records.get(userId);
    if (!r) return { epoch: 0, gone: false, stuck: false, user: undefined };
    return { epoch: r.epoch, gone: r.gone, stuck: r.pending !== undefined && now - r.pending.at > PENDING_GRACE_MS, user: r.user };
  }

  /** The one rule of a credential's life: it counts while the user is not gone and it carries the record's epoch. */
  current(userId: string, epoch: number, now: number): boolean {
    const view = this.view(userId, now);
    return !view.gone && epoch === view.epoch;
  }

  /** Compare-and-create: may a sign-in that verified the hash with fingerprint `pwd` begin a credential? */
  admit(userId: string, pwd: string, user: { json: string; at: number }, now: number): "ok" | "refused" | "pending" {
    const view = this.view(userId, now);
    if (view.gone) return "refused";
    if (view.stuck) return "pending";
    const r = this.record(userId);
    if (r.pwd !== undefined && r.pwd !== pwd && r.prev !== pwd) return "refused";
    r.pwd ??= pwd;
    if (r.at <= user.at) Object.assign(r, { user: user.json, at: user.at });
    return "ok";
  }

  async read(userId: string): Promise<CredentialState> {
    const r = this.records.get(userId);
    return { epoch: r?.epoch ?? 0, gone: r?.gone ?? false, pwd: r?.pwd, pending: r?.pending };
  }

  async prepare(userId: string, pending: string, now: number): Promise<void> {
    this.record(userId).pending = { value: pending, at: now };
  }

  /** `keep` is re-stamped by the memory session and refresh stores through {@link onKeep}. */
  async commit(userId: string, change: CredentialChange): Promise<void> {
    const r = this.record(userId);
    if (change.revoke || change.gone) r.epoch += 1;
    if (change.pwd !== undefined) {
      r.prev = change.rehash ? r.pwd : undefined;
      r.pwd = change.pwd;
    }
    if (change.user && r.at <= change.user.at) Object.assign(r, { user: change.user.json, at: change.user.at });
    if (change.settles !== undefined && r.pending?.value === change.settles) r.pending = undefined;
    if (change.gone) Object.assign(r, { gone: true, user: undefined, pwd: undefined, prev: undefined, pending: undefined });
    if (change.keep) for (const listener of this.keepers) listener(userId, change.keep, r.epoch);
  }

  private readonly keepers: ((userId: string, keep: NonNullable<CredentialChange["keep"]>, epoch: number) => void)[] = [];

  /** Lets a memory store re-stamp the credential a change keeps. */
  onKeep(listener: (userId: string, keep: NonNullable<CredentialChange["keep"]>, epoch: number) => void): void {
    this.keepers.push(listener);
  }
}
