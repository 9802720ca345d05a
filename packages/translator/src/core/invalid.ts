// Invalid input as a value: what the translators return instead of throwing, so one bad field
// drops only what it belongs to (a rule, a listener) and is reported with the spec's reason.
import { Reason } from '../status/conditions.js';

export class Invalid {
  constructor(
    readonly reason: string,
    readonly message: string,
  ) {}
}

export function invalid(message: string, reason: string = Reason.UnsupportedValue): Invalid {
  return new Invalid(reason, message);
}
