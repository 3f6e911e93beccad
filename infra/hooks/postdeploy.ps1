# After the code deploy, wire the subscription's events to the guard function (see postdeploy.sh:
# only "Destination endpoint not found" is retried, for a bounded time; the flag is set only meanwhile).
$ErrorActionPreference = 'Stop'
$attempts = if ($env:GUARDRAIL_EVENTS_ATTEMPTS) { [int]$env:GUARDRAIL_EVENTS_ATTEMPTS } else { 10 }
$delay = if ($env:GUARDRAIL_EVENTS_RETRY_SECONDS) { [int]$env:GUARDRAIL_EVENTS_RETRY_SECONDS } else { 30 }
azd env set DEPLOY_EVENT_SUBSCRIPTION true
try {
  for ($attempt = 1; ; $attempt++) {
    azd provision --no-prompt 2>&1 | Tee-Object -Variable lines | Out-Host
    if ($LASTEXITCODE -eq 0) {
      Write-Host "The guard function receives the subscription's events (attempt $attempt)."
      exit 0
    }
    $text = ($lines | Out-String)
    if ($text -notmatch 'Destination endpoint not found|Endpoint validation') {
      Write-Error 'Creating the Event Grid subscription failed (see above); it was not retried.'
      exit 1
    }
    if ($attempt -ge $attempts) {
      Write-Error "The guard function was still not found by Event Grid after $attempts attempts. Check the deployment, then run: azd hooks run postdeploy"
      exit 1
    }
    Write-Host "The guard function is not indexed yet (attempt $attempt of $attempts); retrying in ${delay}s."
    Start-Sleep -Seconds $delay
  }
}
finally {
  azd env set DEPLOY_EVENT_SUBSCRIPTION false
}
