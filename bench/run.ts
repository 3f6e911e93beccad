import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NetworkManagementClient } from '@azure/arm-network';
import { SecurityCenter } from '@azure/arm-security';
import { LOCAL_EMULATOR_TOKEN } from '../src/adapters/armCredential.js';
import { armClientOptions } from '../src/adapters/armClientOptions.js';
import { createTeamsSender } from '../src/adapters/teamsWebhook.js';
import { guardEvent, type GuardOutcome } from '../src/core/guardEvent.js';
import { mapWithConcurrency } from '../src/core/concurrency.js';
import { sweep } from '../src/core/sweep.js';
import { nsgId } from '../sandbox/emulator/index.js';
import { JitActor } from '../sandbox/jitActor.js';
import { displayOf, principalFromToken } from '../sandbox/emulator/principal.js';
import { WATCHED_NSG_OPERATIONS } from '../src/lib/events/watchedOperations.js';
import { benchWorld, jitRule, RG, seedWithEvent, SUB } from './benchWorld.js';
import { ms, percentile, ratio, s } from './stats.js';

const credential = {
  getToken: async () => ({ token: LOCAL_EMULATOR_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** 1. What the guard costs per event above the ARM and Teams calls it has to make. */
async function handlerOverhead(events = 300): Promise<string> {
  const world = await benchWorld({ throttling: false });
  try {
    const config = world.runtime.config;
    const network = new NetworkManagementClient(credential, SUB, armClientOptions(config));
    const security = new SecurityCenter(credential, SUB, armClientOptions(config));
    const teams = createTeamsSender({ url: world.teams.url, maxAttempts: 1, timeoutMs: 2000 });
    const card = {
      type: 'message' as const,
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive' as const,
          content: {
            type: 'AdaptiveCard' as const,
            $schema: 'x',
            version: '1.5' as const,
            fallbackText: 'bench',
            body: [],
            actions: [],
            msteams: { width: 'Full' as const },
          },
        },
      ],
    };
    const handler: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < events + 20; i++) {
      // Alternate so that machine noise hits both sides alike; the first 20 warm up.
      const event = seedWithEvent(world.arm, `h-${i}`, [jitRule(i, '*')]);
      let t = performance.now();
      await guardEvent(event, world.deps);
      if (i >= 20) handler.push(performance.now() - t);
      const rule = jitRule(i, '*');
      world.arm.seedNsg(nsgId(SUB, RG, `b-${i}`), {
        location: 'westeurope',
        properties: { securityRules: [rule] },
      });
      t = performance.now();
      await network.networkSecurityGroups.get(RG, `b-${i}`);
      await network.securityRules.beginDeleteAndWait(RG, `b-${i}`, rule.name, { updateIntervalInMs: 1 });
      for await (const policy of security.jitNetworkAccessPolicies.list()) void policy;
      await teams.send(card);
      if (i >= 20) bare.push(performance.now() - t);
    }
    const [h50, h99, b50, b99] = [
      percentile(handler, 50),
      percentile(handler, 99),
      percentile(bare, 50),
      percentile(bare, 99),
    ];
    return `handler per remediating event (${events} events): p50 ${ms(h50)} vs the bare SDK + Teams calls ${ms(b50)} (${ratio(h50, b50)}); p99 ${ms(h99)} vs ${ms(b99)} (${ratio(h99, b99)})`;
  } finally {
    await world.stop();
  }
}

/** 2. ARM calls the guard makes per kind of event, counted by the emulator. */
async function callsPerEvent(): Promise<string> {
  const world = await benchWorld({ throttling: false, lroPollsUntilDone: 1 });
  try {
    const count = async (event: unknown) => {
      world.arm.clearRequestLog();
      await guardEvent(event, world.deps);
      return world.arm.requests.length;
    };
    const irrelevant = await count({
      id: 'x',
      topic: '/subscriptions/x',
      subject: 's',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      dataVersion: '2',
      data: {
        operationName: 'Microsoft.Storage/storageAccounts/write',
        resourceUri: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z',
      },
    });
    const benign = await count(seedWithEvent(world.arm, 'benign', [jitRule(1, '10.1.2.3')]));
    const remediation = await count(seedWithEvent(world.arm, 'bad', [jitRule(2, '*')]));
    return `ARM calls per event: irrelevant ${irrelevant}, NSG write with nothing to remove ${benign}, one wildcard rule removed ${remediation} (GET NSG, GET rule, DELETE rule, 2 LRO polls, 1 JIT policy list)`;
  } finally {
    await world.stop();
  }
}

