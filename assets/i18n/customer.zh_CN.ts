<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>CheckScreen</name>
    <message>
        <source>Box {box} is open</source>
        <translation>{box} 号格口已打开</translation>
    </message>
    <message>
        <source>Please check your parcel (tracking {end}).</source>
        <translation>请查验您的快递（运单号 {end}）。</translation>
    </message>
    <message>
        <source>If it is fine, take it and tap Accept. If not, leave it in the box and tap Reject.</source>
        <translation>确认无误请取出快递并点击“签收”；如有问题，请将快递留在格口内并点击“拒收”。</translation>
    </message>
    <message>
        <source>Box {box} is opening…</source>
        <translation>{box} 号格口正在打开…</translation>
    </message>
    <message>
        <source>Please wait a moment.</source>
        <translation>请稍候。</translation>
    </message>
    <message>
        <source>The door springs open by itself.</source>
        <translation>柜门会自动弹开。</translation>
    </message>
    <message>
        <source>Accept – I take it</source>
        <translation>签收 – 我取走快递</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>拒收</translation>
    </message>
</context>
<context>
    <name>CloseScreen</name>
    <message>
        <source>Take your parcel and close the door</source>
        <translation>请取走快递并关好柜门</translation>
    </message>
    <message>
        <source>Thank you for accepting it.</source>
        <translation>您已签收，谢谢。</translation>
    </message>
    <message>
        <source>Put the parcel back in box {box} and close the door</source>
        <translation>请将快递放回 {box} 号格口并关好柜门</translation>
    </message>
    <message>
        <source>Your refusal is recorded. Your courier will collect the parcel.</source>
        <translation>已记录您的拒收，快递员会来取回快递。</translation>
    </message>
    <message>
        <source>The screen moves on when the door is closed.</source>
        <translation>关门后屏幕会自动继续。</translation>
    </message>
</context>
<context>
    <name>CustomerFlow</name>
    <message>
        <source>The cabinet cannot check passwords right now. Your password still works: please try again later.</source>
        <translation>快递柜暂时无法验证取件码。您的取件码仍然有效，请稍后再试。</translation>
    </message>
    <message>
        <source>Box {box} could not be opened because of a technical problem. Your password still works: please try again in a few minutes.</source>
        <translation>由于技术故障，{box} 号格口未能打开。您的取件码仍然有效，请过几分钟再试。</translation>
    </message>
    <message>
        <source>Your choice for box {box} could not be saved. Please close the door; the staff will sort it out.</source>
        <translation>{box} 号格口的签收或拒收未能保存。请关好柜门，工作人员会处理。</translation>
    </message>
    <message>
        <source>Box {box} did not open. Your password still works: please try again, or ask your courier for help.</source>
        <translation>{box} 号格口没有打开。您的取件码仍然有效，请重试，或联系快递员。</translation>
    </message>
</context>
<context>
    <name>LockedScreen</name>
    <message>
        <source>Box {box} is locked</source>
        <translation>{box} 号格口已锁定</translation>
    </message>
    <message>
        <source>Box {box} is no longer locked</source>
        <translation>{box} 号格口已解除锁定</translation>
    </message>
    <message>
        <source>A new password has been sent to your courier. Please ask them for it.</source>
        <translation>新的取件码已发送给快递员，请向快递员索取。</translation>
    </message>
    <message>
        <source>A wrong password was entered too many times. It unlocks in:</source>
        <translation>取件码输错次数过多，该格口将在以下时间后解锁：</translation>
    </message>
    <message>
        <source>Your courier can unlock it with their fingerprint, or a new password will be sent to your courier when the time is up. Please contact your courier.</source>
        <translation>快递员可以用指纹为您解锁；锁定结束后，新的取件码也会自动发送给快递员。请联系您的快递员。</translation>
    </message>
    <message>
        <source>Back to start</source>
        <translation>返回首页</translation>
    </message>
</context>
<context>
    <name>PickupScreen</name>
    <message>
        <source>Pick up a parcel</source>
        <translation>取件</translation>
    </message>
    <message>
        <source>Enter the box number and the password your courier sent you.</source>
        <translation>请输入格口号和快递员发给您的取件码。</translation>
    </message>
    <message>
        <source>Box number</source>
        <translation>格口号</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>取件码</translation>
    </message>
    <message>
        <source>e.g. {box}</source>
        <translation>例如 {box}</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Open the box</source>
        <translation>开箱取件</translation>
    </message>
    <message>
        <source>Or hold the QR code your courier sent to the camera</source>
        <translation>或将快递员发来的二维码对准摄像头</translation>
    </message>
    <message>
        <source>This QR code is for cabinet {cabinet}, not this one.</source>
        <translation>此二维码属于快递柜 {cabinet}，不是本柜。</translation>
    </message>
    <message>
        <source>This is not a pickup QR code. Use the one your courier sent, or type the box number and password.</source>
        <translation>这不是取件二维码。请使用快递员发来的二维码，或输入格口号和取件码。</translation>
    </message>
    <message>
        <source>Wrong box number or password. 1 try left.</source>
        <translation>格口号或取件码错误，还可以再试 1 次。</translation>
    </message>
    <message>
        <source>Wrong box number or password. {n} tries left.</source>
        <translation>格口号或取件码错误，还可以再试 {n} 次。</translation>
    </message>
    <message>
        <source>Wrong box number or password.</source>
        <translation>格口号或取件码错误。</translation>
    </message>
    <message>
        <source>This password has expired. Ask your courier for a new one.</source>
        <translation>该取件码已过期，请联系快递员重新获取。</translation>
    </message>
    <message>
        <source>Too many wrong tries. Please wait:</source>
        <translation>输错次数过多，请稍候：</translation>
    </message>
    <message>
        <source>You can try again now.</source>
        <translation>现在可以重试了。</translation>
    </message>
</context>
<context>
    <name>ReasonScreen</name>
    <message>
        <source>Why do you refuse the parcel?</source>
        <translation>您拒收的原因是？</translation>
    </message>
    <message>
        <source>Leave it in box {box}. Your courier will take it back.</source>
        <translation>请将快递留在 {box} 号格口内，快递员会来取回。</translation>
    </message>
    <message>
        <source>The parcel is damaged</source>
        <translation>快递破损</translation>
    </message>
    <message>
        <source>Wrong item</source>
        <translation>物品不符</translation>
    </message>
    <message>
        <source>I did not order this</source>
        <translation>我没有买过这个</translation>
    </message>
    <message>
        <source>Another reason</source>
        <translation>其他原因</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
</context>
<context>
    <name>ThanksScreen</name>
    <message>
        <source>Your parcel is recorded as collected. Have a nice day!</source>
        <translation>已签收，祝您生活愉快！</translation>
    </message>
    <message>
        <source>Your refusal was recorded; the courier will collect the parcel.</source>
        <translation>已记录您的拒收，快递员会来取回快递。</translation>
    </message>
    <message>
        <source>You took the parcel and closed the door, so it is recorded as collected.</source>
        <translation>您已取走快递并关门，已记为签收。</translation>
    </message>
    <message>
        <source>The parcel stayed in the box, so it is treated as refused. Your courier will collect it.</source>
        <translation>快递仍在格口内，已按拒收处理，快递员会来取回。</translation>
    </message>
    <message>
        <source>The door was closed before you chose. A maintainer will check the box.</source>
        <translation>您在选择前关上了柜门，维护人员会检查该格口。</translation>
    </message>
    <message>
        <source>Thank you</source>
        <translation>谢谢</translation>
    </message>
    <message>
        <source>Back to start</source>
        <translation>返回首页</translation>
    </message>
</context>
</TS>