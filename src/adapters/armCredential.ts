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

/** The token scope of ARM calls at the configured endpoint. */
export function armTokenScope(config: GuardrailConfig): string {
  return `${config.arm.endpoint}/.default`;
}

/** The token scope of Table Storage reached through an identity (`AzureWebJobsStorage__tableServiceUri`). */
export const STORAGE_TOKEN_SCOPE = 'https://storage.azure.com/.default';

/**
 * Asks for one token before a CLI command's first Azure call, so a missing sign-in is told once,
 * as what to do, instead of as every call failing. Undefined when a token came.
 */
export async function credentialProblem(
  credential: TokenCredential,
  scope: string,
  managedIdentityClientId: string | undefined,
): Promise<string | undefined> {
  try {
    await credential.getToken(scope);
    return undefined;
  } catch (error) {
    return describeCredentialFailure(error, managedIdentityClientId);
  }
}

/** Errors by which a credential says "not signed in here", as opposed to a sign-in that was refused. */
const NOT_SIGNED_IN = new Set(['CredentialUnavailableError', 'AuthenticationRequiredError']);

/** One line on why no token came and what to do; by error name, since SDK bundles may hold their own classes. */
export function describeCredentialFailure(
  error: unknown,
  managedIdentityClientId: string | undefined,
): string {
  const refusal = credentialErrors(error).find((e) => !NOT_SIGNED_IN.has(e.name));
  if (refusal !== undefined)
    return `Azure sign-in failed (${refusal.message.split('\n')[0]}): run \`az login\` again`;
  if (managedIdentityClientId !== undefined)
    return `no managed identity with client id ${managedIdentityClientId} (AZURE_CLIENT_ID) is available here: run where it is assigned, or unset AZURE_CLIENT_ID and run \`az login\``;
  return 'no Azure credential found: run `az login` (or, on an Azure host, set AZURE_CLIENT_ID to the client id of its managed identity)';
}

/** A chain's failure holds one error per credential it tried. */
function credentialErrors(error: unknown): { name: string; message: string }[] {
  const inner = (error as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(inner)) return inner.flatMap(credentialErrors);
  if (error instanceof Error) return [{ name: error.name, message: error.message }];
  return [{ name: 'Error', message: String(error) }];
}
