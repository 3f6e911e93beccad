import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { SECURITY_RP_PRINCIPAL } from './principal.js';
import {
  armError,
  decode,
  isRecord,
  page,
  route,
  type EmulatorCore,
  type RequestContext,
  type Reply,
  type Route,
} from './routing.js';
import { jitRuleName, key, type ArmJson, type NsgJson, type VmRecord } from './state.js';

const POLICY_TYPE = 'Microsoft.Security/locations/jitNetworkAccessPolicies';
const POLICY_PATH =
  '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{loc}/jitNetworkAccessPolicies/{name}';
const DENY_PRIORITY_FROM = 1000;
const ALLOW_PRIORITY_FROM = 100;

interface PolicyPort {
  number: number;
  protocol?: string;
  allowedSourceAddressPrefix?: string;
  allowedSourceAddressPrefixes?: string[];
  maxRequestAccessDuration?: string;
}

interface PolicyVm {
  id: string;
  ports: PolicyPort[];
}

export interface JitEmulationOptions {
  /** How JIT's writes appear as events: one NSG write (a PUT of the whole NSG) or one per rule. */
  readonly writeStyle: () => 'nsg' | 'rule';
  /** How long the network RP keeps applying JIT's write after ARM accepted it; 0: done at once. */
  readonly writeHoldMs: () => number;
  readonly holdNsg: (nsgId: string, ms: number, operationName: string) => void;
}

