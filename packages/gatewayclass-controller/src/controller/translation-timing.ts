// When the controller translates next: pure arithmetic over the times of changes and of the last
// translation (performance.now() milliseconds), kept apart from the timers so it can be tested.

export interface PendingChanges {
  /** The first change not yet translated. */
  readonly since: number;
  /** The latest change. */
  readonly lastAt: number;
  /**
   * More than one change waits, or the one waiting came within the window after the change before
   * it: a burst. A lone change that merely lands soon after a translation is not one.
   */
  readonly dense: boolean;
}

export interface TranslationTiming {
  /** Least time between translations; also the quiet that ends a short burst. */
  readonly windowMs: number;
  /** The longest a burst that keeps going holds its first change. */
  readonly burstMaxWaitMs: number;
}

export interface Due {
  readonly at: number;
  /** A change after a quiet period: translated at once. */
  readonly leading: boolean;
  /** The quiet that ends this burst (it grows while the burst goes on). */
  readonly quietMs: number;
}

/**
 * Leading edge: a change after a quiet period is translated at once. A lone change soon after a
 * translation waits only for the window to pass. In a burst, translation waits until no change
 * came for the quiet, or a wait that doubles with each translation the burst has lasted (up to
 * burstMaxWaitMs) after its first untranslated change; never sooner than the window after the
 * previous translation.
 */
export function translationDue(pending: PendingChanges, lastLoopEnd: number, burstLevel: number, t: TranslationTiming): Due {
  const window = t.windowMs;
  const maxWait = Math.min(Math.max(2 * window, t.burstMaxWaitMs), 2 * window * 2 ** burstLevel);
  // A burst that goes on is also one whose changes come a little further apart (a storm of
  // creates the API server takes in clumps): the quiet that ends it grows to 4 × the window.
  const quietMs = window * 2 ** Math.min(burstLevel, 2);
  const leading = pending.since >= lastLoopEnd + window;
  const at = leading
    ? pending.since
    : !pending.dense
      ? lastLoopEnd + window
      : Math.max(lastLoopEnd + window, Math.min(pending.lastAt + quietMs, pending.since + maxWait));
  return { at, leading, quietMs };
}

/** The burst level for the translation starting `now`: one more while dense changes keep coming. */
export function nextBurstLevel(pending: PendingChanges, due: Due, burstLevel: number, now: number): number {
  return pending.dense && !due.leading && now < pending.lastAt + due.quietMs ? Math.min(burstLevel + 1, 16) : 0;
}
