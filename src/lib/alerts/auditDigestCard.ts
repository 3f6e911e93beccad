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
import { describePort, describeSource } from './wording.js';

/** A digest of the root cause: JIT policies that let anyone request access from anywhere. */
export function buildAuditDigestCard(
  subscriptionId: string,
  findings: readonly PolicyFinding[],
  portalUrl: string,
  occurredAt: string,
): AdaptiveCard {
  return fitForTeams((level) => buildAtLevel(subscriptionId, findings, portalUrl, occurredAt, level), 3);
}

function buildAtLevel(
  subscriptionId: string,
  findings: readonly PolicyFinding[],
  portalUrl: string,
  occurredAt: string,
  level: number,
): AdaptiveCard {
  const byVm = new Map<string, PolicyFinding[]>();
  for (const f of findings) byVm.set(f.vmName, [...(byVm.get(f.vmName) ?? []), f]);
  const ports = findings.length;
  const headline = `Root cause: JIT policies let requesters open ${ports} ${ports === 1 ? 'port' : 'ports'} on ${byVm.size} ${byVm.size === 1 ? 'VM' : 'VMs'} to any address`;
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
  const shown = level === 0 ? 30 : level === 1 ? 10 : 3;
  for (const [vm, vmFindings] of [...byVm].slice(0, shown)) {
    body.push(
      fact(
        vm,
        vmFindings
          .map(
            (f) => `${describePort(String(f.port))} from ${f.allowedSources.map(describeSource).join(', ')}`,
          )
          .join('; '),
      ),
    );
  }
  if (byVm.size > shown) body.push(fact('More', `${byVm.size - shown} more VMs; see the sweep report`));
  body.push(fact('Next', 'restrict the allowed source of each port to known addresses (Fix JIT policy).'));
  const policies = [...new Set(findings.map((f) => f.policyId))];
  body.push(
    footer([
      ['Subscription', subscriptionId],
      ['Time', readableTime(occurredAt)],
      ...(level < 2 ? ([['Policies', policies.slice(0, shown).join(', ')]] as [string, string][]) : []),
    ]),
  );
  return adaptiveCard(headline, body, [{ title: 'Fix JIT policy', url: jitPortalUrl(portalUrl) }]);
}
