import {
  adaptiveCard,
  fact,
  fitForTeams,
  footer,
  paragraph,
  readableTime,
  run,
  type AdaptiveCard,
  type CardElement,
} from './adaptiveCard.js';
import type { PolicyFinding } from '../jit/auditPolicies.js';
import { jitPortalUrl } from './portalLinks.js';
import { describePort, describeSources } from './wording.js';

/** One subscription's part of the digest. */
export interface DigestGroup {
  readonly subscriptionId: string;
  readonly subscriptionName: string | undefined;
  readonly findings: readonly PolicyFinding[];
}

/**
 * A digest of the root cause across the subscriptions swept: JIT policies that let anyone request
 * access from anywhere, grouped by subscription (by name where it is known).
 */
export function buildAuditDigestCard(
  groups: readonly DigestGroup[],
  portalUrl: string,
  occurredAt: string,
): AdaptiveCard {
  return fitForTeams((level) => buildAtLevel(groups, portalUrl, occurredAt, level), 3);
}

function buildAtLevel(
  groups: readonly DigestGroup[],
  portalUrl: string,
  occurredAt: string,
  level: number,
): AdaptiveCard {
  const findings = groups.flatMap((g) => g.findings);
  const vms = new Set(findings.map((f) => f.vmId.toLowerCase())).size;
  const ports = findings.length;
  const where = groups.length === 1 ? '' : ` in ${groups.length} subscriptions`;
  const headline = `Root cause: JIT policies let requesters open ${ports} ${ports === 1 ? 'port' : 'ports'} on ${vms} ${vms === 1 ? 'VM' : 'VMs'}${where} to any address`;
  const body: CardElement[] = [
    paragraph([run(headline, { weight: 'Bolder', size: 'Medium', color: 'Attention' })]),
    paragraph(
      [
        run(
          'Whoever may request JIT access to these VMs can open these ports to any address. The guardrail removes each such rule as it appears; fixing the policies stops it at the root.',
        ),
      ],
      { spacing: 'Small' },
    ),
  ];
  let budget = level === 0 ? 30 : level === 1 ? 10 : 3;
  let hidden = 0;
  for (const group of groups) {
    const byVm = new Map<string, PolicyFinding[]>();
    for (const f of group.findings) byVm.set(f.vmName, [...(byVm.get(f.vmName) ?? []), f]);
    if (groups.length > 1) {
      body.push(
        fact(
          'Subscription',
          group.subscriptionName === undefined
            ? group.subscriptionId
            : `${group.subscriptionName} (${group.subscriptionId})`,
        ),
      );
    }
    for (const [vm, vmFindings] of byVm) {
      if (budget <= 0) {
        hidden += 1;
        continue;
      }
      budget -= 1;
      body.push(
        fact(
          vm,
          vmFindings
            .map(
              (f) => `${describePort(String(f.port))} from ${describeSources(f.allowedSources).join(', ')}`,
            )
            .join('; '),
        ),
      );
    }
  }
  if (hidden > 0) body.push(fact('More', `${hidden} more VMs; see the sweep report`));
  body.push(fact('Next', 'restrict the allowed source of each port to known addresses (Fix JIT policy).'));
  const policies = [...new Set(findings.map((f) => f.policyId))];
  const only = groups.length === 1 ? groups[0]! : undefined;
  body.push(
    footer([
      ...(only === undefined
        ? []
        : ([
            [only.subscriptionName === undefined ? 'Subscription' : 'Subscription id', only.subscriptionId],
          ] as [string, string][])),
      ['Time', readableTime(occurredAt)],
      ...(level < 2
        ? ([['Policies', policies.slice(0, level === 0 ? 30 : 10).join(', ')]] as [string, string][])
        : []),
    ]),
  );
  if (only?.subscriptionName !== undefined)
    body.splice(2, 0, fact('Subscription', only.subscriptionName, 120));
  return adaptiveCard(headline, body, [{ title: 'Fix JIT policy', url: jitPortalUrl(portalUrl) }]);
}
