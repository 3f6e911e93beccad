# The mode is the operator's choice, kept in the azd environment (or, in CI, a repository variable):
# a provision never picks it by itself, so `GUARDRAIL_MODE=report` survives every later deploy.
# (preprovision.sh says the same; keep them in step.)
$ErrorActionPreference = 'Stop'
function Invoke-Azd {
  azd @args
  if ($LASTEXITCODE -ne 0) { throw "azd $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

# CI=true on GitHub Actions and most CI services; TF_BUILD on Azure Pipelines.
$inCi = [bool]$env:TF_BUILD -or ($env:CI -and $env:CI -notin @('false', '0'))
$mode = $env:GUARDRAIL_MODE
if ([string]::IsNullOrEmpty($mode)) {
  if ($inCi) {
    Write-Error "GUARDRAIL_MODE is not set. Set the repository variable GUARDRAIL_MODE to enforce or report (``azd pipeline config`` copies it from your azd environment); nothing was provisioned."
    exit 1
  }
  Invoke-Azd env set GUARDRAIL_MODE enforce
  Write-Host 'GUARDRAIL_MODE was not set: this azd environment now enforces (deletes wildcard JIT rules).'
  Write-Host '  To only alert: azd env set GUARDRAIL_MODE report; azd provision'
}
elseif ($mode -cin @('enforce', 'report')) {
  if (-not $inCi) {
    $recorded = azd env get-value GUARDRAIL_MODE 2>$null
    if ($LASTEXITCODE -ne 0 -or $recorded -ne $mode) {
      Invoke-Azd env set GUARDRAIL_MODE $mode
      Write-Host "GUARDRAIL_MODE=$mode is now recorded in this azd environment."
    }
  }
}
else {
  Write-Error "GUARDRAIL_MODE is '$mode'; it must be enforce or report. Nothing was provisioned."
  exit 1
}

$topic = $env:GUARDRAIL_EXISTING_SYSTEM_TOPIC
$topicGroup = $env:GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP
if ([string]::IsNullOrEmpty($topic) -ne [string]::IsNullOrEmpty($topicGroup)) {
  Write-Error 'Set both GUARDRAIL_EXISTING_SYSTEM_TOPIC and GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP to reuse a system topic, or neither. Nothing was provisioned.'
  exit 1
}

# Each further subscription must be an id (a GUID), split on commas and spaces as main.bicep splits it.
foreach ($id in ("$env:GUARDRAIL_SWEEP_SUBSCRIPTIONS" -split '[, ]+' | Where-Object { $_ })) {
  if ($id -notmatch '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$') {
    Write-Error "GUARDRAIL_SWEEP_SUBSCRIPTIONS: '$id' is not a subscription id (a GUID); separate ids with commas or spaces. Nothing was provisioned."
    exit 1
  }
}

# A management group is named by its id (not its display name), as the apps' settings require.
foreach ($setting in @('GUARDRAIL_GUARDED_MANAGEMENT_GROUP', 'GUARDRAIL_ROLE_MANAGEMENT_GROUP')) {
  $group = [Environment]::GetEnvironmentVariable($setting)
  if (-not [string]::IsNullOrEmpty($group) -and $group -cnotmatch '^[A-Za-z0-9_().-]{1,90}$') {
    Write-Error "$setting is not a management group id (letters, digits, - _ . ( ), at most 90; not its display name). Nothing was provisioned."
    exit 1
  }
}
if (-not [string]::IsNullOrEmpty($env:GUARDRAIL_ROLE_MANAGEMENT_GROUP) -and -not [string]::IsNullOrEmpty($env:GUARDRAIL_ROLE_ASSIGNABLE_SCOPES)) {
  Write-Error "With GUARDRAIL_ROLE_MANAGEMENT_GROUP the JIT requester role is assignable at that group only: unset GUARDRAIL_ROLE_ASSIGNABLE_SCOPES. Nothing was provisioned."
  exit 1
}