export function policyId(
  subscriptionId: string,
  resourceGroup: string,
  location: string,
  name: string,
): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Security/locations/${location}/jitNetworkAccessPolicies/${name}`;
}

/** Microsoft.Security JIT routes; enabling and initiating write rules the way Defender for Cloud does. */
export function securityRoutes(core: EmulatorCore, options: JitEmulationOptions): Route[] {
  const { state } = core;
  const allPolicies = () => [...state.policies.values()];
  const under = (prefix: string, location?: string) =>
    allPolicies().filter(
      (p) =>
        key(p.id).startsWith(key(prefix)) &&
        (location === undefined || String(p.location).toLowerCase() === location.toLowerCase()),
    );

  /** JIT's own writes: the Security RP updates the NSG, and the topic sees its write(s). */
  const publishJitWrite = (
    ctx: RequestContext,
    subscriptionId: string,
    nsg: NsgJson,
    ruleIds: readonly string[],
  ) => {
    // ARM sends the write event once the PUT is accepted; the network RP is still applying it, so
    // for a while the NSG takes no other write (the guardrail's DELETE meets contention).
    const hold = options.writeHoldMs();
    if (hold > 0) options.holdNsg(nsg.id, hold, 'PutNetworkSecurityGroupOperation');
    const common = {
      type: 'Microsoft.Resources.ResourceWriteSuccess' as const,
      subscriptionId,
      tenantId: state.tenantId,
      principal: SECURITY_RP_PRINCIPAL,
      correlationId: ctx.correlationId,
      httpMethod: 'PUT',
    };
    if (options.writeStyle() === 'rule') {
      for (const id of ruleIds) {
        core.events.publish({
          ...common,
          resourceUri: id,
          operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
          url: `${core.baseUrl()}${id}`,
        });
      }
      return;
    }
    core.events.publish({
      ...common,
      resourceUri: nsg.id,
      operationName: 'Microsoft.Network/networkSecurityGroups/write',
      url: `${core.baseUrl()}${nsg.id}`,
    });
  };

  const vmFor = (id: string): VmRecord | undefined => state.vms.get(key(id));

  return [
    route(
      'GET',
      '/subscriptions/{s}/providers/Microsoft.Security/jitNetworkAccessPolicies',
      (ctx, [s = '']) => page(under(`/subscriptions/${decode(s)}/`), ctx, core),
    ),
    route(
      'GET',
      '/subscriptions/{s}/providers/Microsoft.Security/locations/{loc}/jitNetworkAccessPolicies',
      (ctx, [s = '', loc = '']) => page(under(`/subscriptions/${decode(s)}/`, decode(loc)), ctx, core),
    ),
    route(
      'GET',
      '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Security/jitNetworkAccessPolicies',
      (ctx, [s = '', rg = '']) =>
        page(under(`/subscriptions/${decode(s)}/resourceGroups/${decode(rg)}/`), ctx, core),
    ),
    route(
      'GET',
      '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{loc}/jitNetworkAccessPolicies',
      (ctx, [s = '', rg = '', loc = '']) =>
        page(under(`/subscriptions/${decode(s)}/resourceGroups/${decode(rg)}/`, decode(loc)), ctx, core),
    ),
    route('GET', POLICY_PATH, (_ctx, params) => {
      const [s = '', rg = '', loc = '', name = ''] = params.map(decode);
      const policy = state.policies.get(key(policyId(s, rg, loc, name)));
      return policy
        ? { status: 200, body: policy }
        : armError(404, 'NotFound', `JIT policy ${name} was not found.`);
    }),
    route('DELETE', POLICY_PATH, (_ctx, params) => {
      const [s = '', rg = '', loc = '', name = ''] = params.map(decode);
      const id = key(policyId(s, rg, loc, name));
      if (!state.policies.delete(id)) return { status: 204 };
      return { status: 200 };
    }),
    route('PUT', POLICY_PATH, (ctx, params) => {
      const [s = '', rg = '', loc = '', name = ''] = params.map(decode);
      const body = ctx.body;
      if (!isRecord(body) || !isRecord(body.properties) || !Array.isArray(body.properties.virtualMachines)) {
        return armError(400, 'InvalidInputJson', 'properties.virtualMachines is required.');
      }
      const vms = body.properties.virtualMachines as PolicyVm[];
      for (const vm of vms) {
        if (!vmFor(String(vm.id)))
          return armError(400, 'VirtualMachineNotFound', `Virtual machine ${String(vm.id)} was not found.`);
        if (!Array.isArray(vm.ports) || vm.ports.some((p) => !Number.isInteger(p.number))) {
          return armError(400, 'InvalidInputJson', `Ports of ${vm.id} must have a number.`);
        }
      }
      const id = policyId(s, rg, loc, name);
      const existing = state.policies.get(key(id));
      const existingProps = (existing?.properties ?? {}) as Record<string, unknown>;
      const policy: ArmJson = {
        id,
        name,
        type: POLICY_TYPE,
        kind: typeof body.kind === 'string' ? body.kind : 'Basic',
        location: loc,
        properties: {
          virtualMachines: vms,
          requests: existingProps.requests ?? [],
          provisioningState: 'Succeeded',
        },
      };
      state.policies.set(key(id), policy);
      for (const vm of vms) enableDenyRules(ctx, s, name, vm);
      return { status: 200, body: policy };
    }),
    route('POST', `${POLICY_PATH}/initiate`, (ctx, params) => initiate(ctx, params)),
  ];

  function enableDenyRules(
    ctx: RequestContext,
    subscriptionId: string,
    policyName: string,
    vm: PolicyVm,
  ): void {
    const record = vmFor(vm.id);
    const nsg = record && state.getNsg(record.nsgId);
    if (!record || !nsg) return;
    const ruleIds: string[] = [];
    for (const port of vm.ports) {
      const hasDeny = nsg.properties.securityRules.some(
        (r) => r.name.includes('JITRule_') && r.properties.destinationPortRange === String(port.number),
      );
      if (hasDeny) continue;
      const { rule } = state.putRule(nsg, jitRuleName('deny'), {
        properties: {
          description: `MDC JIT Network Access rule for policy '${policyName}' of VM '${record.name}'.`,
          protocol: port.protocol ?? '*',
          sourcePortRange: '*',
          destinationPortRange: String(port.number),
          sourceAddressPrefix: '*',
          destinationAddressPrefix: record.privateIp,
          access: 'Deny',
          priority: state.freePriority(nsg, DENY_PRIORITY_FROM),
          direction: 'Inbound',
        },
      });
      ruleIds.push(rule.id);
    }
    if (ruleIds.length > 0) publishJitWrite(ctx, subscriptionId, nsg, ruleIds);
  }

  function initiate(ctx: RequestContext, params: readonly string[]): Reply {
    const [s = '', rg = '', loc = '', name = ''] = params.map(decode);
    const policy = state.policies.get(key(policyId(s, rg, loc, name)));
    if (!policy) return armError(404, 'NotFound', `JIT policy ${name} was not found.`);
    const body = ctx.body;
    if (!isRecord(body) || !Array.isArray(body.virtualMachines))
      return armError(400, 'InvalidInputJson', 'virtualMachines is required.');
    const policyVms = (policy.properties as { virtualMachines: PolicyVm[] }).virtualMachines;
    const requested = body.virtualMachines as {
      id: string;
      ports: (PolicyPort & { endTimeUtc?: string })[];
    }[];
    // Validate everything first: JIT writes nothing when any part of the request is refused.
    for (const vm of requested) {
      const allowed = policyVms.find((p) => key(p.id) === key(String(vm.id)));
      if (!allowed || !vmFor(vm.id))
        return armError(
          400,
          'VirtualMachineNotInPolicy',
          `VM ${String(vm.id)} is not protected by policy ${name}.`,
        );
      for (const port of vm.ports ?? []) {
        const rule = allowed.ports.find((p) => p.number === port.number);
        if (!rule)
          return armError(
            400,
            'PortNotInPolicy',
            `Port ${port.number} of ${vm.id} is not in policy ${name}.`,
          );
        const sources = sourcesOf(port);
        if (sources.length === 0)
          return armError(
            400,
            'InvalidInputJson',
            `Port ${port.number}: allowedSourceAddressPrefix is required.`,
          );
        if (!port.endTimeUtc)
          return armError(400, 'InvalidInputJson', `Port ${port.number}: endTimeUtc is required.`);
        const permitted = sourcesOf(rule);
        if (!sources.every((src) => isPermitted(src, permitted))) {
          return armError(
            400,
            'SourceNotAllowed',
            `Source ${sources.join(',')} is not allowed for port ${port.number} by policy ${name}.`,
          );
        }
      }
    }
    const startTimeUtc = new Date().toISOString();
    const requestVms = [];
    for (const vm of requested) {
      const record = vmFor(vm.id) as VmRecord;
      const nsg = state.getNsg(record.nsgId);
      const ports = [];
      const ruleIds: string[] = [];
      for (const port of vm.ports ?? []) {
        const sources = sourcesOf(port);
        if (nsg) {
          const { rule } = state.putRule(nsg, jitRuleName('allow'), {
            properties: {
              description: `MDC JIT Network Access rule created by an initiation request for policy '${name}' of VM '${record.name}'.`,
              protocol: '*',
              sourcePortRange: '*',
              destinationPortRange: String(port.number),
              ...(sources.length === 1
                ? { sourceAddressPrefix: sources[0] }
                : { sourceAddressPrefixes: sources }),
              destinationAddressPrefix: record.privateIp,
              access: 'Allow',
              priority: state.freePriority(nsg, ALLOW_PRIORITY_FROM),
              direction: 'Inbound',
            },
          });
          ruleIds.push(rule.id);
        }
        ports.push({
          number: port.number,
          ...(sources.length === 1
            ? { allowedSourceAddressPrefix: sources[0] }
            : { allowedSourceAddressPrefixes: sources }),
          endTimeUtc: port.endTimeUtc,
          status: 'Initiated',
          statusReason: 'UserRequested',
        });
      }
      requestVms.push({ id: record.id, ports });
      if (nsg && ruleIds.length > 0) publishJitWrite(ctx, s, nsg, ruleIds);
    }
    // A user's UPN, as the documented example shows; an application's request says "" (the Azure
    // PowerShell JIT recordings, made as a service principal).
    const requestor = ctx.principal.kind === 'user' ? ctx.principal.upn : '';
    const justification = typeof body.justification === 'string' ? body.justification : undefined;
    const request = {
      virtualMachines: requestVms,
      startTimeUtc,
      requestor,
      ...(justification ? { justification } : {}),
    };
    (policy.properties as { requests: unknown[] }).requests.push(request);
    core.events.publish({
      type: 'Microsoft.Resources.ResourceActionSuccess',
      subscriptionId: s,
      tenantId: state.tenantId,
      resourceUri: policy.id,
      operationName: 'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action',
      principal: ctx.principal,
      correlationId: ctx.correlationId,
      httpMethod: 'POST',
      url: `${core.baseUrl()}${policy.id}/initiate`,
    });
    const answer = {
      ...request,
      virtualMachines: requestVms.map((vm) => ({
        ...vm,
        ports: vm.ports.map((p) => ({ ...p, status: 'Initiating' })),
      })),
    };
    return { status: 202, body: answer };
  }
}

/** A requested source is allowed when the policy allows any source, names it, or holds it in a CIDR. */
function isPermitted(source: string, permitted: readonly string[]): boolean {
  if (permitted.includes('*') || permitted.includes(source)) return true;
  const [address, lengthText] = source.split('/');
  const family = isIPv4(address ?? '') ? 'ipv4' : isIPv6(address ?? '') ? 'ipv6' : undefined;
  if (family === undefined) return false;
  return permitted.some((range) => {
    const [network, bits] = range.split('/');
    if (bits === undefined || !network) return false;
    if (lengthText !== undefined && Number(lengthText) < Number(bits)) return false;
    const list = new BlockList();
    try {
      list.addSubnet(network, Number(bits), family);
    } catch {
      return false;
    }
    return list.check(address!, family);
  });
}

function sourcesOf(port: PolicyPort): string[] {
  if (port.allowedSourceAddressPrefixes && port.allowedSourceAddressPrefixes.length > 0)
    return [...port.allowedSourceAddressPrefixes];
  return port.allowedSourceAddressPrefix ? [port.allowedSourceAddressPrefix] : [];
}
