import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import {
  adminAuthFrom,
  authorizeReconcileCaller,
  decideReconcileRun,
  MAX_BODY_BYTES,
  type Refusal,
} from '../lib/http/reconcileRequest.js';
import { redactValue } from '../core/redact.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';
import { readBodyUpTo } from './readBodyUpTo.js';

/**
 * `POST /api/reconcile`: reconcile the JIT requester role now and answer a JSON report. The caller
 * is checked first, before settings or body; a dry run unless `{"dryRun": false}` is asked for by a
 * caller App Service authentication signed in with the admin app role.
 */
export async function reconcileHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  const started = Date.now();
  const refuse = (refusal: Refusal): HttpResponseInit => {
    log.warn(`reconcile request refused (${refusal.status}): ${refusal.error}`);
    return { status: refusal.status, jsonBody: { error: refusal.error }, headers: refusal.headers ?? {} };
  };
  const caller = authorizeReconcileCaller(request, adminAuthFrom(process.env));
  if ('ok' in caller) return refuse(caller);
  const body = await readBodyUpTo(request, MAX_BODY_BYTES);
  const run = decideReconcileRun(caller, body, request.query);
  if (!run.ok) return refuse(run);
  try {
    const core = await loadAppCore();
    const runtime = core.runtimeFromEnvironment();
    log.info(`reconcile requested${caller.name ? ` by ${caller.name}` : ''} (dryRun ${run.dryRun})`);
    const report = await core.reconcileRole(
      { dryRun: run.dryRun, trigger: 'http' },
      runtime.reconcileDeps(log),
    );
    return { status: 200, jsonBody: redactValue({ role: report, durationMs: Date.now() - started }) };
  } catch (error) {
    // Logged in full; the caller gets what kind of failure it was and where to look, never ARM's
    // text (it names identities and ids) or a setting's value.
    log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    const name = error instanceof Error ? error.name : '';
    const [status, what] =
      name === 'ArmCallError'
        ? [502, 'Azure Resource Manager refused or failed the role read or write']
        : name === 'ConfigError'
          ? [500, 'the app settings are invalid']
          : [500, 'reconcile failed'];
    return {
      status,
      jsonBody: {
        error: `${what}; see the function logs (invocation ${context.invocationId})`,
        durationMs: Date.now() - started,
      },
    };
  }
}

export function registerReconcileHttp(): void {
  app.http('reconcile', {
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    authLevel: 'function',
    route: 'reconcile',
    handler: reconcileHttp,
  });
}
