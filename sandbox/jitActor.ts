import { SecurityCenter } from '@azure/arm-security';
import { emulatorCredential, userPrincipal } from './emulator/principal.js';

export interface JitActorOptions {
  readonly armUrl: string;
  readonly ca: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  /** Who asks for access; their UPN becomes the JIT request's `requestor`. */
  readonly upn: string;
}

/** A person using Defender for Cloud JIT, through the real `@azure/arm-security` client. */
export class JitActor {
  private readonly client: SecurityCenter;

  constructor(private readonly options: JitActorOptions) {
    this.client = new SecurityCenter(emulatorCredential(userPrincipal(options.upn)), options.subscriptionId, {
      endpoint: options.armUrl,
      $host: options.armUrl,
      tlsOptions: { ca: options.ca },
      retryOptions: { maxRetries: 2, retryDelayInMs: 10 },
    });
  }

  /** Enables JIT on a VM: a policy over these ports, each allowing requests from `allowedSource`. */
  async enable(
    vmId: string,
    ports: readonly number[],
    allowedSource = '*',
    policyName = 'default',
  ): Promise<void> {
    const { resourceGroup, location } = this.options;
    const existing = await this.policyVms(policyName);
    const others = existing.filter((vm) => vm.id.toLowerCase() !== vmId.toLowerCase());
    await this.client.jitNetworkAccessPolicies.createOrUpdate(resourceGroup, location, policyName, {
      kind: 'Basic',
      virtualMachines: [
        ...others,
        {
          id: vmId,
          ports: ports.map((number) => ({
            number,
            protocol: '*',
            allowedSourceAddressPrefix: allowedSource,
            maxRequestAccessDuration: 'PT3H',
          })),
        },
      ],
    });
  }

  /** Requests access to one port of a VM from `source`, as a person would in the portal. */
  async request(vmId: string, port: number, source: string, justification?: string, policyName = 'default') {
    const { resourceGroup, location } = this.options;
    return this.client.jitNetworkAccessPolicies.initiate(resourceGroup, location, policyName, {
      virtualMachines: [
        {
          id: vmId,
          ports: [
            {
              number: port,
              allowedSourceAddressPrefix: source,
              endTimeUtc: new Date(Date.now() + 3_600_000),
            },
          ],
        },
      ],
      ...(justification !== undefined ? { justification } : {}),
    });
  }

  private async policyVms(policyName: string) {
    try {
      const policy = await this.client.jitNetworkAccessPolicies.get(
        this.options.resourceGroup,
        this.options.location,
        policyName,
      );
      return policy.virtualMachines;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw error;
    }
  }
}