/** 3. Sweep of 10,000 NSGs at 20 ms per ARM call, against a naive GET per NSG, both inside ARM's buckets. */
async function sweepVsNaive(total = 10_000, naiveSample = 600): Promise<string> {
  const world = await benchWorld({ latencyMs: 20, pageSize: 100 });
  try {
    for (let i = 0; i < total; i++) {
      const rules = i % 500 === 0 ? [jitRule(i, '*')] : [jitRule(i, '203.0.113.7')];
      world.arm.seedNsg(nsgId(SUB, RG, `s-${String(i).padStart(5, '0')}`), {
        location: 'westeurope',
        properties: { securityRules: rules },
      });
    }
    world.arm.clearRequestLog();
    let t = performance.now();
    const summary = await sweep({ subscriptions: [SUB], reportOnly: false }, world.deps);
    const sweepMs = performance.now() - t;
    const sweepReads = world.arm.requests.filter((r) => r.method === 'GET').length;
    const removed = summary.subscriptions[0]!.removed;

    // Naive: a GET per NSG (after the same paged id listing), 8 in flight, retried on 429 by the SDK.
    const naiveWorld = await benchWorld({ latencyMs: 20 });
    try {
      const network = new NetworkManagementClient(
        credential,
        SUB,
        armClientOptions(naiveWorld.runtime.config),
      );
      for (let i = 0; i < naiveSample; i++)
        naiveWorld.arm.seedNsg(nsgId(SUB, RG, `n-${i}`), {
          location: 'westeurope',
          properties: { securityRules: [jitRule(i, '203.0.113.7')] },
        });
      t = performance.now();
      await mapWithConcurrency(
        Array.from({ length: naiveSample }, (_, i) => i),
        8,
        (i) => network.networkSecurityGroups.get(RG, `n-${i}`),
      );
      const sampleMs = performance.now() - t;
      // Beyond the sample the 250-token read bucket is empty: 25 reads a second is the ceiling.
      const naiveMs = sampleMs + ((total - naiveSample) / 25) * 1000;
      return [
        `sweep of ${total.toLocaleString('en')} NSGs at 20 ms per call: ${sweepReads} ARM reads, ${s(sweepMs)} (removed ${removed} wildcard rules, deletes paced at 10/s)`,
        `naive GET per NSG: ${total.toLocaleString('en')} reads, ~${s(naiveMs)} (measured ${naiveSample} in ${s(sampleMs)}, the rest at the 25/s read bucket)`,
        `sweep vs naive: ${ratio(total, sweepReads)} fewer reads, ${ratio(naiveMs, sweepMs)} faster`,
      ].join('\n  ');
    } finally {
      await naiveWorld.stop();
    }
  } finally {
    await world.stop();
  }
}

