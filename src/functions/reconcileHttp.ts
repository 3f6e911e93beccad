import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ConfigError } from '../config/configError.js';
import { decideReconcileRequest } from '../lib/http/reconcileRequest.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** `POST /api/reconcile`: reconcile the JIT requester role now and answer a JSON report. */
export async function reconcileHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  const started = Date.now();
  const core = await loadAppCore();
  try {
    const runtime = core.runtimeFromEnvironment();
    const decision = decideReconcileRequest(
      {
        method: request.method,
        headers: request.headers,
        query: request.query,
        bodyText: await request.text(),
      },
      runtime.config.adminAppRole,
    );
    if (!decision.ok)
      return {
        status: decision.status,
        jsonBody: { error: decision.error },
        headers: decision.headers ?? {},
      };
    log.info(
      `reconcile requested${decision.caller ? ` by ${decision.caller}` : ''} (dryRun ${decision.dryRun})`,
    );
    const report = await core.reconcileRole(
      { dryRun: decision.dryRun, trigger: 'http' },
      runtime.reconcileDeps(log),
    );
    return { status: 200, jsonBody: { role: report, durationMs: Date.now() - started } };
  } catch (error) {
    // Logged in full; the caller gets the reason without a stack trace.
    log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    const status = error instanceof core.ArmCallError ? 502 : 500;
    const message =
      error instanceof ConfigError || error instanceof core.ArmCallError
        ? error.message
        : 'reconcile failed; see the function logs';
    return { status, jsonBody: { error: message, durationMs: Date.now() - started } };
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
