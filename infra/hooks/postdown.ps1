# `azd down` leaves the purge-protected Key Vault soft-deleted and its name taken (see postdown.sh).
$ErrorActionPreference = 'Stop'
$generation = 1
$current = azd env get-value GUARDRAIL_KEY_VAULT_GENERATION 2>$null
if ($LASTEXITCODE -eq 0 -and $current -match '^\d+$') { $generation = [int]$current }
$next = $generation + 1
azd env set GUARDRAIL_KEY_VAULT_GENERATION $next
azd env set DEPLOY_EVENT_SUBSCRIPTION false
Write-Host "The next provision creates Key Vault generation $next (the old vault stays soft-deleted and protected)."
Write-Host "  Deploying from CI? Run ``azd pipeline config`` again so GUARDRAIL_KEY_VAULT_GENERATION=$next reaches it."
