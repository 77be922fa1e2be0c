<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>HandheldView</name>
    <message>
        <source>{time} to courier {courier}</source>
        <translation>{time} 发给快递员 {courier}</translation>
    </message>
    <message>
        <source>{site}, cabinet {id}, box {box}</source>
        <translation>{site}，柜号 {id}，{box} 号格口</translation>
    </message>
    <message>
        <source>{where}: your parcel {tracking}, pickup password {password}, valid until {expiry}</source>
        <translation>{where}：您的快递 {tracking} 已入柜，取件码 {password}，有效期至 {expiry}</translation>
    </message>
    <message>
        <source>New password after the lockout was cleared. {text}</source>
        <translation>锁定已解除，新取件码：{text}</translation>
    </message>
    <message>
        <source>New password after the lockout ended. {text}</source>
        <translation>锁定已到期，新取件码：{text}</translation>
    </message>
    <message>
        <source>{where}: parcel {tracking} was collected.</source>
        <translation>{where}：快递 {tracking} 已签收。</translation>
    </message>
    <message>
        <source>{where}: parcel {tracking} was refused ({reason}). Please take it back from the cabinet.</source>
        <translation>{where}：快递 {tracking} 被拒收（{reason}），请到柜机取回。</translation>
    </message>
    <message>
        <source>{where}: parcel {tracking} was not collected in time. Please take it back from the cabinet.</source>
        <translation>{where}：快递 {tracking} 超时未取，请到柜机取回。</translation>
    </message>
    <message>
        <source>{where}: the box is locked until {until} after too many wrong passwords for parcel {tracking}. Your finger on the sensor clears it; otherwise a new password follows then.</source>
        <translation>{where}：快递 {tracking} 的取件码输错次数过多，格口已锁定至 {until}。按指纹即可解除；否则届时将自动发送新取件码。</translation>
    </message>
    <message>
        <source>{where}: the door of parcel {tracking} was closed without a choice and the box has no sensor; a maintainer will check it.</source>
        <translation>{where}：快递 {tracking} 的格口门未选择签收或拒收就被关上，且该格口没有物品传感器，维护人员将进行核查。</translation>
    </message>
    <message>
        <source>{where}: message about parcel {tracking}: {event}</source>
        <translation>{where}：关于快递 {tracking} 的消息：{event}</translation>
    </message>
    <message>
        <source>damaged</source>
        <translation>包裹破损</translation>
    </message>
    <message>
        <source>wrong item</source>
        <translation>物品不符</translation>
    </message>
    <message>
        <source>not ordered</source>
        <translation>未购买此物品</translation>
    </message>
    <message>
        <source>other reason</source>
        <translation>其他原因</translation>
    </message>
    <message>
        <source>the door was closed with the parcel still inside</source>
        <translation>未取出包裹就关上了柜门</translation>
    </message>
