import {
  adaptiveCard,
  fact,
  fitForTeams,
  footer,
  paragraph,
  plain,
  readableDuration,
  readableTime,
  run,
  type AdaptiveCard,
  type CardElement,
  type TextColor,
} from './adaptiveCard.js';
import { ACTION_LABEL, type GuardAlert, type RuleFinding } from './guardAlert.js';
import { jitPortalUrl, nsgPortalUrl } from './portalLinks.js';
import { describePort, describeSources } from './wording.js';

/**
 * The card that tells ops what happened on one NSG, most important first: what happened to which VM
 * and port (the headline), for how long it was open, who asked and why, the root cause and the next
 * step; ids last, small. Many rules collapse into one block with every port.
 */
export function buildNsgAlertCard(alert: GuardAlert, portalUrl: string): AdaptiveCard {
  return fitForTeams((level) => buildAtLevel(alert, portalUrl, level), 3);
}

type Outcome = 'failed' | 'still-open' | 'exempt' | 'closed';

function outcomeOf(alert: GuardAlert): Outcome {
  if (alert.findings.some((f) => f.action === 'failed')) return 'failed';
  if (alert.findings.some((f) => f.action === 'would-remove')) return 'still-open';
  if (alert.findings.every((f) => f.action === 'kept-exempt')) return 'exempt';
  return 'closed';
}

const COLOR: Record<Outcome, TextColor> = {
  failed: 'Attention',
  'still-open': 'Attention',
  // Kept open is still open to the internet: attention, like report mode.
  exempt: 'Attention',
  closed: 'Default',
};

/** Level 0 says everything; 1 shortens what people wrote; 2 keeps the story and drops the details. */
function buildAtLevel(alert: GuardAlert, portalUrl: string, level: number): AdaptiveCard {
  const outcome = outcomeOf(alert);
  const findings = alert.findings;
  const vms = distinct(findings.map((f) => f.vmName ?? 'an unknown VM'));
  const byRequester = groupBy(findings, (f) => requesterOf(f, alert));
  const justifications = justificationsOf(findings);
  const headline = headlineOf(alert, outcome);
  const body: CardElement[] = [
    paragraph([run(headline, { weight: 'Bolder', size: 'Medium', color: COLOR[outcome] })]),
  ];
  const story = storyOf(alert, outcome);
  if (story !== undefined) body.push(paragraph([run(story)], { spacing: 'Small' }));
  if (alert.foundBy === 'sweep') {
    body.push(
      paragraph(
        [
          run(
            'Found by the sweep, not in real time: its write event never reached the guardrail. Check the Event Grid subscription and its dead letters.',
            { weight: 'Bolder', color: 'Attention' },
          ),
        ],
        { spacing: 'Small' },
      ),
    );
  }
  if (alert.permissionProblem !== undefined) {
    body.push(
      paragraph(
        [
          run(`The guardrail lacks permission: ${plain(alert.permissionProblem, 200)}`, {
            weight: 'Bolder',
            color: 'Attention',
          }),
        ],
        { spacing: 'Small' },
      ),
    );
  }
  if (byRequester.size === 1) {
    body.push(fact('Requested by', [...byRequester.keys()][0]!, level === 0 ? 300 : 120));
    if (justifications.length > 0 && level < 2) {
      body.push(fact('Justification', justifications.slice(0, 3).join(' | '), level === 0 ? 300 : 100));
    }
  } else {
    // Several people: one line each, with what they opened and why.
    const shown = [...byRequester].slice(0, REQUESTER_LINES[level] ?? 2);
    for (const [requester, theirs] of shown) {
      const why = level < 2 ? justificationsOf(theirs).slice(0, 2).join(' | ') : '';
      body.push(
        fact(
          `Requested by ${plain(requester, level === 0 ? 120 : 80)}`,
          `${portsText(theirs)}${why === '' ? '' : `; why: ${why}`}`,
          level === 0 ? 300 : 150,
        ),
      );
    }
    if (byRequester.size > shown.length)
      body.push(fact('Also requested by', `${byRequester.size - shown.length} more (see the audit trail)`));
  }
  body.push(
    fact(
      vms.length === 1 ? 'VM' : 'VMs',
      `${vms.join(', ')} (resource group ${alert.resourceGroup})`,
      level === 0 ? 300 : 150,
    ),
  );
  if (alert.subscriptionName !== undefined) body.push(fact('Subscription', alert.subscriptionName, 120));
  if (byRequester.size === 1) {
    body.push(
      fact(findings.length === 1 && findings[0]!.ports.length === 1 ? 'Port' : 'Ports', portsText(findings)),
    );
  }
  body.push(fact('Source', distinct(findings.flatMap((f) => describeSources(f.sources))).join(', ')));
  const cause = rootCauseOf(findings, vms);
  if (cause !== undefined) body.push(fact('Root cause', cause));
  body.push(fact('Action', actionText(findings)));
  body.push(fact('Next', nextStepOf(alert, outcome, vms)));
  const reference: [string, string][] = [
    ['NSG', alert.nsgName],
    [findings.length === 1 ? 'Rule' : 'Rules', ruleNames(findings, level)],
    // The sweep has no writer to name; an event's writer is worth a look when it is not JIT.
    ...(alert.foundBy === 'sweep' ? [] : ([['Written by', alert.writer.display]] as [string, string][])),
    [alert.subscriptionName === undefined ? 'Subscription' : 'Subscription id', alert.subscriptionId],
    ['Alert time', readableTime(alert.occurredAt)],
  ];
  if (level < 2) {
    if (alert.foundBy === 'sweep') reference.push(['Sweep run', alert.correlationId ?? 'n/a']);
    else {
      reference.push(['Event', alert.eventId]);
      if (alert.correlationId !== undefined) reference.push(['Correlation', alert.correlationId]);
    }
  }
  body.push(footer(reference));
  const fixPolicy = { title: 'Fix JIT policy', url: jitPortalUrl(portalUrl) };
  const openNsg = { title: 'Open NSG', url: nsgPortalUrl(portalUrl, alert.nsgId) };
  // While the port is still open, removing the rule comes first.
  const buttons = outcome === 'closed' ? [fixPolicy, openNsg] : [openNsg, fixPolicy];
  return adaptiveCard(`${headline}. ${story ?? ''}`, body, buttons);
}

