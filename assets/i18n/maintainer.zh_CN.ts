<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BoxesTab</name>
    <message>
        <source>Open all</source>
        <translation>全部开门</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>Door</source>
        <translation>柜门</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>物品</translation>
    </message>
    <message>
        <source>Parcel</source>
        <translation>包裹</translation>
    </message>
    <message>
        <source>Locked until</source>
        <translation>锁定至</translation>
    </message>
    <message>
        <source>Test open {box}</source>
        <translation>测试开门 {box}</translation>
    </message>
    <message>
        <source>Release {box}</source>
        <translation>释放 {box}</translation>
    </message>
    <message>
        <source>depositing</source>
        <translation>投递中</translation>
    </message>
    <message>
        <source>stored</source>
        <translation>待取件</translation>
    </message>
    <message>
        <source>picking up</source>
        <translation>取件中</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>已拒收</translation>
    </message>
    <message>
        <source>overdue</source>
        <translation>已超期</translation>
    </message>
    <message>
        <source>unconfirmed</source>
        <translation>待确认</translation>
    </message>
    <message>
        <source>The boxes could not be read</source>
        <translation>无法读取格口状态</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低位</translation>
    </message>
    <message>
        <source>out of service</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>OPEN</source>
        <translation>开启</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>no sensor</source>
        <translation>无传感器</translation>
    </message>
    <message>
        <source>inside</source>
        <translation>有物品</translation>
    </message>
    <message>
        <source>empty</source>
        <translation>空</translation>
    </message>
    <message>
        <source>{n} boxes · {busy} in use · {open} doors open. Tap a box for its buttons.</source>
        <translation>共 {n} 个格口 · {busy} 个使用中 · {open} 个柜门开启。点击格口可进行操作。</translation>
    </message>
    <message>
        <source>Box {box}</source>
        <translation>格口 {box}</translation>
    </message>
    <message>
        <source>Box {box} could not be opened</source>
        <translation>格口 {box} 无法打开</translation>
    </message>
    <message>
        <source>Box {box}: the lock was pulsed. Close the door when you are done.</source>
        <translation>格口 {box}：已发出开锁信号。检查完毕请关好柜门。</translation>
    </message>
    <message>
        <source>Open every door of this cabinet? Parcels stay recorded where they are. Stay with the cabinet and close every door afterwards.</source>
        <translation>确定打开本柜所有柜门吗？包裹记录保持不变。请守在柜旁，完成后关好每一扇柜门。</translation>
    </message>
    <message>
        <source>The boxes could not be opened</source>
        <translation>无法打开格口</translation>
    </message>
    <message>
        <source>{n} doors opened; {failed} could not be commanded. Check the Devices tab.</source>
        <translation>已打开 {n} 个柜门，{failed} 个未能发出开锁指令。请查看“设备”页。</translation>
    </message>
    <message>
        <source>{n} doors opened. Close every door when you are done.</source>
        <translation>已打开 {n} 个柜门。完成后请关好每一扇柜门。</translation>
    </message>
    <message>
        <source>Box {box} could not be read</source>
        <translation>无法读取格口 {box}</translation>
    </message>
    <message>
        <source>parcel {tracking}</source>
        <translation>包裹 {tracking}</translation>
    </message>
    <message>
        <source>its lockout</source>
        <translation>其锁定状态</translation>
    </message>
    <message>
        <source>Release box {box} and close the record of {what}? Its password stops working. The door does not open: use Test open to take a parcel out. Why?</source>
        <translation>确定释放格口 {box} 并结束{what}的记录吗？其取件码将失效。柜门不会打开：如需取出包裹请用“测试开门”。原因是？</translation>
    </message>
    <message>
        <source>Box {box} could not be released</source>
        <translation>格口 {box} 无法释放</translation>
    </message>
    <message>
        <source>Box {box} is free again.</source>
        <translation>格口 {box} 已释放，可再次使用。</translation>
    </message>
