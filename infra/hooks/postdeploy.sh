#!/bin/sh
# After the code deploy, wire the subscription's events to the guard function. Event Grid checks that
# the function exists, and a new app indexes its functions a little after the deploy returns, so
# that one answer ("Destination endpoint not found") is retried for a bounded time; any other
# failure stops at once. DEPLOY_EVENT_SUBSCRIPTION is true only during this provision, so a first
# provision of a new environment never creates the subscription before the code exists.
set -eu
attempts="${GUARDRAIL_EVENTS_ATTEMPTS:-10}"
delay="${GUARDRAIL_EVENTS_RETRY_SECONDS:-30}"
log="$(mktemp)"
status="$(mktemp)"
azd env set DEPLOY_EVENT_SUBSCRIPTION true
trap 'azd env set DEPLOY_EVENT_SUBSCRIPTION false; rm -f "$log" "$status"' EXIT
attempt=1
while :; do
  { azd provision --no-prompt 2>&1; echo "$?" >"$status"; } | tee "$log"
  if [ "$(cat "$status")" = "0" ]; then
    echo "The guard function receives the subscription's events (attempt $attempt)."
    exit 0
  fi
  if ! grep -qi -e "Destination endpoint not found" -e "Endpoint validation" "$log"; then
    echo "error: creating the Event Grid subscription failed (see above); it was not retried." >&2
    exit 1
  fi
  if [ "$attempt" -ge "$attempts" ]; then
    echo "error: the guard function was still not found by Event Grid after $attempts attempts." >&2
    echo "  Check the deployment in the portal (Functions list), then run: azd hooks run postdeploy" >&2
    exit 1
  fi
  echo "The guard function is not indexed yet (attempt $attempt of $attempts); retrying in ${delay}s."
  sleep "$delay"
  attempt=$((attempt + 1))
done
