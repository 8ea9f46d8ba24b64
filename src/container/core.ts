import { logSafely } from "../logger.js";
import type { EngineHost } from "../engine/model.js";
import { releaseOrphan } from "../engine/release.js";
import { pushAll } from "../internal/maybe.js";
import { cancelTimer, startTimer, type Timer } from "../internal/timer.js";

/**
 * The container's runtime past its registrations: releases nobody awaits (keep-alive expiry, abandoned
 * creations, crashes) and their errors, and the tail of the root's close that flushes and waits for them.
 */
export class Orphans {
  private readonly errors: unknown[] = [];
  /** Releases nobody awaits, until they have reported. */
  private readonly releases = new Set<Promise<void>>();

  constructor(private readonly host: EngineHost) {}

  /** An error of a disposal nobody awaits: kept for the container's close, logged once it is closed. */
  report(error: unknown, name: string): void {
    if (this.host.root.state === "closed")
      logSafely(this.host.logger, "error", `Disposing ${name} failed`, error);
    else this.errors.push(error);
  }

  /** Keep track of a release nobody awaits, so that the container's close waits for its report. */
  track(release: Promise<void>): Promise<void> {
    this.releases.add(release);
    void release.then(() => this.releases.delete(release));
    return release;
  }

  /** The root has dropped its references: flush keep-alives, wait for what still runs, collect the errors. */
  async afterRootReleased(errors: unknown[]): Promise<void> {
    const host = this.host;
    const live = host.live;
    const pending: Promise<void>[] = [];
    for (const record of live.toArray()) {
      if (record.state === "ready" && record.refCount === 0 && record.keepAliveTimer !== undefined) {
        const r = releaseOrphan(record);
        if (r) pending.push(r);
      }
    }
    await Promise.all(pending);
    if (live.size || this.releases.size) {
      // What still starts or releases, and the reports of releases nobody awaits (a creation abandoned now
      // is released later): wait for all of it, bounded, so that its errors reach this close.
      let timer: Timer | undefined;
      let expired = false;
      const limit = new Promise<void>((resolve) => {
        timer = startTimer(Math.max(1000, host.defaultDisposeTimeoutMs ?? 0), () => {
          expired = true;
          resolve();
        });
      });
      while (!expired && (live.size || this.releases.size)) {
        const gone = live.toArray().map((r) => r.whenGone());
        await Promise.race([Promise.all([...gone, ...this.releases]), limit]);
      }
      cancelTimer(timer);
      for (const r of live.toArray()) {
        logSafely(
          host.logger,
          "warn",
          `${r.name} is still ${r.state} after the container closed (something still holds it)`,
        );
      }
    }
    pushAll(errors, this.errors.splice(0));
  }
}