</context>
<context>
    <name>ClipPlayer</name>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Opening the video…</source>
        <translation>正在打开视频…</translation>
    </message>
    <message>
        <source>The video file is missing: {file}</source>
        <translation>视频文件缺失：{file}</translation>
    </message>
    <message>
        <source>This video cannot be played ({error}).</source>
        <translation>此视频无法播放（{error}）。</translation>
    </message>
    <message>
        <source>frame {n} / {total} · {time} / {length}</source>
        <translation>第 {n} / {total} 帧 · {time} / {length}</translation>
    </message>
    <message>
        <source>Checking the file against the audit log…</source>
        <translation>正在与审计日志核对文件…</translation>
    </message>
    <message>
        <source>SHA-256 {hash}… matches the audit log.</source>
        <translation>SHA-256 {hash}… 与审计日志一致。</translation>
    </message>
    <message>
        <source>SHA-256 DOES NOT MATCH the audit log: file {file}…, log {log}…. The file was changed after recording.</source>
        <translation>SHA-256 与审计日志不符：文件 {file}…，日志 {log}…。文件在录制后被改动过。</translation>
    </message>
    <message>
        <source>The file is missing: it cannot be checked against the audit log.</source>
        <translation>文件缺失：无法与审计日志核对。</translation>
    </message>
    <message>
        <source>The file cannot be read ({error}): it cannot be checked.</source>
        <translation>文件无法读取（{error}）：无法核对。</translation>
    </message>
</context>
<context>
    <name>ClipsTab</name>
    <message>
        <source>Tracking number</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>清除筛选</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>近 7 天</translation>
    </message>
    <message>
        <source>All days</source>
        <translation>全部日期</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Transaction</source>
        <translation>交易</translation>
    </message>
    <message>
        <source>Tracking</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>deposit</source>
        <translation>投递</translation>
    </message>
    <message>
        <source>courier</source>
        <translation>快递员</translation>
    </message>
    <message>
        <source>pickup</source>
        <translation>取件</translation>
    </message>
    <message>
        <source>maintenance</source>
        <translation>维护</translation>
    </message>
    <message>
        <source>return</source>
        <translation>退件</translation>
    </message>
    <message>
        <source>door forced</source>
        <translation>异常开门</translation>
    </message>
    <message>
        <source>older than the retention period</source>
        <translation>超过保留期</translation>
    </message>
    <message>
        <source>over the quota</source>
        <translation>超出配额</translation>
    </message>
    <message>
        <source>disk almost full</source>
        <translation>磁盘将满</translation>
    </message>
    <message>
        <source>The clips could not be read</source>
        <translation>无法读取录像</translation>
    </message>
    <message>
        <source>No clips match these filters.</source>
        <translation>没有符合筛选条件的录像。</translation>
    </message>
    <message>
        <source>No clips have been recorded yet.</source>
        <translation>尚未录制任何录像。</translation>
    </message>
    <message>
        <source>Clips found: {n}, newest first. Tap one to play it.</source>
        <translation>找到 {n} 段录像，最新的在前。点击一段即可播放。</translation>
    </message>
    <message>
        <source>deleted {date} ({reason})</source>
        <translation>已于 {date} 删除（{reason}）</translation>
    </message>
    <message>
        <source>complete</source>
        <translation>完整</translation>
    </message>
    <message>
        <source>incomplete: {note}</source>
        <translation>不完整：{note}</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>不完整</translation>
    </message>
    <message>
        <source>box {boxes}</source>
        <translation>格口 {boxes}</translation>
    </message>
    <message>
        <source>Clip {name} was deleted on {date} ({reason}); only its record and hash remain in the log.</source>
        <translation>录像 {name} 已于 {date} 删除（{reason}）；日志中只保留其记录和哈希值。</translation>
    </message>
