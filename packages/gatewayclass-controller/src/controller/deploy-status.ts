// What the deployer learned, folded into the translator's reports: bad GatewayParameters make the
// GatewayClass or Gateway not Accepted (InvalidParameters), and a LoadBalancer Service still
// waiting for an address keeps the Gateway from being Programmed (AddressNotAssigned), and the
// Service's addresses become the Gateway's status.addresses; a requested static address that
// cannot be had keeps it from being Programmed too (AddressNotUsable).
import type { Condition, GatewayStatus } from '@gantry/api';
import type { ReconcileResult, RenderProblem } from '../deployer/index.js';
import type { StatusReport } from '@gantry/translator';

function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const out = (conditions ?? []).filter((c) => c.type !== next.type);
  out.push(next);
  return out;
}

function problemText(problems: readonly RenderProblem[]): string {
  return problems.map((p) => p.message).join('; ');
}

export function withDeployment(report: StatusReport, result: ReconcileResult | undefined): StatusReport {
  if (result === undefined) return report;
  if (result.kind === 'rejected') {
    const mine = result.problems.filter((p) => p.object === report.kind);
    // Problems concern GatewayClasses and Gateways only.
    if (mine.length === 0 || (report.kind !== 'GatewayClass' && report.kind !== 'Gateway')) return report;
    const status = report.status;
    const reason = mine.some((p) => p.reason === 'InvalidParameters') ? 'InvalidParameters' : 'Invalid';
    let conditions = setCondition(status.conditions, {
      type: 'Accepted', status: 'False', reason, message: problemText(mine), observedGeneration: report.generation,
    });
    if (report.kind === 'Gateway') {
      conditions = setCondition(conditions, {
        type: 'Programmed', status: 'False', reason: 'Invalid', message: 'Not deployed: the Gateway is not accepted', observedGeneration: report.generation,
      });
    }
    return report.kind === 'Gateway'
      ? { ...report, status: { ...report.status, conditions } }
      : { ...report, status: { ...report.status, conditions } };
  }
  if (report.kind !== 'Gateway') return report;
  // The addresses travel in the report: a report that differs only in them is still a change
  // the status writer must not skip.
  const status: GatewayStatus = { ...report.status, addresses: [...result.addresses] };
  if (result.addressNotUsable !== undefined) {
    status.conditions = setCondition(status.conditions, {
      type: 'Programmed', status: 'False', reason: 'AddressNotUsable', message: result.addressNotUsable, observedGeneration: report.generation,
    });
  } else if (result.addressesPending) {
    status.conditions = setCondition(status.conditions, {
      type: 'Programmed', status: 'False', reason: 'AddressNotAssigned',
      message: 'Waiting for the Gateway Service to get a load-balancer address', observedGeneration: report.generation,
    });
  }
  return { ...report, status };
}