</context>
<context>
    <name>SimulatorPanel</name>
    <message>
        <source>recognised: slot {slot}, score {score}</source>
        <translation>已识别：指纹槽 {slot}，匹配分 {score}</translation>
    </message>
    <message>
        <source>not recognised</source>
        <translation>未识别</translation>
    </message>
    <message>
        <source>enrolment: {step}</source>
        <translation>录入：{step}</translation>
    </message>
    <message>
        <source>Simulator — cabinet {id}</source>
        <translation>模拟器 — 柜号 {id}</translation>
    </message>
    <message>
        <source>Fingerprint sensor (emulated)</source>
        <translation>指纹传感器（模拟）</translation>
    </message>
    <message>
        <source>Finger number</source>
        <translation>手指编号</translation>
    </message>
    <message>
        <source>Place finger</source>
        <translation>按下手指</translation>
    </message>
    <message>
        <source>Lift finger</source>
        <translation>抬起手指</translation>
    </message>
    <message>
        <source>Camera and device faults</source>
        <translation>摄像头与设备故障</translation>
    </message>
    <message>
        <source>Lock board fault</source>
        <translation>锁控板故障</translation>
    </message>
    <message>
        <source>Fingerprint fault</source>
        <translation>指纹模块故障</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>no reply</source>
        <translation>无应答</translation>
    </message>
    <message>
        <source>bad checksum</source>
        <translation>校验和错误</translation>
    </message>
    <message>
        <source>duplicate address</source>
        <translation>地址冲突</translation>
    </message>
    <message>
        <source>garbage on the line</source>
        <translation>线路乱码</translation>
    </message>
    <message>
        <source>silence</source>
        <translation>无响应</translation>
    </message>
    <message>
        <source>slow replies</source>
        <translation>应答缓慢</translation>
    </message>
    <message>
        <source>wrong sensor password</source>
        <translation>模块密码错误</translation>
    </message>
    <message>
        <source>In front of the camera</source>
        <translation>摄像头前</translation>
    </message>
    <message>
        <source>Hold a parcel label</source>
        <translation>出示包裹面单</translation>
    </message>
    <message>
        <source>Hold the newest handheld QR</source>
        <translation>出示最新手持机二维码</translation>
    </message>
    <message>
        <source>Take it away</source>
        <translation>拿开</translation>
    </message>
    <message>
        <source>Doors (your hands at the cabinet)</source>
        <translation>柜门（模拟在柜前的操作）</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>格口</translation>
    </message>
    <message>
        <source>Door</source>
        <translation>柜门</translation>
    </message>
    <message>
        <source>IR</source>
        <translation>红外</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>物品</translation>
    </message>
    <message>
        <source>A parcel is inside</source>
        <translation>格口内有包裹</translation>
    </message>
    <message>
        <source>This box has no IR sensor</source>
        <translation>此格口没有红外传感器</translation>
    </message>
    <message>
        <source>no IR</source>
        <translation>无红外</translation>
    </message>
    <message>
        <source>parcel</source>
        <translation>有包裹</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关门</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>开门</translation>
    </message>
    <message>
        <source>Hand</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>Courier handheld (simulated): messages from the cabinet</source>
        <translation>快递员手持终端（模拟）：柜机发来的消息</translation>
    </message>
    <message>
        <source>Copy newest password</source>
        <translation>复制最新取件码</translation>
    </message>
    <message>
        <source>open</source>
        <translation>开</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>empty</source>
        <translation>空</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>FAULT</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>no report yet</source>
        <translation>尚无报告</translation>
    </message>
    <message>
        <source>Plug the camera in</source>
        <translation>插上摄像头</translation>
    </message>
    <message>
        <source>Unplug the camera</source>
        <translation>拔下摄像头</translation>
    </message>
    <message>
        <source>Camera cannot be unplugged</source>
        <translation>此摄像头无法模拟拔出</translation>
    </message>
    <message>
        <source>Last: {what}</source>
        <translation>最近：{what}</translation>
    </message>
    <message>
        <source>finger {n} on the sensor</source>
        <translation>手指 {n} 已按在传感器上</translation>
    </message>
    <message>
        <source>finger lifted</source>
        <translation>手指已抬起</translation>
    </message>
    <message>
        <source>Nothing is held to the camera.</source>
        <translation>摄像头前没有出示任何东西。</translation>
    </message>
    <message>
        <source>Only the synthetic camera can be shown a code.</source>
        <translation>只有模拟摄像头可以出示条码。</translation>
    </message>
    <message>
        <source>Holding a parcel label: {tracking}</source>
        <translation>正在出示包裹面单：{tracking}</translation>
    </message>
    <message>
        <source>No handheld message with a QR code has arrived yet.</source>
        <translation>手持机还没有收到带二维码的消息。</translation>
    </message>
    <message>
        <source>Holding the handheld's QR code for box {box}</source>
        <translation>正在出示格口 {box} 的手持机二维码</translation>
    </message>
    <message>
        <source>No password has arrived yet.</source>
        <translation>尚未收到取件码。</translation>
    </message>
    <message>
        <source>Copied the password for box {box}.</source>
        <translation>已复制 {box} 号格口的取件码。</translation>
    </message>
</context>
</TS>