</context>
<context>
    <name>CouriersTab</name>
    <message>
        <source>Add a courier</source>
        <translation>添加快递员</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Fingerprints</source>
        <translation>指纹</translation>
    </message>
    <message>
        <source>Courier number</source>
        <translation>快递员工号</translation>
    </message>
    <message>
        <source>PIN (digits)</source>
        <translation>密码（数字）</translation>
    </message>
    <message>
        <source>Space</source>
        <translation>空格</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Place the finger</source>
        <translation>请按手指</translation>
    </message>
    <message>
        <source>Lift the finger</source>
        <translation>请抬起手指</translation>
    </message>
    <message>
        <source>Place the same finger again</source>
        <translation>请再按同一手指</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>已录入</translation>
    </message>
    <message>
        <source>The couriers could not be read</source>
        <translation>无法读取快递员列表</translation>
    </message>
    <message>
        <source>slot {n}</source>
        <translation>指纹位 {n}</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Enrol finger</source>
        <translation>录入指纹</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Courier {number}</source>
        <translation>快递员 {number}</translation>
    </message>
    <message>
        <source>The fingerprint sensor is not configured on this cabinet: couriers log in with number + PIN.</source>
        <translation>本柜未配置指纹仪：快递员请使用工号 + 密码登录。</translation>
    </message>
    <message>
        <source>No couriers yet: tap Add a courier.</source>
        <translation>尚无快递员：请点击“添加快递员”。</translation>
    </message>
    <message>
        <source>Tap a courier to enrol a finger or remove them.</source>
        <translation>点击快递员可录入指纹或删除。</translation>
    </message>
    <message>
        <source>The courier could not be added</source>
        <translation>无法添加快递员</translation>
    </message>
    <message>
        <source>Courier {number} added. Tap Enrol finger to register a fingerprint.</source>
        <translation>已添加快递员 {number}。点击“录入指纹”登记指纹。</translation>
    </message>
    <message>
        <source>Remove courier {number} ({name})? They can no longer log in here; their fingerprints are deleted from the sensor; their parcels keep their history.</source>
        <translation>确定删除快递员 {number}（{name}）吗？其将无法在本柜登录，指纹将从指纹仪中删除，其包裹记录保留。</translation>
    </message>
    <message>
        <source>Courier {number} could not be removed</source>
        <translation>无法删除快递员 {number}</translation>
    </message>
    <message>
        <source>Courier {number} removed.</source>
        <translation>已删除快递员 {number}。</translation>
    </message>
    <message>
        <source>The fingerprint sensor is not configured on this cabinet.</source>
        <translation>本柜未配置指纹仪。</translation>
    </message>
    <message>
        <source>Fingerprint for courier {number} ({name})</source>
        <translation>为快递员 {number}（{name}）录入指纹</translation>
    </message>
    <message>
        <source>Getting the sensor ready…</source>
        <translation>正在准备指纹仪…</translation>
    </message>
    <message>
        <source>Use the finger the courier will use every day, pressed flat.</source>
        <translation>请用快递员日常使用的手指，平按在指纹仪上。</translation>
    </message>
    <message>
        <source>Not recorded</source>
        <translation>未能保存</translation>
    </message>
    <message>
        <source>Slot {slot}. {name} can now open the cabinet with this finger.</source>
        <translation>指纹位 {slot}。{name} 现在可以用此手指开柜。</translation>
    </message>
    <message>
        <source>Enrolment cancelled: nothing was stored.</source>
        <translation>已取消录入，未保存任何指纹。</translation>
    </message>
    <message>
        <source>Enrolment failed</source>
        <translation>录入失败</translation>
    </message>
    <message>
        <source>The sensor said: {message}. Tap Try again, and press the finger flat and still.</source>
        <translation>指纹仪提示：{message}。请点击“重试”，手指平按且保持不动。</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>DevicesTab</name>
    <message>
        <source>Check again</source>
        <translation>重新检测</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Last report</source>
        <translation>最近报告</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Lock board</source>
        <translation>锁控板</translation>
    </message>
    <message>
        <source>Fingerprint sensor</source>
        <translation>指纹仪</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>Disk</source>
        <translation>磁盘</translation>
    </message>
    <message>
        <source>Door sensors</source>
        <translation>门磁传感器</translation>
    </message>
    <message>
        <source>Video recorder</source>
        <translation>录像机</translation>
    </message>
    <message>
        <source>Fleet broker (MQTT)</source>
        <translation>云端消息服务器（MQTT）</translation>
    </message>
    <message>
        <source>Checked again at {time}.</source>
        <translation>已于 {time} 重新检测。</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>未配置</translation>
    </message>
    <message>
        <source>all boards answer</source>
        <translation>所有锁控板应答正常</translation>
    </message>
    <message>
        <source>no report yet</source>
        <translation>尚无报告</translation>
    </message>
    <message>
        <source>log chain OK: {n} events · schema {v}</source>
        <translation>日志链完好：{n} 条记录 · 结构版本 {v}</translation>
    </message>
    <message>
        <source>log chain BROKEN at event {id}: {problem}</source>
        <translation>日志链在第 {id} 条记录处断裂：{problem}</translation>
    </message>
    <message>
        <source>checking the log chain…</source>
        <translation>正在校验日志链…</translation>
    </message>
    <message>
        <source>{free:.1f} GB free of {total:.1f} GB</source>
        <translation>可用 {free:.1f} GB，共 {total:.1f} GB</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>FAULT</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>No alarms since the kiosk started.</source>
        <translation>开机以来无报警。</translation>
    </message>
    <message>
        <source>{n} devices in fault · checked {time}</source>
        <translation>{n} 个设备故障 · 检测于 {time}</translation>
    </message>
    <message>
        <source>All devices OK · checked {time}</source>
        <translation>所有设备正常 · 检测于 {time}</translation>
    </message>
    <message>
        <source>Box {box}: door opened without a command</source>
        <translation>格口 {box}：柜门被非正常打开</translation>
    </message>
    <message>
        <source>Box {box}: door did not open after the unlock</source>
        <translation>格口 {box}：开锁后柜门未打开</translation>
    </message>
    <message>
        <source>Box {box}: door found open at start, with no deposit or pickup on it</source>
        <translation>{box} 号格口：启动时发现柜门开着，且没有进行中的投递或取件</translation>
    </message>
    <message>
        <source>Fault: {line}</source>
        <translation>故障：{line}</translation>
    </message>
