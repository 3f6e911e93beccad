import { isWildcardSource } from '../nsg/sourceWildcard.js';

/** The parts of a JIT policy the audit reads (SDK model or raw ARM JSON flattened the same way). */
export interface JitPolicyForAudit {
  readonly id?: string;
  readonly name?: string;
  readonly virtualMachines?: readonly {
    readonly id?: string;
    readonly ports?: readonly {
      readonly number?: number;
      readonly allowedSourceAddressPrefix?: string;
      readonly allowedSourceAddressPrefixes?: readonly string[];
    }[];
  }[];
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
        const sources = [
          ...(port.allowedSourceAddressPrefix ? [port.allowedSourceAddressPrefix] : []),
          ...(port.allowedSourceAddressPrefixes ?? []),
        ];
        if (port.number === undefined || !sources.some(isWildcardSource)) continue;
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