function headlineOf(alert: GuardAlert, outcome: Outcome): string {
  const what = whatWasOpen(alert);
  switch (outcome) {
    case 'failed':
      return `NOT CLOSED: ${what} ${isAre(alert)} open to the internet`;
    case 'still-open':
      return `STILL OPEN: ${what} ${isAre(alert)} open to the internet (report mode)`;
    case 'exempt':
      return `Kept open until ${dateOf(alert.findings[0]?.exemptUntil)} (NSG exempt): ${what} ${isAre(alert)} open to the internet`;
    case 'closed':
      return `Closed: ${what} ${alert.findings.length === 1 && portCount(alert.findings) === 1 ? 'was' : 'were'} open to the internet`;
  }
}

/** "web-01 port 22 (SSH)", "web-01 ports 22 (SSH), 3389 (RDP)", "3 VMs behind nsg-web (8 ports)". */
function whatWasOpen(alert: GuardAlert): string {
  const vms = distinct(alert.findings.map((f) => f.vmName ?? 'a VM'));
  const ports = distinct(alert.findings.flatMap((f) => f.ports));
  if (vms.length === 1) {
    const shown = ports.slice(0, 4).map(describePort).join(', ');
    const more = ports.length > 4 ? ` and ${ports.length - 4} more` : '';
    return `${plain(vms[0]!, 80)} ${ports.length === 1 ? 'port' : 'ports'} ${shown}${more}`;
  }
  return `${vms.length} VMs behind ${plain(alert.nsgName, 80)} (${ports.length} ${ports.length === 1 ? 'port' : 'ports'})`;
}

function isAre(alert: GuardAlert): string {
  return alert.findings.length === 1 && portCount(alert.findings) === 1 ? 'is' : 'are';
}

function portCount(findings: readonly RuleFinding[]): number {
  return distinct(findings.flatMap((f) => f.ports)).length;
}

/** How long it was open, or why it still is, in one sentence. */
function storyOf(alert: GuardAlert, outcome: Outcome): string | undefined {
  const first = alert.findings[0];
  const written = first?.writtenAt;
  switch (outcome) {
    case 'closed': {
      const timed = latest(alert.findings.map((f) => f.removedAt));
      const removed = timed ?? alert.occurredAt;
      if (written === undefined) return `Removed at ${readableTime(removed)}.`;
      // The end was not recorded: gone when read again (someone, JIT or a delivery before), or
      // removed by an earlier attempt that failed afterwards. An upper bound, then.
      if (timed === undefined) {
        const by = alert.findings.every((f) => f.action === 'already-removed')
          ? 'found already gone'
          : 'removed by an earlier attempt, confirmed gone';
        return `Open for at most ${readableDuration(Date.parse(removed) - Date.parse(written))}: opened at ${readableTime(written)}, ${by} at ${readableTime(removed)}.`;
      }
      const longest = alert.findings.length > 1 ? 'Longest open' : 'Open for';
      const open = readableDuration(Date.parse(removed) - Date.parse(written));
      const accepted = latest(alert.findings.map((f) => f.deleteAcceptedAt));
      const acceptedAfter =
        accepted === undefined
          ? ''
          : ` (ARM took the delete ${readableDuration(Date.parse(accepted) - Date.parse(written))} after)`;
      const [openedTime, openedDay] = readableTime(written).split(', ');
      const sameDay = readableTime(removed).endsWith(`, ${openedDay}`);
      return sameDay
        ? `${longest} ${open}: opened at ${openedTime?.replace(' UTC', '')}, removed at ${readableTime(removed)}${acceptedAfter}.`
        : `${longest} ${open}: opened at ${readableTime(written)}, removed at ${readableTime(removed)}${acceptedAfter}.`;
    }
    case 'still-open':
      return `Open since ${written ? readableTime(written) : 'its JIT request'}${closesAt(alert)}; the guardrail is in report mode and removed nothing.`;
    case 'failed':
      return `Open since ${written ? readableTime(written) : 'its JIT request'}; removing it failed: ${plain(
        alert.findings.find((f) => f.action === 'failed')?.failure ?? 'unknown error',
        120,
      )}.`;
    case 'exempt':
      return `The NSG is tagged jit-guardrail-exempt-until ${dateOf(first?.exemptUntil)}: every JIT rule on it stays open until then.`;
  }
}

