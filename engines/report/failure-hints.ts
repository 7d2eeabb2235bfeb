/**
 * What the HTML page says about a failure reason: its class and what to fix, from the core's table
 * (lambda/core/failures.ts, the one place reasons, classes and hints are kept). A class the report row carries wins.
 */
import { failureClassOf, failureHint, type FailureClass } from '../../lambda/core/failures';

export interface FailureDescription {
  readonly reason: string;
  readonly class: FailureClass;
  readonly hint: string;
}

export function describeFailure(failure: { readonly reason: string; readonly class?: FailureClass }): FailureDescription {
  return { reason: failure.reason, class: failure.class ?? failureClassOf(failure.reason), hint: failureHint(failure.reason) };
}