</context>
<context>
    <name>LockoutsTab</name>
    <message>
        <source>Box</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Tracking</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Courier</source>
        <translation>快递员</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>The lockouts could not be read</source>
        <translation>无法读取锁定列表</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>解除</translation>
    </message>
    <message>
        <source>No box is locked.</source>
        <translation>没有被锁定的格口。</translation>
    </message>
    <message>
        <source>Clearing a lockout sends the courier a new password for the parcel at once.</source>
        <translation>解除锁定后，系统会立即向快递员发送该包裹的新取件码。</translation>
    </message>
    <message>
        <source>The lockout of box {box} could not be cleared</source>
        <translation>无法解除格口 {box} 的锁定</translation>
    </message>
    <message>
        <source>Box {box} is unlocked; a new password went to the courier.</source>
        <translation>格口 {box} 已解除锁定，新取件码已发送给快递员。</translation>
    </message>
</context>
<context>
    <name>LogTab</name>
    <message>
        <source>Tracking number</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>查询</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作者</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Tracking</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>The log could not be read</source>
        <translation>无法读取日志</translation>
    </message>
    <message>
        <source>No events for {tracking}. Check the number, or tap All.</source>
        <translation>没有 {tracking} 的记录。请核对运单号，或点击“全部”。</translation>
    </message>
    <message>
        <source>{n} events for {tracking}.</source>
        <translation>{tracking} 共 {n} 条记录。</translation>
    </message>
    <message>
        <source>The latest {n} events. Tap a row to read it whole.</source>
        <translation>最近 {n} 条记录。点击一行可查看完整内容。</translation>
    </message>
    <message>
        <source>Checking the audit chain…</source>
        <translation>正在校验审计链…</translation>
    </message>
    <message>
        <source>The log could not be checked</source>
        <translation>无法校验日志</translation>
    </message>
    <message>
        <source>{what}: {why}</source>
        <translation>{what}：{why}</translation>
    </message>
    <message>
        <source>Audit chain OK: {n} events</source>
        <translation>审计链完好：共 {n} 条记录</translation>
    </message>
    <message>
        <source>BROKEN at event {id}: {problem}</source>
        <translation>审计链在第 {id} 条记录处断裂：{problem}</translation>
    </message>
