import { adaptiveCard, facts, type AdaptiveCard, type CardElement } from './adaptiveCard.js';
import type { PolicyFinding } from '../jit/auditPolicies.js';

const MAX_SHOWN = 15;

/** A digest of JIT policies that let anyone request access from anywhere. */
export function buildAuditDigestCard(
  subscriptionId: string,
  findings: readonly PolicyFinding[],
  portalUrl: string,
  occurredAt: string,
): AdaptiveCard {
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: `JIT policies allow access from any source on ${findings.length} VM port(s)`,
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: 'Warning',
    },
    {
      type: 'TextBlock',
      text: 'Each of these lets a requester open the port to the whole internet; the guardrail removes such rules as they appear. Restrict the allowed source in the policy to stop it at the root.',
      wrap: true,
    },
    {
      type: 'FactSet',
      facts: facts([
        ['Subscription', subscriptionId],
        ['Time (UTC)', occurredAt],
      ]),
    },
  ];
  for (const finding of findings.slice(0, MAX_SHOWN)) {
    body.push({
      type: 'FactSet',
      separator: true,
      facts: facts([
        ['VM', finding.vmName],
        ['Port', String(finding.port)],
        ['Allowed sources', finding.allowedSources.join(', ')],
        ['Policy', finding.policyId],
      ]),
    });
  }
  if (findings.length > MAX_SHOWN)
    body.push({
      type: 'TextBlock',
      text: `…and ${findings.length - MAX_SHOWN} more; see the sweep report.`,
      wrap: true,
    });
  return adaptiveCard(body, [
    {
      title: 'Open JIT VM access in Defender for Cloud',
      url: `${portalUrl}/#view/Microsoft_Azure_Security/JitVmsBlade`,
    },
  ]);
}
