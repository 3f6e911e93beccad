import { armError, decode, route, type EmulatorCore, type Route } from './routing.js';

/**
 * `GET /subscriptions/{id}`, shaped like the published example (Subscriptions_Get, 2021-01-01):
 * the subscriptions the emulator was told the names of; any other is not found, as for a caller
 * who cannot see it.
 */
export function subscriptionRoutes(core: EmulatorCore): Route[] {
  return [
    route('GET', '/subscriptions/{s}', (_ctx, [s = '']) => {
      const id = decode(s);
      const displayName = core.state.subscriptionNames.get(id.toLowerCase());
      if (displayName === undefined)
        return armError(404, 'SubscriptionNotFound', `The subscription '${id}' could not be found.`);
      return {
        status: 200,
        body: {
          id: `/subscriptions/${id}`,
          subscriptionId: id,
          tenantId: core.state.tenantId,
          displayName,
          state: 'Enabled',
          subscriptionPolicies: {
            locationPlacementId: 'Public_2014-09-01',
            quotaId: 'PayAsYouGo_2014-09-01',
            spendingLimit: 'Off',
          },
          authorizationSource: 'RoleBased',
        },
      };
    }),
  ];
}