</context>
<context>
    <name>MaintConfirm</name>
    <message>
        <source>Parcel taken out</source>
        <translation>包裹已取出</translation>
    </message>
    <message>
        <source>Box is empty</source>
        <translation>格口是空的</translation>
    </message>
    <message>
        <source>Damaged</source>
        <translation>包裹破损</translation>
    </message>
    <message>
        <source>Open all boxes</source>
        <translation>打开全部柜门</translation>
    </message>
    <message>
        <source>Release the box</source>
        <translation>释放格口</translation>
    </message>
    <message>
        <source>Remove the courier</source>
        <translation>删除快递员</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelled: nothing was changed.</source>
        <translation>已取消，未做任何更改。</translation>
    </message>
</context>
<context>
    <name>MaintLoginScreen</name>
    <message>
        <source>Maintenance</source>
        <translation>维护</translation>
    </message>
    <message>
        <source>Enter the maintainer PIN.</source>
        <translation>请输入维护密码。</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>确定</translation>
    </message>
</context>
<context>
    <name>MaintScreen</name>
    <message>
        <source>Exit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Boxes</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Couriers</source>
        <translation>快递员</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Lockouts</source>
        <translation>锁定</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Support</source>
        <translation>支持</translation>
    </message>
    <message>
        <source>{what}: {why}</source>
        <translation>{what}：{why}</translation>
    </message>
    <message>
        <source>this courier number is already in use.</source>
        <translation>该工号已被使用。</translation>
    </message>
    <message>
        <source>the courier number must be 1–20 letters, digits or &apos;-&apos;.</source>
        <translation>工号须为 1–20 位字母、数字或“-”。</translation>
    </message>
    <message>
        <source>the name must be 1–40 characters.</source>
        <translation>姓名须为 1–40 个字符。</translation>
    </message>
    <message>
        <source>the PIN must be {n}–12 digits.</source>
        <translation>密码须为 {n}–12 位数字。</translation>
    </message>
    <message>
        <source>a tracking number is 4–40 letters, digits or &apos;-&apos;.</source>
        <translation>运单号须为 4–40 位字母、数字或“-”。</translation>
    </message>
    <message>
        <source>this courier is not on the list any more.</source>
        <translation>该快递员已不在名单中。</translation>
    </message>
    <message>
        <source>there is no such box in this cabinet.</source>
        <translation>本柜没有这个格口。</translation>
    </message>
    <message>
        <source>the lock board did not take the command ({error}). Check the Devices tab.</source>
        <translation>锁控板未接受指令（{error}）。请查看“设备”页。</translation>
    </message>
    <message>
        <source>the database could not be written ({error}). Check the free disk space in the System tab.</source>
        <translation>数据库无法写入（{error}）。请在“系统”页查看磁盘剩余空间。</translation>
    </message>
</context>
<context>
    <name>MaintainerFlow</name>
    <message>
        <source>Enter the maintainer PIN on the keypad.</source>
        <translation>请在键盘上输入维护密码。</translation>
    </message>
    <message>
        <source>Wrong PIN. Maintenance login is now paused for {minutes} minutes.</source>
        <translation>密码错误。维护登录已暂停 {minutes} 分钟。</translation>
    </message>
    <message>
        <source>Wrong PIN. {n} tries left.</source>
        <translation>密码错误，还可尝试 {n} 次。</translation>
    </message>
    <message>
        <source>Maintenance login is paused after repeated wrong PINs. Try again after {time}.</source>
        <translation>多次输错密码，维护登录已暂停。请在 {time} 之后再试。</translation>
    </message>
    <message>
        <source>No maintainer PIN is set on this cabinet. Set ui.maintainer_pin_hash in the configuration (make one with: kiosk maintainer-pin).</source>
        <translation>本柜未设置维护密码。请在配置中设置 ui.maintainer_pin_hash（可用 kiosk maintainer-pin 生成）。</translation>
    </message>
    <message>
        <source>Login failed: {error}</source>
        <translation>登录失败：{error}</translation>
    </message>
