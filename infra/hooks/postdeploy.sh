#!/bin/sh
# After the first code deploy, wire the subscription's events to the guard function.
set -eu
if [ "$(azd env get-value DEPLOY_EVENT_SUBSCRIPTION 2>/dev/null || echo false)" != "true" ]; then
  azd env set DEPLOY_EVENT_SUBSCRIPTION true
  azd provision --no-prompt
fi