/** 4. A burst of events at once: Event Grid redelivers failures; count what is lost and what ARM saw. */
async function burst(events = 1_000, wildcardEvery = 25): Promise<string> {
  // The emulator's realistic defaults: Retry-After 1 on every 202 and poll, one InProgress poll.
  const world = await benchWorld({ latencyMs: 5, lroRetryAfterSeconds: 1, lroPollsUntilDone: 1 });
  try {
    const deliveries = Array.from({ length: events }, (_, i) =>
      seedWithEvent(world.arm, `e-${i}`, [jitRule(i, i % wildcardEvery === 0 ? '*' : '10.0.0.1')]),
    );
    world.arm.clearRequestLog();
    const t = performance.now();
    let pending = deliveries;
    let redeliveries = 0;
    for (let attempt = 0; attempt < 6 && pending.length > 0; attempt++) {
      if (attempt > 0) {
        redeliveries += pending.length;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      const failed: typeof pending = [];
      await mapWithConcurrency(pending, 32, async (event) => {
        try {
          await guardEvent(event, world.deps);
        } catch {
          failed.push(event);
        }
      });
      pending = failed;
    }
    const throttled = world.arm.requests.filter((r) => r.status === 429).length;
    const total = world.arm.requests.length;
    const expectedAlerts = Math.ceil(events / wildcardEvery);
    return `burst of ${events.toLocaleString('en')} events (32 at once, ${expectedAlerts} with a wildcard rule): ${events - pending.length}/${events} handled, ${pending.length} lost, ${throttled} answers were 429 (absorbed by SDK retries${redeliveries ? ` and ${redeliveries} Event Grid redeliveries` : ''}), ${total} ARM calls in all, ${world.teams.cards.length}/${expectedAlerts} alerts, ${s(performance.now() - t)}`;
  } finally {
    await world.stop();
  }
}

/**
 * 5. Time to remove 1, 2 and 5 wildcard rules from one NSG with the Retry-After recorded on real
 * security-rule DELETEs (1 s; 10 s in another recording): the network RP takes one operation per NSG
 * at a time, so the removals are sequential. The SDK polls twice at once (beginDelete, then
 * pollUntilDone) and honours Retry-After from then on, so an operation still running after those two
 * polls costs one Retry-After.
 */
async function rulesPerNsg(): Promise<string> {
  const lines: string[] = [];
  for (const retryAfter of [1, 10]) {
    const world = await benchWorld({
      throttling: false,
      lroRetryAfterSeconds: retryAfter,
      lroPollsUntilDone: 2,
    });
    try {
      const times: string[] = [];
      for (const count of [1, 2, 5]) {
        const rules = Array.from({ length: count }, (_, i) =>
          jitRule(100 * retryAfter + 10 * count + i, '*'),
        );
        const event = seedWithEvent(world.arm, `multi-${retryAfter}-${count}`, rules);
        const t = performance.now();
        await guardEvent(event, world.deps);
        const elapsed = performance.now() - t;
        times.push(`${count} rule${count > 1 ? 's' : ''} ${s(elapsed)} (${s(elapsed / count)} each)`);
      }
      lines.push(`Retry-After ${retryAfter} s: ${times.join(', ')}`);
    } finally {
      await world.stop();
    }
  }
  return `wildcard rules removed from one NSG, one event: ${lines.join('; ')}`;
}

/** 6. Cold start: loading the deployment bundle vs the unbundled build, each in fresh processes. */
async function coldStart(runs = 9): Promise<string> {
  const root = process.cwd();
  const preload = join(root, 'sandbox/functionsCorePreload.cjs');
  const coreChunk = readdirSync(join(root, 'dist/app/chunks')).find(
    (f) => f.startsWith('appCore') && f.endsWith('.js'),
  )!;
  const measure = (entry: string, core: string) => {
    const script = `const t=performance.now(); await import(${JSON.stringify(pathToFileURL(entry).href)}); const a=performance.now(); await import(${JSON.stringify(pathToFileURL(core).href)}); console.log(JSON.stringify([a-t, performance.now()-t]));`;
    const out = execFileSync(process.execPath, ['--require', preload, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!) as [number, number];
  };
  const bundle: [number, number][] = [];
  const plain: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    bundle.push(measure(join(root, 'dist/app/index.js'), join(root, 'dist/app/chunks', coreChunk)));
    plain.push(measure(join(root, 'dist/src/index.js'), join(root, 'dist/src/functions/appCore.js')));
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const [bIndex, bReady] = [median(bundle.map((b) => b[0])), median(bundle.map((b) => b[1]))];
  const [pIndex, pReady] = [median(plain.map((p) => p[0])), median(plain.map((p) => p[1]))];
  const sizes = readdirSync(join(root, 'dist/app/chunks'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => statSync(join(root, 'dist/app/chunks', f)).size);
  const total = statSync(join(root, 'dist/app/index.js')).size + sizes.reduce((a, b) => a + b, 0);
  return [
    `cold start, median of ${runs} fresh processes: host indexing (import the entry) bundle ${ms(bIndex)} vs unbundled ${ms(pIndex)} (${ratio(bIndex, pIndex)})`,
    `first invocation ready (entry + SDK core) bundle ${ms(bReady)} vs unbundled ${ms(pReady)} (${ratio(bReady, pReady)}); bundle ${(statSync(join(root, 'dist/app/index.js')).size / 1024).toFixed(0)} KiB entry, ${(total / 1024).toFixed(0)} KiB in all`,
  ].join('\n  ');
}

/**
 * 7. The exposure window in the sandbox, end to end, as ops would measure it: a person's JIT request
 * with `*` → the NSG write event delivered to the guard → ARM accepting the DELETE → the rule gone.
 * The emulator answers as real ARM does (Retry-After 1 s, one InProgress poll, one operation per
 * NSG, throttling); the SDK honours Retry-After (no poll interval forced). Goal: p99 from delivery
 * to the DELETE accepted ≤ 2 s.
 */
async function exposureWindow(
  requests: number,
  arrival: { readonly perSecond: number } | { readonly concurrency: number },
): Promise<string> {
  const world = await benchWorld(
    { latencyMs: 5, lroRetryAfterSeconds: 1, lroPollsUntilDone: 1 },
    { GUARDRAIL_LRO_POLL_INTERVAL_MS: '' },
  );
  try {
    // ARM throttles each principal's writes: two admins enable JIT, ten consultants request it.
    const person = (upn: string) =>
      new JitActor({
        armUrl: world.arm.url,
        ca: world.arm.ca,
        subscriptionId: SUB,
        resourceGroup: RG,
        location: 'westeurope',
        upn,
      });
    const admins = [person('admin1@contoso.com'), person('admin2@contoso.com')];
    const consultants = Array.from({ length: 10 }, (_, i) => person(`consultant${i}@contoso.com`));
    const vms = Array.from({ length: requests }, (_, i) => ({
      name: `exp-${i}`,
      ...world.arm.seedVm({
        subscriptionId: SUB,
        resourceGroup: RG,
        name: `exp-${i}`,
        location: 'westeurope',
      }),
    }));
    for (const [i, vm] of vms.entries()) await admins[i % admins.length]!.enable(vm.vmId, [22]);
    const requestedAt = new Map<string, number>();
    const deliveredAt = new Map<string, number>();
    const handling: Promise<GuardOutcome | undefined>[] = [];
    let unhandled = 0;
    let redelivered = 0;
    // One event subscription filtered on NSG writes, one event per delivery; a failed invocation is
    // redelivered, as Event Grid would.
    world.arm.subscribe((event) => {
      const data = (event as { data?: { operationName?: string; resourceUri?: string } }).data;
      if (!WATCHED_NSG_OPERATIONS.includes(data?.operationName ?? '')) return;
      const vm = /networkSecurityGroups\/([^/]+)-nsg/i.exec(data?.resourceUri ?? '')?.[1] ?? '';
      if (!deliveredAt.has(vm)) deliveredAt.set(vm, performance.now());
      handling.push(
        (async () => {
          // Event Grid's first redeliveries come after about 10 s and 30 s.
          for (const wait of [0, 10_000, 30_000]) {
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            try {
              return await guardEvent(event, world.deps);
            } catch {
              redelivered += 1;
            }
          }
          unhandled += 1;
          return undefined;
        })(),
      );
    });
    const t0 = Date.now() - performance.now();
    const request = async (i: number, vm: (typeof vms)[number]) => {
      requestedAt.set(vm.name, performance.now());
      await consultants[i % consultants.length]!.request(vm.vmId, 22, '*', 'bench');
    };
    if ('concurrency' in arrival) {
      await mapWithConcurrency([...vms.entries()], arrival.concurrency, ([i, vm]) => request(i, vm));
    } else {
      // People, not a script: requests arrive at a steady rate, each on its own.
      const started: Promise<void>[] = [];
      for (const [i, vm] of vms.entries()) {
        started.push(request(i, vm));
        await new Promise((r) => setTimeout(r, 1000 / arrival.perSecond));
      }
      await Promise.all(started);
    }
    await world.arm.events.idle();
    const outcomes = await Promise.all(handling);
    const toDelivered: number[] = [];
    const toAccepted: number[] = [];
    const toGone: number[] = [];
    const exposure: number[] = [];
    let untimed = 0;
    for (const outcome of outcomes) {
      if (outcome === undefined || outcome.status !== 'acted') continue;
      for (const finding of outcome.findings) {
        const vm = finding.vmName ?? '';
        const requested = requestedAt.get(vm);
        const delivered = deliveredAt.get(vm);
        if (requested === undefined || delivered === undefined) continue;
        // Removed by an attempt that failed later: the redelivery confirms it without the times.
        if (finding.removedAt === undefined) {
          untimed += 1;
          continue;
        }
        const accepted = Date.parse(finding.deleteAcceptedAt ?? '') - t0;
        const gone = Date.parse(finding.removedAt) - t0;
        toDelivered.push(delivered - requested);
        toAccepted.push(accepted - delivered);
        toGone.push(gone - accepted);
        exposure.push(gone - requested);
      }
    }
    const p = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}, p99 ${ms(percentile(xs, 99))}`;
    const guardrail = displayOf(principalFromToken(LOCAL_EMULATOR_TOKEN));
    const ours = world.arm.requests.filter((r) => r.principal === guardrail);
    const refused = (method: string) => ours.filter((r) => r.method === method && r.status === 429).length;
    const calls = `${ours.length} guardrail ARM calls, 429 on ${refused('GET')} reads and ${refused('DELETE')} deletes, ${redelivered} redeliveries`;
    const goal = percentile(toAccepted, 99) <= 2000 ? 'met' : 'MISSED';
    const how = 'concurrency' in arrival ? `${arrival.concurrency} at once` : `${arrival.perSecond} a second`;
    return `exposure window in the sandbox, ${requests} JIT requests with * (${how}), ${exposure.length} removed and timed, ${untimed} removed by an attempt that failed afterwards (confirmed on redelivery, not timed), ${unhandled} unhandled: request → event delivered ${p(toDelivered)}; delivered → DELETE accepted ${p(toAccepted)} (goal p99 ≤ 2 s: ${goal}); accepted → rule gone ${p(toGone)}; request → rule gone ${p(exposure)}; ${calls}`;
  } finally {
    await world.stop();
  }
}

/**
 * 8. The tenant sweep: 50 subscriptions × 200 NSGs, every NSG with JIT's standing deny rules, one in
 * `activeAccessEvery` with a JIT allow rule for one address (someone's current access: a candidate
 * Resource Graph cannot tell from a wildcard without expanding rules), 20 with a wildcard JIT rule.
 * Resource Graph (one paged query for candidates, then a fresh read of each) against listing every
 * NSG of each subscription; each in its own world (ARM throttles per principal), report mode (the
 * removals would be the same), 20 ms per call.
 */
async function tenantSweep(
  subscriptions = 50,
  perSubscription = 200,
  wildcards = 20,
  activeAccessEvery = 50,
): Promise<string> {
  const subs = Array.from(
    { length: subscriptions },
    (_, i) => `7e2a0000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  const every = Math.floor((subscriptions * perSubscription) / wildcards);
  const seed = (arm: Awaited<ReturnType<typeof benchWorld>>['arm']) => {
    let n = 0;
    for (const sub of subs) {
      for (let i = 0; i < perSubscription; i++, n++) {
        const deny = { ...jitRule(n, '*'), name: `MicrosoftDefenderForCloud-JITRule_${n}_${'0'.repeat(32)}` };
        deny.properties = { ...deny.properties, access: 'Deny', priority: 1000 };
        const rules: unknown[] = [deny];
        if (n % every === 0) rules.push(jitRule(n, '*'));
        else if (n % activeAccessEvery === 7) rules.push(jitRule(n, '203.0.113.7'));
        arm.seedNsg(nsgId(sub, RG, `t-${n}`), {
          location: 'westeurope',
          properties: { securityRules: rules },
        });
      }
    }
  };
  const run = async (strategy: 'resource-graph' | 'listing') => {
    const world = await benchWorld({ latencyMs: 20 });
    try {
      seed(world.arm);
      world.arm.clearRequestLog();
      const t = performance.now();
      const summary = await sweep({ subscriptions: subs, reportOnly: true, strategy }, world.deps);
      const elapsed = performance.now() - t;
      const guardrail = displayOf(principalFromToken(LOCAL_EMULATOR_TOKEN));
      const calls = world.arm.requests.filter((r) => r.principal === guardrail);
      const graph = calls.filter((r) => r.path.includes('Microsoft.ResourceGraph')).length;
      const found = summary.subscriptions.reduce((t2, x) => t2 + x.wouldRemove, 0);
      const throttled = calls.filter((r) => r.status === 429).length;
      return { strategy: summary.strategy, elapsed, calls: calls.length, graph, found, throttled };
    } finally {
      await world.stop();
    }
  };
  const graph = await run('resource-graph');
  const listing = await run('listing');
  const line = (r: typeof graph) =>
    `${r.strategy}: ${r.calls} calls (${r.graph} Resource Graph, ${r.calls - r.graph} ARM, ${r.throttled} answered 429), ${s(r.elapsed)}, ${r.found} wildcard rules found`;
  return [
    `tenant sweep, ${subscriptions} subscriptions × ${perSubscription} NSGs (${wildcards} wildcard JIT rules, JIT access open for one address on 1 NSG in ${activeAccessEvery}), 20 ms per call, report mode`,
    line(graph),
    line(listing),
    `Resource Graph vs listing: ${ratio(listing.calls, graph.calls)} fewer calls, ${ratio(listing.elapsed, graph.elapsed)} faster`,
  ].join('\n  ');
}

async function main(): Promise<void> {
  const only = process.argv[2];
  console.log(
    `jit-guardrail benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ratios are from one run on a shared machine`,
  );
  const benches: [string, () => Promise<string>][] = [
    ['overhead', () => handlerOverhead()],
    ['calls', () => callsPerEvent()],
    ['sweep', () => sweepVsNaive()],
    ['burst', () => burst()],
    ['rules', () => rulesPerNsg()],
    ['coldstart', () => coldStart()],
    ['exposure', () => exposureWindow(200, { perSecond: 4 })],
    ['exposure-burst', () => exposureWindow(200, { concurrency: 20 })],
    ['tenant', async () => `${await tenantSweep(50, 200, 20, 200)}\n- ${await tenantSweep(50, 200, 20, 25)}`],
  ];
  for (const [name, run] of benches) {
    if (only && only !== name) continue;
    console.log(`- ${await run()}`);
  }
}

await main();
