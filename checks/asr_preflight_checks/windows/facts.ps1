# asr-preflight probe "facts" (PowerShell 5.1, read-only): OS, COM+ System Application and VSS
# start types, free space on the system drive, clock. Prints one JSON object.
$probe = 'facts'
$ErrorActionPreference = 'Stop'
$inv = [Globalization.CultureInfo]::InvariantCulture
$os = Get-CimInstance Win32_OperatingSystem
$services = @(Get-CimInstance Win32_Service -Filter "Name='COMSysApp' OR Name='VSS'" | ForEach-Object {
    @{ name = $_.Name; start_type = $_.StartMode; status = $_.State } })
$disk = Get-CimInstance Win32_LogicalDisk -Filter "DeviceID='$($env:SystemDrive)'"
@{
    os_release = @{ ID = 'windows'; NAME = $os.Caption; VERSION_ID = $os.Version; PRETTY_NAME = $os.Caption }
    kernel = $os.Version
    services = $services
    system_free_bytes = [int64]$disk.FreeSpace
    clock_utc = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $inv)
} | ConvertTo-Json -Compress -Depth 4