/** When JIT itself closes the port again, if the request says. */
function closesAt(alert: GuardAlert): string {
  const ends = latest(alert.findings.map((f) => f.request?.endTimeUtc));
  return ends === undefined ? '' : `; JIT closes it at ${readableTime(ends)} unless it is removed`;
}

function requesterOf(finding: RuleFinding, alert: GuardAlert): string {
  if (finding.request?.requestor !== undefined) return `${finding.request.requestor} (through JIT)`;
  if (alert.requesterLookupProblem !== undefined) return `unknown (${alert.requesterLookupProblem})`;
  if (finding.request !== undefined) return 'unknown (the JIT request names no requester)';
  return 'unknown (no matching JIT request)';
}

function portsText(findings: readonly RuleFinding[]): string {
  const byVm = new Map<string, string[]>();
  for (const f of findings) {
    const vm = f.vmName ?? 'unknown VM';
    byVm.set(vm, distinct([...(byVm.get(vm) ?? []), ...f.ports]));
  }
  const describe = (ports: string[]) => ports.map(describePort).join(', ') || 'n/a';
  if (byVm.size === 1) return describe([...byVm.values()][0]!);
  return [...byVm].map(([vm, ports]) => `${vm}: ${describe(ports)}`).join('; ');
}

function rootCauseOf(findings: readonly RuleFinding[], vms: readonly string[]): string | undefined {
  if (findings.some((f) => f.policyAllowsAnySource === true))
    return `the JIT policy of ${vms.join(', ')} allows requests from any source`;
  if (findings.every((f) => f.policyAllowsAnySource === false))
    return 'the JIT policy does not allow any source: the rule was written around it';
  return undefined;
}

function actionText(findings: readonly RuleFinding[]): string {
  const label = (f: RuleFinding) =>
    f.action === 'kept-exempt'
      ? `${ACTION_LABEL[f.action]} until ${f.exemptUntil === undefined ? '?' : readableTime(f.exemptUntil)}`
      : f.failure === undefined
        ? ACTION_LABEL[f.action]
        : `${ACTION_LABEL[f.action]}: ${f.failure}`;
  const labels = findings.map(label);
  if (distinct(labels).length === 1)
    return findings.length === 1 ? labels[0]! : `${labels[0]!} (${findings.length} rules)`;
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts].map(([l, n]) => `${l} (${n})`).join('; ');
}

function nextStepOf(alert: GuardAlert, outcome: Outcome, vms: readonly string[]): string {
  const policy = `the JIT policy of ${vms.join(', ')}`;
  switch (outcome) {
    case 'closed':
      return `restrict the allowed source in ${policy} to known addresses (Fix JIT policy); the requester can ask again from their own IP.`;
    case 'still-open':
      return 'remove the rule now (Open NSG), then restrict the JIT policy; with GUARDRAIL_MODE=enforce the guardrail does this itself.';
    case 'failed':
      return alert.permissionProblem !== undefined
        ? "remove the rule by hand now (Open NSG); then give the guardrail's identity security-rule delete (see the permission line above)."
        : 'the guardrail tries again with the event; if this card repeats, remove the rule by hand (Open NSG).';
    case 'exempt':
      return `check the exemption is still wanted; if not, remove the NSG tag jit-guardrail-exempt-until (Open NSG), and restrict ${policy}.`;
  }
}

function ruleNames(findings: readonly RuleFinding[], level: number): string {
  const shown = level === 0 ? 10 : 3;
  const names = findings.slice(0, shown).map((f) => f.ruleName);
  return `${names.join(', ')}${findings.length > shown ? ` and ${findings.length - shown} more` : ''}`;
}

function dateOf(iso: string | undefined): string {
  return iso === undefined ? 'its tag ends' : readableTime(iso);
}

function latest(times: readonly (string | undefined)[]): string | undefined {
  const known = times.filter((t): t is string => t !== undefined).sort();
  return known.at(-1);
}

/** How many requesters get a line of their own, per level; the rest are counted. */
const REQUESTER_LINES = [8, 4, 2];

function justificationsOf(findings: readonly RuleFinding[]): string[] {
  return distinct(findings.flatMap((f) => (f.request?.justification ? [f.request.justification] : [])));
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
