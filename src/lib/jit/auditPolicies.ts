import { isWildcardSourceSet } from '../nsg/sourceWildcard.js';
import { allowedSourcesOf, type JitVmLike } from './jitPort.js';

/** The parts of a JIT policy the audit reads (SDK model or raw ARM JSON flattened the same way). */
export interface JitPolicyForAudit {
  readonly id?: string;
  readonly name?: string;
  readonly virtualMachines?: readonly JitVmLike[];
}

/** A VM port whose JIT policy lets anyone request access from anywhere: the root cause the guard keeps cleaning up after. */
export interface PolicyFinding {
  readonly policyId: string;
  readonly vmId: string;
  readonly vmName: string;
  readonly port: number;
  readonly allowedSources: readonly string[];
}

export function auditJitPolicies(policies: readonly JitPolicyForAudit[]): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const policy of policies) {
    for (const vm of policy.virtualMachines ?? []) {
      for (const port of vm.ports ?? []) {
        const sources = allowedSourcesOf(port);
        if (port.number === undefined || !isWildcardSourceSet(sources)) continue;
        findings.push({
          policyId: policy.id ?? policy.name ?? 'unknown',
          vmId: vm.id ?? 'unknown',
          vmName: vm.id?.split('/').filter(Boolean).pop() ?? 'unknown',
          port: port.number,
          allowedSources: sources,
        });
      }
    }
  }
  return findings;
}
