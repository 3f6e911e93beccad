#!/bin/sh
# After the code deploy, wire the subscription's events to both apps: NSG writes to the guard app's
# `guard` function, role-definition writes to the reconciler app's `roleEvents` function (one
# provision creates both event subscriptions, so it succeeds only once both functions exist). Event
# Grid checks that a function exists, and a new app indexes its functions a little after the deploy
# returns, so that one answer ("Destination endpoint not found") is retried for a bounded time; any
# other failure stops at once. DEPLOY_EVENT_SUBSCRIPTION is true only during this provision, so a
# first provision of a new environment never creates the subscriptions before the code exists.
set -eu
attempts="${GUARDRAIL_EVENTS_ATTEMPTS:-10}"
delay="${GUARDRAIL_EVENTS_RETRY_SECONDS:-30}"
case "$attempts" in
  [1-9] | [1-9][0-9]) ;;
  *) echo "error: GUARDRAIL_EVENTS_ATTEMPTS is '$attempts'; it must be a whole number from 1 to 99." >&2; exit 1 ;;
esac
case "$delay" in
  [0-9] | [1-9][0-9] | [1-5][0-9][0-9]) ;;
  *) echo "error: GUARDRAIL_EVENTS_RETRY_SECONDS is '$delay'; it must be a whole number from 0 to 599." >&2; exit 1 ;;
esac
log="$(mktemp)"
status="$(mktemp)"
trap 'azd env set DEPLOY_EVENT_SUBSCRIPTION false; rm -f "$log" "$status"' EXIT
# dash runs the EXIT trap on a signal only when the signal's own trap exits.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
azd env set DEPLOY_EVENT_SUBSCRIPTION true
attempt=1
while :; do
  {
    rc=0
    azd provision --no-prompt 2>&1 || rc=$?
    echo "$rc" >"$status"
  } | tee "$log"
  if [ "$(cat "$status")" = "0" ]; then
    echo "The guard and roleEvents functions receive the subscription's events (attempt $attempt)."
    exit 0
  fi
  if ! grep -qi "Destination endpoint not found" "$log"; then
    echo "error: creating the Event Grid subscriptions failed (see above); it was not retried." >&2
    exit 1
  fi
  # Which of the two Event Grid could not find, as its error names it (sites/<app>/functions/<name>).
  missing="$(grep -io 'sites/[^/" ]*/functions/[A-Za-z0-9_]*' "$log" | sort -u | tr '\n' ' ' | sed 's/ $//')"
  if [ "$attempt" -ge "$attempts" ]; then
    echo "error: Event Grid still found no ${missing:-guard or roleEvents function} after $attempts attempts." >&2
    echo "  Check both apps' Functions lists in the portal (guard: guard; reconciler: roleEvents), then run: azd hooks run postdeploy" >&2
    exit 1
  fi
  echo "Not indexed yet: ${missing:-guard or roleEvents function} (attempt $attempt of $attempts); retrying in ${delay}s."
  sleep "$delay"
  attempt=$((attempt + 1))
done
