#!/bin/sh
# The mode is the operator's choice, kept in the azd environment (or, in CI, a repository variable):
# a provision never picks it by itself, so `GUARDRAIL_MODE=report` survives every later deploy.
set -eu
# CI=true on GitHub Actions and most CI services; TF_BUILD on Azure Pipelines.
in_ci() { [ -n "${TF_BUILD:-}" ] || { [ -n "${CI:-}" ] && [ "$CI" != "false" ] && [ "$CI" != "0" ]; }; }
case "${GUARDRAIL_MODE:-}" in
  enforce | report)
    # A mode exported in the shell but not in the azd environment would be used once and forgotten.
    if ! in_ci && [ "$(azd env get-value GUARDRAIL_MODE 2>/dev/null || true)" != "$GUARDRAIL_MODE" ]; then
      azd env set GUARDRAIL_MODE "$GUARDRAIL_MODE"
      echo "GUARDRAIL_MODE=$GUARDRAIL_MODE is now recorded in this azd environment."
    fi
    ;;
  "")
    if in_ci; then
      echo "error: GUARDRAIL_MODE is not set. Set the repository variable GUARDRAIL_MODE to enforce or report" >&2
      echo "  (\`azd pipeline config\` copies it from your azd environment); nothing was provisioned." >&2
      exit 1
    fi
    azd env set GUARDRAIL_MODE enforce
    echo "GUARDRAIL_MODE was not set: this azd environment now enforces (deletes wildcard JIT rules)."
    echo "  To only alert: azd env set GUARDRAIL_MODE report && azd provision"
    ;;
  *)
    printf "error: GUARDRAIL_MODE is '%s'; it must be enforce or report. Nothing was provisioned.\n" "$GUARDRAIL_MODE" >&2
    exit 1
    ;;
esac

# Reusing a system topic needs both its name and its resource group.
if [ -n "${GUARDRAIL_EXISTING_SYSTEM_TOPIC:-}" ] && [ -z "${GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP:-}" ]; then
  echo "error: GUARDRAIL_EXISTING_SYSTEM_TOPIC is set but GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP is not:" >&2
  echo "  azd env set GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP <the topic's resource group>. Nothing was provisioned." >&2
  exit 1
fi
if [ -z "${GUARDRAIL_EXISTING_SYSTEM_TOPIC:-}" ] && [ -n "${GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP:-}" ]; then
  echo "error: GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP is set but GUARDRAIL_EXISTING_SYSTEM_TOPIC is not. Nothing was provisioned." >&2
  exit 1
fi

# Each further subscription must be an id (a GUID), split on commas and spaces as main.bicep splits
# it: ARM would refuse a bad one only after the apps were made. No other separator: grep would judge
# a value with a line break line by line.
newline='
'
tab=$(printf '\t')
case "${GUARDRAIL_SWEEP_SUBSCRIPTIONS:-}" in
  *"$newline"* | *"$tab"*)
    echo "error: GUARDRAIL_SWEEP_SUBSCRIPTIONS holds a line break or a tab; separate subscription ids with commas or spaces. Nothing was provisioned." >&2
    exit 1
    ;;
esac
set -f
old_ifs=$IFS
IFS=', '
for id in ${GUARDRAIL_SWEEP_SUBSCRIPTIONS:-}; do
  [ -z "$id" ] && continue
  if ! printf '%s\n' "$id" | grep -Eqx '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}'; then
    printf "error: GUARDRAIL_SWEEP_SUBSCRIPTIONS: '%s' is not a subscription id (a GUID); separate ids with commas or spaces. Nothing was provisioned.\n" "$id" >&2
    exit 1
  fi
done
IFS=$old_ifs
set +f

# A management group is named by its id (not its display name), as the apps' settings require.
check_group_id() {
  case "$2" in
    *"$newline"*) ;;
    '') return 0 ;;
    *) printf '%s\n' "$2" | grep -Eqx '[A-Za-z0-9_().-]{1,90}' && return 0 ;;
  esac
  echo "error: $1 is not a management group id (letters, digits, - _ . ( ), at most 90; not its display name). Nothing was provisioned." >&2
  exit 1
}
check_group_id GUARDRAIL_GUARDED_MANAGEMENT_GROUP "${GUARDRAIL_GUARDED_MANAGEMENT_GROUP:-}"
check_group_id GUARDRAIL_ROLE_MANAGEMENT_GROUP "${GUARDRAIL_ROLE_MANAGEMENT_GROUP:-}"
if [ -n "${GUARDRAIL_ROLE_MANAGEMENT_GROUP:-}" ] && [ -n "${GUARDRAIL_ROLE_ASSIGNABLE_SCOPES:-}" ]; then
  echo "error: with GUARDRAIL_ROLE_MANAGEMENT_GROUP the JIT requester role is assignable at that group only: unset GUARDRAIL_ROLE_ASSIGNABLE_SCOPES (azd env set GUARDRAIL_ROLE_ASSIGNABLE_SCOPES ''). Nothing was provisioned." >&2
  exit 1
fi
