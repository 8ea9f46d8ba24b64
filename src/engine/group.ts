/** A parallel group of dependencies: the first failure gives up the rest (SEMANTICS 2.3). */
import { isCancellation } from "../errors.js";
import { isPromise, type MaybePromise } from "../internal/maybe.js";
import { logSafely } from "../logger.js";
import { giveUp } from "./flight.js";
import { InstanceRecord } from "./model.js";

/** Acquire in parallel (launched in order); the first failure gives up the others (SEMANTICS 2.3). */
export function acquireGroup(
  record: InstanceRecord,
  starts: (() => MaybePromise<unknown>)[],
): Promise<unknown[]> {
  const group: InstanceRecord[] = [];
  record.pushDep(group);
  record.group = group;
  const results = new Array<unknown>(starts.length);
  return new Promise<unknown[]>((resolve, reject) => {
    let remaining = starts.length;
    let failed = false;
    let failure: unknown;
    const end = (): void => {
      record.group = undefined;
      record.groupFailed = undefined;
    };
    const fail = (err: unknown): void => {
      if (failed) {
        // A member that failed by itself after the group had failed, although the group gave it up (it was
        // waiting for an earlier instance's release): nobody else receives that (SEMANTICS 4.5).
        // The failure itself coming back (any value, `undefined` too) is no second error.
        if (err !== failure && !isCancellation(err, failure)) {
          logSafely(
            record.reg.host.logger,
            "warn",
            `A parallel dependency of ${record.name} failed after its group had failed`,
            err,
          );
        }
        return;
      }
      failed = true;
      failure = err;
      end();
      if (record.childWaiters) for (const w of [...record.childWaiters]) giveUp(w, err);
      reject(err);
    };
    const settle = (): void => {
      if (--remaining === 0 && !failed) {
        end();
        resolve(results);
      }
    };
    if (remaining === 0) {
      end();
      resolve(results);
      return;
    }
    record.groupFailed = fail;
    starts.forEach((start, i) => {
      if (failed) return;
      let v: MaybePromise<unknown>;
      try {
        v = start();
      } catch (err) {
        fail(err);
        return;
      }
      if (isPromise(v)) {
        v.then((x) => {
          results[i] = x;
          settle();
        }, fail);
      } else {
        results[i] = v;
        settle();
      }
    });
  });
}
