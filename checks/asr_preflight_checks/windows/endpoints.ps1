# asr-preflight probe "endpoints" (PowerShell 5.1, read-only): DNS resolution and a verified TLS
# handshake (SslStream, machine trust store) per endpoint, through $Proxy (no credentials, as
# the ASR agent would use it) when one is set; a 407 answer to CONNECT is recorded.
# Parameters set before this text: $T (seconds), $Proxy ('' = direct), $Targets ('name=host:port').
$probe = 'endpoints'
$res = foreach ($t in $Targets) {
    $name, $hp = $t -split '=', 2; $i = $hp.LastIndexOf(':')
    $h = $hp.Substring(0, $i); $port = [int]$hp.Substring($i + 1)
    $r = @{ name = $name; host = $h; port = $port; resolved = $false; addresses = @(); tls_ok = $null; proxy_status = $null; error = '' }
    try { $r.addresses = @([System.Net.Dns]::GetHostAddresses($h) | ForEach-Object { $_.IPAddressToString }); $r.resolved = $r.addresses.Count -gt 0 } catch { }
    $c = New-Object System.Net.Sockets.TcpClient
    try {
        if ($Proxy) { $u = [Uri]$Proxy; $ok = $c.ConnectAsync($u.Host, $u.Port).Wait($T * 1000) }
        else { $ok = $c.ConnectAsync($h, $port).Wait($T * 1000) }
        if (-not $ok) { throw "no TCP connection within $T s" }
        $s = $c.GetStream(); $s.ReadTimeout = $T * 1000; $s.WriteTimeout = $T * 1000
        if ($Proxy) {
            $q = [Text.Encoding]::ASCII.GetBytes("CONNECT ${h}:$port HTTP/1.1`r`nHost: ${h}:$port`r`n`r`n")
            $s.Write($q, 0, $q.Length); $head = ''
            while (-not $head.EndsWith("`r`n`r`n")) { $x = $s.ReadByte(); if ($x -lt 0) { break }; $head += [char]$x }
            $r.proxy_status = [int](($head -split ' ')[1])
            if ($r.proxy_status -ne 200) { throw "the proxy answered CONNECT with $($r.proxy_status)" }
        }
        $ssl = New-Object System.Net.Security.SslStream($s, $false)
        $ssl.AuthenticateAsClient($h)
        $r.tls_ok = $true
    } catch { $r.tls_ok = $false; $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }; $r.error = $e.Message }
    finally { $c.Close() }
    $r
}
@{ endpoints = @($res) } | ConvertTo-Json -Compress -Depth 4