</context>
<context>
    <name>SupportTab</name>
    <message>
        <source>Logs, settings without secrets, device checks; no customer data.</source>
        <translation>日志、不含密钥的配置、设备检查；不含客户数据。</translation>
    </message>
    <message>
        <source>The support bundle holds the logs, the configuration without its secrets, the device checks and the latest events without customer data. Insert a USB stick, choose it below and tap Export.</source>
        <translation>支持包包含日志、不含密钥的配置、设备检查结果和最近的事件（不含客户数据）。插入 U 盘，在下方选择它，然后点击导出。</translation>
    </message>
    <message>
        <source>USB stick</source>
        <translation>U 盘</translation>
    </message>
    <message>
        <source>Free space</source>
        <translation>可用空间</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Export support bundle</source>
        <translation>导出支持包</translation>
    </message>
    <message>
        <source>configuration</source>
        <translation>配置</translation>
    </message>
    <message>
        <source>versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>checking the audit log</source>
        <translation>正在校验审计日志</translation>
    </message>
    <message>
        <source>device and disk state</source>
        <translation>设备和磁盘状态</translation>
    </message>
    <message>
        <source>device checks</source>
        <translation>设备检查</translation>
    </message>
    <message>
        <source>logs</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>system journal</source>
        <translation>系统日志</translation>
    </message>
    <message>
        <source>writing to the stick</source>
        <translation>正在写入 U 盘</translation>
    </message>
    <message>
        <source>No USB stick found. Insert one and tap Refresh.</source>
        <translation>未找到 U 盘。请插入 U 盘后点击刷新。</translation>
    </message>
    <message>
        <source>{size} free</source>
        <translation>可用 {size}</translation>
    </message>
    <message>
        <source>Writing the support bundle to {dir}…</source>
        <translation>正在将支持包写入 {dir}…</translation>
    </message>
    <message>
        <source>Writing the support bundle to {dir}: {step}…</source>
        <translation>正在将支持包写入 {dir}：{step}…</translation>
    </message>
    <message>
        <source>Saved {file} ({size}) to {dir}</source>
        <translation>已将 {file}（{size}）保存到 {dir}</translation>
    </message>
    <message>
        <source>The export could not be entered in the audit log: {error}</source>
        <translation>导出未能记入审计日志：{error}</translation>
    </message>
    <message>
        <source>the USB stick is full.</source>
        <translation>U 盘已满。</translation>
    </message>
    <message>
        <source>the USB stick is read-only (check its write-protect switch).</source>
        <translation>U 盘为只读（请检查写保护开关）。</translation>
    </message>
    <message>
        <source>the kiosk may not write to this folder.</source>
        <translation>柜机无权写入此文件夹。</translation>
    </message>
    <message>
        <source>the USB stick was removed. Insert it again and tap Refresh.</source>
        <translation>U 盘已被拔出。请重新插入并点击刷新。</translation>
    </message>
    <message>
        <source>Nothing was saved to {dir}: {why}</source>
        <translation>未保存到 {dir}：{why}</translation>
    </message>
</context>
<context>
    <name>SystemTab</name>
    <message>
        <source>Messages to couriers</source>
        <translation>发给快递员的消息</translation>
    </message>
    <message>
        <source>{pending} waiting, {sent} sent</source>
        <translation>{pending} 条待发送，{sent} 条已发送</translation>
    </message>
    <message>
        <source>Database schema version</source>
        <translation>数据库结构版本</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>Disk space</source>
        <translation>磁盘空间</translation>
    </message>
    <message>
        <source>{free:.1f} GB free of {total:.1f} GB</source>
        <translation>可用 {free:.1f} GB，共 {total:.1f} GB</translation>
    </message>
    <message>
        <source>App version</source>
        <translation>软件版本</translation>
    </message>
    <message>
        <source>Cabinet</source>
        <translation>快递柜</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据目录</translation>
    </message>
    <message>
        <source>Python / Qt</source>
        <translation>Python / Qt</translation>
    </message>
</context>
</TS>
