#!/bin/sh
# The mode is the operator's choice, kept in the azd environment (or, in CI, a repository variable):
# a provision never picks it by itself, so `GUARDRAIL_MODE=report` survives every later deploy.
set -eu
case "${GUARDRAIL_MODE:-}" in
  enforce | report) ;;
  "")
    if [ "${CI:-}" = "true" ]; then
      echo "error: GUARDRAIL_MODE is not set. Set the repository variable GUARDRAIL_MODE to enforce or report" >&2
      echo "  (\`azd pipeline config\` copies it from your azd environment); nothing was provisioned." >&2
      exit 1
    fi
    azd env set GUARDRAIL_MODE enforce
    echo "GUARDRAIL_MODE was not set: this azd environment now enforces (deletes wildcard JIT rules)."
    echo "  To only alert: azd env set GUARDRAIL_MODE report && azd provision"
    ;;
  *)
    echo "error: GUARDRAIL_MODE is '${GUARDRAIL_MODE}'; it must be enforce or report. Nothing was provisioned." >&2
    exit 1
    ;;
esac
