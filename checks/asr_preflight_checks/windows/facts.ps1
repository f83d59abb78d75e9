# asr-preflight probe "facts" (PowerShell 5.1, read-only): OS, COM+ System Application and VSS
# start types, free space on the system drive, clock, and whether the SHA-2 code signing and
# servicing stack updates ASR needs on 2008 R2 / 7 are installed. Prints one JSON object.
$probe = 'facts'
$ErrorActionPreference = 'Stop'
$inv = [Globalization.CultureInfo]::InvariantCulture
$os = Get-CimInstance Win32_OperatingSystem
$services = @(Get-CimInstance Win32_Service -Filter "Name='COMSysApp' OR Name='VSS'" | ForEach-Object {
    @{ name = $_.Name; start_type = $_.StartMode; status = $_.State } })
$hotfixes = @(Get-CimInstance Win32_QuickFixEngineering -Filter "HotFixID='KB4474419' OR HotFixID='KB4490628'" |
    ForEach-Object { $_.HotFixID })
$disk = Get-CimInstance Win32_LogicalDisk -Filter "DeviceID='$($env:SystemDrive)'"
@{
    os_release = @{ ID = 'windows'; NAME = $os.Caption; VERSION_ID = $os.Version; PRETTY_NAME = $os.Caption
        PRODUCT_TYPE = [string]$os.ProductType; ARCHITECTURE = [string]$os.OSArchitecture }
    hotfixes = $hotfixes
    kernel = $os.Version
    services = $services
    system_free_bytes = [int64]$disk.FreeSpace
    clock_utc = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $inv)
} | ConvertTo-Json -Compress -Depth 4
