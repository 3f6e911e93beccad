#!/bin/sh
# `azd down` leaves the purge-protected Key Vault soft-deleted for its retention period, and its name
# cannot be reused until then: the next `azd up` takes the next generation of the name. The next first
# provision also starts without the event subscription (the postdeploy hook creates it).
set -eu
if generation="$(azd env get-value GUARDRAIL_KEY_VAULT_GENERATION 2>/dev/null)"; then
  case "$generation" in
    [1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;;
    *)
      echo "error: GUARDRAIL_KEY_VAULT_GENERATION is '$generation', not a whole number from 1 to 998: the next" >&2
      echo "  provision could meet a soft-deleted vault. Set the next unused generation by hand:" >&2
      echo "  azd env set GUARDRAIL_KEY_VAULT_GENERATION <N>" >&2
      exit 1
      ;;
  esac
else
  generation=1 # never set: the vault was created with the template's default
fi
next=$((generation + 1))
if [ "$next" -gt 999 ]; then
  echo "error: Key Vault generation $generation is the last one; purge the old vaults and set GUARDRAIL_KEY_VAULT_GENERATION=1." >&2
  exit 1
fi
azd env set GUARDRAIL_KEY_VAULT_GENERATION "$next"
azd env set DEPLOY_EVENT_SUBSCRIPTION false
echo "The next provision creates Key Vault generation $next (the old vault stays soft-deleted and protected)."
echo "  Deploying from CI? Run \`azd pipeline config\` again so GUARDRAIL_KEY_VAULT_GENERATION=$next reaches it."
