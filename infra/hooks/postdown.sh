#!/bin/sh
# `azd down` leaves the purge-protected Key Vault soft-deleted for its retention period, and its name
# cannot be reused until then: the next `azd up` takes the next generation of the name. The next first
# provision also starts without the event subscription (the postdeploy hook creates it).
set -eu
generation="$(azd env get-value GUARDRAIL_KEY_VAULT_GENERATION 2>/dev/null || true)"
case "$generation" in
  "" | *[!0-9]*) generation=1 ;;
esac
next=$((generation + 1))
azd env set GUARDRAIL_KEY_VAULT_GENERATION "$next"
azd env set DEPLOY_EVENT_SUBSCRIPTION false
echo "The next provision creates Key Vault generation $next (the old vault stays soft-deleted and protected)."
echo "  Deploying from CI? Run \`azd pipeline config\` again so GUARDRAIL_KEY_VAULT_GENERATION=$next reaches it."
