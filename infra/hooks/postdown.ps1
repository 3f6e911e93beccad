# `azd down` leaves the purge-protected Key Vault soft-deleted and its name taken (see postdown.sh).
$ErrorActionPreference = 'Stop'
function Invoke-Azd {
  azd @args
  if ($LASTEXITCODE -ne 0) { throw "azd $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

$generation = 1   # never set: the vault was created with the template's default
$current = azd env get-value GUARDRAIL_KEY_VAULT_GENERATION 2>$null
if ($LASTEXITCODE -eq 0) {
  if ($current -notmatch '^[1-9][0-9]{0,2}$') {
    Write-Error "GUARDRAIL_KEY_VAULT_GENERATION is '$current', not a whole number from 1 to 998: the next provision could meet a soft-deleted vault. Set the next unused generation by hand: azd env set GUARDRAIL_KEY_VAULT_GENERATION <N>"
    exit 1
  }
  $generation = [int]$current
}
$next = $generation + 1
if ($next -gt 999) {
  Write-Error "Key Vault generation $generation is the last one; purge the old vaults and set GUARDRAIL_KEY_VAULT_GENERATION=1."
  exit 1
}
Invoke-Azd env set GUARDRAIL_KEY_VAULT_GENERATION $next
Invoke-Azd env set DEPLOY_EVENT_SUBSCRIPTION false
Write-Host "The next provision creates Key Vault generation $next (the old vault stays soft-deleted and protected)."
Write-Host "  Deploying from CI? Run ``azd pipeline config`` again so GUARDRAIL_KEY_VAULT_GENERATION=$next reaches it."
