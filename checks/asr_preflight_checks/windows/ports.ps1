# asr-preflight probe "ports" (PowerShell 5.1, read-only): a TCP connect to each peer on $Port,
# telling apart connected, refused (nothing listening, or a REJECT rule) and timed out (DROP).
# Parameters set before this text: $T (seconds), $Port, $Targets (addresses).
$probe = 'ports'
$pending = foreach ($a in $Targets) { $c = New-Object System.Net.Sockets.TcpClient; @{ a = $a; c = $c; t = $c.ConnectAsync($a, $Port) } }
try { [void][Threading.Tasks.Task]::WaitAll(@($pending | ForEach-Object { $_.t }), $T * 1000) } catch { }
$res = foreach ($p in $pending) {
    $r = @{ address = $p.a; port = $Port; result = 'timeout'; detail = "no answer within $T s" }
    if ($p.t.IsCompleted) {
        if (-not $p.t.IsFaulted) { $r.result = 'connected'; $r.detail = '' }
        else {
            $e = $p.t.Exception; while ($e.InnerException) { $e = $e.InnerException }
            $r.result = if ($e.SocketErrorCode -eq 'ConnectionRefused') { 'refused' } else { 'error' }; $r.detail = $e.Message
        }
    }
    $p.c.Close(); $r
}
@{ ports = @($res) } | ConvertTo-Json -Compress -Depth 4
