import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { GuardrailConfig } from '../config/settings.js';

/** The bearer token sent to a loopback ARM endpoint (the local emulator); never to Azure. */
export const LOCAL_EMULATOR_TOKEN = 'jit-guardrail-local-emulator';

const localEmulatorCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: LOCAL_EMULATOR_TOKEN, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
  },
};

/**
 * The identity the guardrail uses for ARM: in Azure its user-assigned managed identity (or the
 * developer's `az login` through DefaultAzureCredential); against the emulator a fixed local token.
 */
export function createArmCredential(config: GuardrailConfig): TokenCredential {
  if (config.arm.isLoopback) return localEmulatorCredential;
  if (config.managedIdentityClientId !== undefined) {
    return new ManagedIdentityCredential({ clientId: config.managedIdentityClientId });
  }
  return new DefaultAzureCredential();
}
