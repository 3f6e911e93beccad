import { adaptiveCard, clip, facts, type AdaptiveCard, type CardElement } from './adaptiveCard.js';
import { ACTION_LABEL, type GuardAlert, type RuleFinding } from './guardAlert.js';

const MAX_RULES_SHOWN = 10;

/** Builds the Adaptive Card 1.5 that tells ops what happened on one NSG. */
export function buildNsgAlertCard(alert: GuardAlert, portalUrl: string): AdaptiveCard {
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: headline(alert),
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: headlineColor(alert),
    },
    {
      type: 'FactSet',
      facts: facts([
        ['Subscription', alert.subscriptionId],
        ['Resource group', alert.resourceGroup],
        ['NSG', alert.nsgName],
        ['Written by', alert.writer.display],
        ['Time (UTC)', alert.occurredAt],
        ['Correlation id', alert.correlationId ?? 'n/a'],
        ['Event id', alert.eventId],
      ]),
    },
  ];
  if (alert.permissionProblem !== undefined) {
    body.push({
      type: 'TextBlock',
      text: `The guardrail lacks permission: ${clip(alert.permissionProblem)}. Grant its identity security-rule delete on this NSG.`,
      wrap: true,
      color: 'Attention',
      weight: 'Bolder',
    });
  }
  for (const finding of alert.findings.slice(0, MAX_RULES_SHOWN)) {
    body.push({ type: 'FactSet', separator: true, facts: facts(ruleFacts(finding, alert)) });
  }
  const hidden = alert.findings.length - MAX_RULES_SHOWN;
  if (hidden > 0) {
    body.push({ type: 'TextBlock', text: `…and ${hidden} more rule(s); see the function logs.`, wrap: true });
  }
  return adaptiveCard(body, [
    { title: 'Open the NSG in the Azure portal', url: nsgPortalUrl(portalUrl, alert.nsgId) },
  ]);
}

export function nsgPortalUrl(portalUrl: string, nsgId: string): string {
  return `${portalUrl}/#resource${nsgId}/overview`;
}

function headline(alert: GuardAlert): string {
  const acted = alert.findings.filter((f) => f.action !== 'kept-exempt');
  const exempt = alert.findings.filter((f) => f.action === 'kept-exempt');
  const describe = (count: number) =>
    count === 1 ? 'a JIT rule open to the internet' : `${count} JIT rules open to the internet`;
  if (acted.length === 0) {
    const until = exempt[0]?.exemptUntil ?? 'its tag ends';
    return `ℹ️ JIT guardrail kept ${describe(exempt.length)} on ${alert.nsgName}: the NSG is exempt until ${until}`;
  }
  const rules = describe(acted.length);
  if (alert.findings.some((f) => f.action === 'failed'))
    return `⚠️ Could not remove ${rules} on ${alert.nsgName}`;
  if (alert.mode === 'report') return `JIT guardrail (report mode) found ${rules} on ${alert.nsgName}`;
  return `JIT guardrail removed ${rules} on ${alert.nsgName}`;
}

function headlineColor(alert: GuardAlert): 'Attention' | 'Warning' | 'Good' | 'Accent' {
  if (alert.findings.some((f) => f.action === 'failed')) return 'Attention';
  if (alert.findings.every((f) => f.action === 'kept-exempt')) return 'Accent';
  return alert.mode === 'report' ? 'Warning' : 'Good';
}

function ruleFacts(finding: RuleFinding, alert: GuardAlert): [string, string][] {
  const requester =
    finding.request?.requestor ??
    (alert.requesterLookupProblem !== undefined
      ? `unknown (${alert.requesterLookupProblem})`
      : finding.request !== undefined
        ? 'unknown (the JIT request names no requester)'
        : 'unknown (no matching JIT request)');
  const action =
    finding.action === 'kept-exempt'
      ? `${ACTION_LABEL[finding.action]} until ${finding.exemptUntil ?? '?'} (tag jit-guardrail-exempt-until)`
      : finding.failure === undefined
        ? ACTION_LABEL[finding.action]
        : `${ACTION_LABEL[finding.action]}: ${finding.failure}`;
  return [
    ['Rule', finding.ruleName],
    ['VM', finding.vmName ?? 'unknown'],
    ['Ports', finding.ports.join(', ') || 'n/a'],
    ['Source', finding.sources.join(', ') || 'n/a'],
    ['Requested by', requester],
    ['Justification', finding.request?.justification ?? 'n/a'],
    ['Access ends (UTC)', finding.request?.endTimeUtc ?? 'n/a'],
    ['Action taken', action],
  ];
}
