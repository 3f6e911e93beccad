# After the code deploy, wire the subscription's events to both apps: `guard` in the guard app and
# `roleEvents` in the reconciler app (see postdeploy.sh: one provision creates both subscriptions; only
# "Destination endpoint not found" is retried, for a bounded time; the flag is set only meanwhile).
$ErrorActionPreference = 'Stop'
function Invoke-Azd {
  azd @args
  if ($LASTEXITCODE -ne 0) { throw "azd $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

$attempts = if ($env:GUARDRAIL_EVENTS_ATTEMPTS) { $env:GUARDRAIL_EVENTS_ATTEMPTS } else { '10' }
$delay = if ($env:GUARDRAIL_EVENTS_RETRY_SECONDS) { $env:GUARDRAIL_EVENTS_RETRY_SECONDS } else { '30' }
if ($attempts -notmatch '^[1-9][0-9]?$') { Write-Error "GUARDRAIL_EVENTS_ATTEMPTS is '$attempts'; it must be a whole number from 1 to 99."; exit 1 }
if ($delay -notmatch '^([0-9]|[1-9][0-9]|[1-5][0-9][0-9])$') { Write-Error "GUARDRAIL_EVENTS_RETRY_SECONDS is '$delay'; it must be a whole number from 0 to 599."; exit 1 }
$attempts = [int]$attempts
$delay = [int]$delay
Invoke-Azd env set DEPLOY_EVENT_SUBSCRIPTION true
try {
  for ($attempt = 1; ; $attempt++) {
    azd provision --no-prompt 2>&1 | Tee-Object -Variable lines | Out-Host
    if ($LASTEXITCODE -eq 0) {
      Write-Host "The guard and roleEvents functions receive the subscription's events (attempt $attempt)."
      exit 0
    }
    $text = ($lines | Out-String)
    if ($text -notmatch 'Destination endpoint not found') {
      Write-Error 'Creating the Event Grid subscriptions failed (see above); it was not retried.'
      exit 1
    }
    # Which of the two Event Grid could not find, as its error names it (sites/<app>/functions/<name>).
    $missing = ([regex]::Matches($text, 'sites/[^/" ]*/functions/[A-Za-z0-9_]*', 'IgnoreCase') | ForEach-Object { $_.Value } | Sort-Object -Unique) -join ' '
    if (-not $missing) { $missing = 'guard or roleEvents function' }
    if ($attempt -ge $attempts) {
      Write-Error "Event Grid still found no $missing after $attempts attempts. Check both apps' Functions lists in the portal (guard: guard; reconciler: roleEvents), then run: azd hooks run postdeploy"
      exit 1
    }
    Write-Host "Not indexed yet: $missing (attempt $attempt of $attempts); retrying in ${delay}s."
    Start-Sleep -Seconds $delay
  }
}
finally {
  Invoke-Azd env set DEPLOY_EVENT_SUBSCRIPTION false
}
