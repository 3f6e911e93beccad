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
import { key, type NsgJson } from './state.js';

const NSG_PATH =
  '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{nsg}';
const NSG_WRITE = 'Microsoft.Network/networkSecurityGroups/write';
const NSG_DELETE = 'Microsoft.Network/networkSecurityGroups/delete';
const RULE_WRITE = 'Microsoft.Network/networkSecurityGroups/securityRules/write';
const RULE_DELETE = 'Microsoft.Network/networkSecurityGroups/securityRules/delete';

export function nsgId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
}

/** Microsoft.Network routes: NSGs, security rules, default rules and their async operations. */
export function networkRoutes(core: EmulatorCore): Route[] {
  const { state } = core;

  const publish = core.publishCallerEvent;

  const findNsg = (params: readonly string[]): NsgJson | undefined => {
    const [s = '', rg = '', nsg = ''] = params.map(decode);
    return state.getNsg(nsgId(s, rg, nsg));
  };

  const nsgNotFound = (params: readonly string[]): Reply => {
    const [, rg = '', nsg = ''] = params.map(decode);
    return armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.Network/networkSecurityGroups/${nsg}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  };

  const preconditionFails = (ctx: RequestContext, nsg: NsgJson | undefined): Reply | undefined => {
    const ifMatch = ctx.headers['if-match'];
    if (typeof ifMatch !== 'string' || ifMatch === '*') return undefined;
    if (nsg !== undefined && ifMatch === nsg.etag) return undefined;
    return armError(
      412,
      'PreconditionFailed',
      `Precondition failed: etag ${ifMatch} does not match the current etag.`,
    );
  };

  const listNsgs = (filter: (nsg: NsgJson) => boolean) => [...state.nsgs.values()].filter(filter);

  return [
    route('GET', '/subscriptions/{s}/providers/Microsoft.Network/networkSecurityGroups', (ctx, [s = '']) =>
      page(
        listNsgs((n) => key(n.id).startsWith(key(`/subscriptions/${decode(s)}/`))),
        ctx,
        core,
      ),
    ),
    route(
      'GET',
      '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups',
      (ctx, [s = '', rg = '']) =>
        page(
          listNsgs((n) =>
            key(n.id).startsWith(key(`/subscriptions/${decode(s)}/resourceGroups/${decode(rg)}/`)),
          ),
          ctx,
          core,
        ),
    ),
    route('GET', NSG_PATH, (_ctx, params) => {
      const nsg = findNsg(params);
      return nsg ? { status: 200, body: nsg, headers: { ETag: nsg.etag } } : nsgNotFound(params);
    }),
    route('PUT', NSG_PATH, (ctx, params) => {
      const [s = '', rg = '', name = ''] = params.map(decode);
      const existing = findNsg(params);
      const id = nsgId(s, rg, name);
      const contended = core.busy(id);
      if (contended) return contended;
      const failed = preconditionFails(ctx, existing);
      if (failed) return failed;
      if (!isRecord(ctx.body)) return armError(400, 'InvalidRequestFormat', 'Cannot parse the request.');
      const lroFailure = ctx.faults.find((f) => f.kind === 'lro-failed');
      const location = String(ctx.body.location ?? existing?.location ?? 'westeurope');
      const { headers } = core.startOperation(ctx, s, location, lroFailure, {
        resourceId: id,
        name: 'PutNetworkSecurityGroupOperation',
      });
      if (lroFailure) return { status: existing ? 200 : 201, body: existing ?? { id, name }, headers };
      const nsg = state.putNsg(id, ctx.body as Parameters<typeof state.putNsg>[1]);
      publish(ctx, 'Microsoft.Resources.ResourceWriteSuccess', s, id, NSG_WRITE);
      return {
        status: existing ? 200 : 201,
        body: { ...nsg, properties: { ...nsg.properties, provisioningState: 'Updating' } },
        headers,
      };
    }),
    route('DELETE', NSG_PATH, (ctx, params) => {
      const [s = ''] = params.map(decode);
      const nsg = findNsg(params);
      if (!nsg) return { status: 204 };
      const contended = core.busy(nsg.id);
      if (contended) return contended;
      const failed = preconditionFails(ctx, nsg);
      if (failed) return failed;
      const lroFailure = ctx.faults.find((f) => f.kind === 'lro-failed');
      const { headers } = core.startOperation(ctx, s, nsg.location, lroFailure, {
        resourceId: nsg.id,
        name: 'DeleteNetworkSecurityGroupOperation',
      });
      if (!lroFailure) {
        state.deleteNsg(nsg.id);
        publish(ctx, 'Microsoft.Resources.ResourceDeleteSuccess', s, nsg.id, NSG_DELETE);
      }
      return { status: 202, headers };
    }),
    route('GET', `${NSG_PATH}/securityRules`, (ctx, params) => {
      const nsg = findNsg(params);
      return nsg ? page(nsg.properties.securityRules, ctx, core) : nsgNotFound(params);
    }),
    route('GET', `${NSG_PATH}/securityRules/{rule}`, (_ctx, params) => {
      const nsg = findNsg(params);
      if (!nsg) return nsgNotFound(params);
      const name = decode(params[3] ?? '');
      const rule = nsg.properties.securityRules.find((r) => r.name.toLowerCase() === name.toLowerCase());
      return rule
        ? { status: 200, body: rule, headers: { ETag: rule.etag } }
        : armError(404, 'NotFound', `Resource ${nsg.id}/securityRules/${name} not found.`);
    }),
    route('PUT', `${NSG_PATH}/securityRules/{rule}`, (ctx, params) => {
      const nsg = findNsg(params);
      if (!nsg) return nsgNotFound(params);
      const contended = core.busy(nsg.id);
      if (contended) return contended;
      const failed = preconditionFails(ctx, nsg);
      if (failed) return failed;
      const invalid = invalidRule(ctx.body);
      if (invalid) return invalid;
      const [s = ''] = params.map(decode);
      const name = decode(params[3] ?? '');
      const lroFailure = ctx.faults.find((f) => f.kind === 'lro-failed');
      const { headers } = core.startOperation(ctx, s, nsg.location, lroFailure, {
        resourceId: nsg.id,
        name: 'PutSecurityRuleOperation',
      });
      if (lroFailure) return { status: 201, body: { id: `${nsg.id}/securityRules/${name}`, name }, headers };
      const { rule, created } = state.putRule(nsg, name, ctx.body as Record<string, unknown>);
      publish(ctx, 'Microsoft.Resources.ResourceWriteSuccess', s, rule.id, RULE_WRITE);
      return {
        status: created ? 201 : 200,
        body: { ...rule, properties: { ...rule.properties, provisioningState: 'Updating' } },
        headers,
      };
    }),
    route('DELETE', `${NSG_PATH}/securityRules/{rule}`, (ctx, params) => {
      const nsg = findNsg(params);
      if (!nsg) return { status: 204 };
      const name = decode(params[3] ?? '');
      const rule = nsg.properties.securityRules.find((r) => r.name.toLowerCase() === name.toLowerCase());
      if (!rule) return { status: 204 };
      const contended = core.busy(nsg.id);
      if (contended) return contended;
      const failed = preconditionFails(ctx, nsg);
      if (failed) return failed;
      const [s = ''] = params.map(decode);
      const lroFailure = ctx.faults.find((f) => f.kind === 'lro-failed');
      const { headers } = core.startOperation(ctx, s, nsg.location, lroFailure, {
        resourceId: nsg.id,
        name: 'DeleteSecurityRuleOperation',
      });
      if (!lroFailure) {
        state.removeRule(nsg, name);
        publish(ctx, 'Microsoft.Resources.ResourceDeleteSuccess', s, rule.id, RULE_DELETE);
      }
      return { status: 202, headers };
    }),
    route('GET', `${NSG_PATH}/defaultSecurityRules`, (ctx, params) => {
      const nsg = findNsg(params);
      return nsg ? page(nsg.properties.defaultSecurityRules, ctx, core) : nsgNotFound(params);
    }),
    route('GET', `${NSG_PATH}/defaultSecurityRules/{rule}`, (_ctx, params) => {
      const nsg = findNsg(params);
      if (!nsg) return nsgNotFound(params);
      const name = decode(params[3] ?? '').toLowerCase();
      const rule = nsg.properties.defaultSecurityRules.find((r) => r.name.toLowerCase() === name);
      return rule
        ? { status: 200, body: rule }
        : armError(404, 'NotFound', `Default rule ${name} not found.`);
    }),
    route(
      'GET',
      '/subscriptions/{s}/providers/Microsoft.Network/locations/{loc}/operations/{id}',
      (_ctx, [, , id = '']) => {
        const poll = pollOperation(core, decode(id));
        if (!poll) return armError(404, 'OperationNotFound', `Operation ${id} not found.`);
        if (poll.running)
          return { status: 200, body: { status: 'InProgress' }, headers: core.retryAfterHeader() };
        const { operation } = poll;
        return {
          status: 200,
          body:
            operation.outcome === 'Succeeded'
              ? { status: 'Succeeded' }
              : { status: 'Failed', error: operation.error },
        };
      },
    ),
    route(
      'GET',
      '/subscriptions/{s}/providers/Microsoft.Network/locations/{loc}/operationResults/{id}',
      (ctx, [, , id = '']) => {
        const poll = pollOperation(core, decode(id));
        if (!poll) return armError(404, 'OperationNotFound', `Operation ${id} not found.`);
        // Recorded (azure-libraries-for-net NSG session, entry 20): the answer points at both
        // monitors again, done or not.
        const self = `${new URL(ctx.path, core.baseUrl())}?api-version=${ctx.apiVersion}`;
        const headers = {
          'Azure-AsyncOperation': self.replace(/\/operationResults\//i, '/operations/'),
          Location: self,
        };
        if (poll.running) return { status: 202, headers: { ...headers, ...core.retryAfterHeader() } };
        const { operation } = poll;
        if (operation.outcome === 'Failed') return { status: 400, body: { error: operation.error } };
        return { status: 204, headers };
      },
    ),
  ];
}

/** One poll of an operation: `running` while it still has InProgress answers to give. */
function pollOperation(core: EmulatorCore, id: string) {
  const operation = core.state.operations.get(id);
  if (!operation) return undefined;
  if (operation.pollsLeft > 0) {
    operation.pollsLeft -= 1;
    return { running: true, operation };
  }
  core.finishOperation(operation);
  return { running: false, operation };
}

const REQUIRED_RULE_PROPERTIES = ['protocol', 'access', 'direction', 'priority'] as const;

function invalidRule(body: unknown): Reply | undefined {
  if (!isRecord(body) || !isRecord(body.properties))
    return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: properties are required.');
  for (const property of REQUIRED_RULE_PROPERTIES) {
    if (body.properties[property] === undefined) {
      return armError(400, 'InvalidRequestFormat', `Security rule property ${property} is required.`);
    }
  }
  const priority = Number(body.properties.priority);
  if (!Number.isInteger(priority) || priority < 100 || priority > 4096) {
    return armError(
      400,
      'SecurityRuleInvalidPriority',
      `Security rule has invalid Priority ${String(body.properties.priority)}. Value provided: ${String(body.properties.priority)} Allowed range 100-4096.`,
    );
  }
  return undefined;
}
