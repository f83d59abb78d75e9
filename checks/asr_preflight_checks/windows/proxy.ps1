# asr-preflight probe "proxy" (PowerShell 5.1, read-only): WinHTTP, WinINET (machine policy and
# the signed-in account), machine environment and ASR's ProxyInfo.conf. A user:password@ part
# is replaced by ***@ inside the guest; has_credentials records that one was there.
$probe = 'proxy'
$out = New-Object System.Collections.ArrayList
function Add-Proxy($source, $url, $cred, $bypass) {
    if (-not $url) { return }
    # each ';'-separated part ("http=u:p@host:80;https=…"): the userinfo runs to the LAST @
    $parts = foreach ($part in ($url -split ';')) {
        if ($part -match '^(?<k>\s*(?:[A-Za-z]+=)?(?:[A-Za-z]+://)?)(?<c>.+)@(?<h>[^@]*)$') {
            $cred = $true; $Matches.k + '***@' + $Matches.h
        } else { $part }
    }
    $url = $parts -join ';'
    [void]$out.Add(@{ source = $source; url = $url; has_credentials = [bool]$cred; bypass = @($bypass | Where-Object { $_ }) })
}
$key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections'
$b = (Get-ItemProperty $key -Name WinHttpSettings -ErrorAction SilentlyContinue).WinHttpSettings
if ($b -and $b.Length -ge 16) {
    $flags = [BitConverter]::ToInt32($b, 8); $n = [BitConverter]::ToInt32($b, 12)
    if (($flags -band 2) -and $n -gt 0) {
        $p = [Text.Encoding]::ASCII.GetString($b, 16, $n); $m = [BitConverter]::ToInt32($b, 16 + $n)
        $by = if ($m -gt 0) { [Text.Encoding]::ASCII.GetString($b, 20 + $n, $m) } else { '' }
        Add-Proxy 'WinHTTP' $p $false ($by -split ';')
    }
}
foreach ($ie in 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings',
                'HKCU:\Software\Microsoft\Windows\CurrentVersion\Internet Settings') {
    $s = Get-ItemProperty $ie -ErrorAction SilentlyContinue
    if ($s -and $s.ProxyEnable -eq 1 -and $s.ProxyServer) { Add-Proxy "WinINET:$ie" $s.ProxyServer $false ($s.ProxyOverride -split ';') }
    if ($s -and $s.AutoConfigURL) { Add-Proxy "WinINET-PAC:$ie" $s.AutoConfigURL $false @() }
}
foreach ($v in 'HTTPS_PROXY', 'HTTP_PROXY') {
    Add-Proxy "env:$v" ([Environment]::GetEnvironmentVariable($v, 'Machine')) $false @()
}
$f = Join-Path $env:ProgramData 'Microsoft Azure Site Recovery\Config\ProxyInfo.conf'
if (Test-Path $f) {
    $t = Get-Content $f
    $a = ($t | Select-String -Pattern '^\s*Address\s*=\s*(.+)$' | Select-Object -First 1).Matches.Groups[1].Value
    $p = ($t | Select-String -Pattern '^\s*Port\s*=\s*(\d+)' | Select-Object -First 1).Matches.Groups[1].Value
    $c = [bool]($t | Select-String -Pattern '^\s*(user(name)?|password)\s*=\s*\S')
    if ($a) { if ($a -notmatch '://') { $a = "http://$a" }; if ($p) { $a = $a.TrimEnd('/') + ":$p" }; Add-Proxy $f $a $c @() }
}
@{ proxies = @($out) } | ConvertTo-Json -Compress -Depth 4
