# asr-preflight probe "trust" (PowerShell 5.1, read-only): SHA-256, subject and notAfter of every
# certificate in LocalMachine\Root. Prints one JSON object.
$probe = 'trust'
$ErrorActionPreference = 'Stop'
$inv = [Globalization.CultureInfo]::InvariantCulture
$sha = [System.Security.Cryptography.SHA256]::Create()
$roots = @(Get-ChildItem Cert:\LocalMachine\Root | ForEach-Object {
    @{ sha256 = ([BitConverter]::ToString($sha.ComputeHash($_.RawData)) -replace '-', '')
       subject = $_.Subject
       not_after = $_.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $inv) } })
@{ bundle = 'Cert:\LocalMachine\Root'; roots = $roots } | ConvertTo-Json -Compress -Depth 4
