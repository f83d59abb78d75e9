# asr-preflight probe "storage" (PowerShell 5.1, read-only): the disks Get-Disk lists, with the
# LUN and adapter from their Location, partition style (RAW = not initialized) and offline state,
# for ASR313. Prints one JSON object.
$probe = 'storage'
$ErrorActionPreference = 'Stop'
$disks = @(Get-Disk | ForEach-Object {
    $lun = $null
    $adapter = $null
    if ($_.Location -match 'LUN (\d+)') { $lun = [int]$Matches[1] }
    if ($_.Location -match 'Adapter (\d+) : Port (\d+)') { $adapter = "$($Matches[1]):$($Matches[2])" }
    @{
        number = [int]$_.Number
        lun = $lun
        adapter = $adapter
        location = [string]$_.Location
        partition_style = [string]$_.PartitionStyle
        operational_status = [string]$_.OperationalStatus
        is_offline = [bool]$_.IsOffline
        is_boot = [bool]$_.IsBoot
        is_system = [bool]$_.IsSystem
        partitions = [int]$_.NumberOfPartitions
        friendly_name = [string]$_.FriendlyName
    } })
@{ disks = $disks } | ConvertTo-Json -Compress -Depth 4
