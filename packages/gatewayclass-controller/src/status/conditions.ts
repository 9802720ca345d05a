// Merging the translator's conditions into the ones an object already has. The translator has no
// clock; lastTransitionTime is decided here, from the previous condition of the same type.
import type { Condition } from '@gantry/api';

/** metav1.Condition's message limit; longer messages would make the whole write fail. */
export const MAX_CONDITION_MESSAGE = 32768;

export interface ConditionMergeOptions {
  /** RFC 3339 time for conditions that are new or whose status changed. */
  readonly now: string;
  /** observedGeneration for desired conditions that do not carry one. */
  readonly observedGeneration?: number;
}

/**
 * The desired conditions (in their order), each with lastTransitionTime kept from the current
 * condition of the same type when the status did not change (a new reason or message alone is
 * not a transition), else `now`. Current conditions of other types are dropped: these lists are
 * wholly ours.
 */
export function mergeConditions(current: readonly Condition[] | undefined, desired: readonly Condition[], opts: ConditionMergeOptions): Condition[] {
  const previous = new Map<string, Condition>();
  for (const c of Array.isArray(current) ? current : []) if (!previous.has(c.type)) previous.set(c.type, c);
  return desired.map((d) => {
    const prev = previous.get(d.type);
    const kept = prev !== undefined && prev.status === d.status && typeof prev.lastTransitionTime === 'string' && prev.lastTransitionTime !== '';
    const observedGeneration = d.observedGeneration ?? opts.observedGeneration;
    const message = d.message.length > MAX_CONDITION_MESSAGE ? `${d.message.slice(0, MAX_CONDITION_MESSAGE - 1)}…` : d.message;
    return {
      type: d.type,
      status: d.status,
      reason: d.reason,
      message,
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      lastTransitionTime: kept ? prev.lastTransitionTime! : opts.now,
    };
  });
}
