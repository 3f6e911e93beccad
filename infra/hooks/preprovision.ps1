# The mode is the operator's choice, kept in the azd environment (or, in CI, a repository variable):
# a provision never picks it by itself, so `GUARDRAIL_MODE=report` survives every later deploy.
$ErrorActionPreference = 'Stop'
$mode = $env:GUARDRAIL_MODE
if ($mode -in @('enforce', 'report')) { exit 0 }
if ([string]::IsNullOrEmpty($mode)) {
  if ($env:CI -eq 'true') {
    Write-Error "GUARDRAIL_MODE is not set. Set the repository variable GUARDRAIL_MODE to enforce or report (``azd pipeline config`` copies it from your azd environment); nothing was provisioned."
    exit 1
  }
  azd env set GUARDRAIL_MODE enforce
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
  Write-Host 'GUARDRAIL_MODE was not set: this azd environment now enforces (deletes wildcard JIT rules).'
  Write-Host '  To only alert: azd env set GUARDRAIL_MODE report; azd provision'
  exit 0
}
Write-Error "GUARDRAIL_MODE is '$mode'; it must be enforce or report. Nothing was provisioned."
exit 1
