import type { ArmEmulator } from './emulator/index.js';
import { JitActor } from './jitActor.js';

export const SANDBOX_SUBSCRIPTION = 'b3c1d7e5-0f1a-4c2b-9d3e-5f6a7b8c9d0e';
export const SANDBOX_LOCATION = 'westeurope';
export const SANDBOX_SUBSCRIPTION_NAME = 'Contoso Sandbox';
export const ROLE_NAME = 'JIT Access Requester';

export interface SandboxVm {
  readonly name: string;
  readonly resourceGroup: string;
  readonly vmId: string;
  readonly nsgId: string;
  readonly jitPorts: readonly number[];
  readonly allowedSource: string;
}

/** A small realistic subscription: two resource groups, three VMs with their NSGs, JIT on all three. */
export const SANDBOX_VMS = [
  { name: 'web-01', resourceGroup: 'rg-web', jitPorts: [22, 3389], allowedSource: '*' },
  { name: 'web-02', resourceGroup: 'rg-web', jitPorts: [22, 3389], allowedSource: '*' },
  { name: 'sql-01', resourceGroup: 'rg-data', jitPorts: [22, 1433], allowedSource: '198.51.100.0/24' },
] as const;

/**
 * Seeds the emulator: VMs with NSGs (a public HTTPS rule on the web tier, which is not JIT's and must
 * stay), JIT policies (the web tier's allows requests from any source: the root cause), and the JIT
 * requester role with drift (someone added the right to edit JIT policies).
 */
export async function seedSubscription(
  arm: ArmEmulator,
  admin = 'platform-admin@contoso.com',
): Promise<SandboxVm[]> {
  arm.nameSubscription(SANDBOX_SUBSCRIPTION, SANDBOX_SUBSCRIPTION_NAME);
  const vms: SandboxVm[] = [];
  for (const spec of SANDBOX_VMS) {
    const publicHttps =
      spec.resourceGroup === 'rg-web'
        ? [
            {
              name: 'AllowHttpsFromInternet',
              properties: {
                protocol: 'Tcp',
                sourcePortRange: '*',
                destinationPortRange: '443',
                sourceAddressPrefix: 'Internet',
                destinationAddressPrefix: '*',
                access: 'Allow',
                priority: 300,
                direction: 'Inbound',
              },
            },
          ]
        : [];
    const seeded = arm.seedVm({
      subscriptionId: SANDBOX_SUBSCRIPTION,
      resourceGroup: spec.resourceGroup,
      name: spec.name,
      location: SANDBOX_LOCATION,
      rules: publicHttps,
    });
    vms.push({ ...spec, ...seeded });
  }
  for (const resourceGroup of new Set(vms.map((vm) => vm.resourceGroup))) {
    const actor = new JitActor({
      armUrl: arm.url,
      ca: arm.ca,
      subscriptionId: SANDBOX_SUBSCRIPTION,
      resourceGroup,
      location: SANDBOX_LOCATION,
      upn: admin,
    });
    for (const vm of vms.filter((v) => v.resourceGroup === resourceGroup))
      await actor.enable(vm.vmId, vm.jitPorts, vm.allowedSource);
  }
  arm.seedRoleDefinition(`/subscriptions/${SANDBOX_SUBSCRIPTION}`, '0c3f1d6e-9a8b-4c7d-8e5f-2a1b3c4d5e6f', {
    roleName: ROLE_NAME,
    description: 'Lets consultants request JIT access.',
    assignableScopes: [`/subscriptions/${SANDBOX_SUBSCRIPTION}`],
    permissions: [
      {
        actions: [
          'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action',
          'Microsoft.Security/locations/jitNetworkAccessPolicies/*/read',
          'Microsoft.Security/locations/jitNetworkAccessPolicies/write',
          'Microsoft.Compute/virtualMachines/read',
          'Microsoft.Network/networkInterfaces/*/read',
        ],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ],
    updatedBy: 'someone-in-a-hurry@contoso.com',
  });
  await arm.events.idle();
  return vms;
}

export function actorFor(
  arm: { url: string; ca: string },
  vm: { resourceGroup: string },
  upn: string,
): JitActor {
  return new JitActor({
    armUrl: arm.url,
    ca: arm.ca,
    subscriptionId: SANDBOX_SUBSCRIPTION,
    resourceGroup: vm.resourceGroup,
    location: SANDBOX_LOCATION,
    upn,
  });
}
