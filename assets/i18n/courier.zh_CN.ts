<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>CourierFlow</name>
    <message>
        <source>Courier number or PIN is wrong. Check both and try again.</source>
        <translation>工号或密码错误。请检查后重试。</translation>
    </message>
    <message>
        <source>Courier number or PIN is wrong. PIN login is now paused for {minutes} minutes: use your finger on the sensor instead.</source>
        <translation>工号或密码错误。密码登录已暂停 {minutes} 分钟，请改用指纹登录。</translation>
    </message>
    <message>
        <source>Courier number or PIN is wrong. {n} tries left before PIN login pauses.</source>
        <translation>工号或密码错误。再错 {n} 次，密码登录将暂停。</translation>
    </message>
    <message>
        <source>PIN login for this courier is paused until {time}. Use your finger on the sensor, or try again then.</source>
        <translation>该快递员的密码登录已暂停至 {time}。请使用指纹登录，或到时再试。</translation>
    </message>
    <message>
        <source>Too many wrong tries at this cabinet. Please wait {seconds} seconds, then try again.</source>
        <translation>本柜错误尝试次数过多。请等待 {seconds} 秒后再试。</translation>
    </message>
    <message>
        <source>The camera is offline, so deposits are paused at this cabinet. Returns still work. Please call support.</source>
        <translation>摄像头离线，本柜暂停投递。退件仍可取回。请联系客服。</translation>
    </message>
    <message>
        <source>That tracking number does not look right: use 4 to 40 letters, digits or '-'.</source>
        <translation>运单号格式不正确：请输入 4 到 40 位字母、数字或“-”。</translation>
    </message>
    <message>
        <source>The phone number must be 5 to 20 digits. Correct it, or leave it empty.</source>
        <translation>手机号须为 5 到 20 位数字。请更正，或留空。</translation>
    </message>
    <message>
        <source>This parcel is already in this cabinet. Check the tracking number.</source>
        <translation>该快递已在本柜中。请核对运单号。</translation>
    </message>
    <message>
        <source>Please check what you typed and try again.</source>
        <translation>请检查输入内容后重试。</translation>
    </message>
    <message>
        <source>No low box of size {size} or larger is free now. Go back and choose another size, or untick "Low box".</source>
        <translation>目前没有 {size} 号或更大的空闲低位格口。请返回选择其他尺寸，或取消勾选“低位格口”。</translation>
    </message>
    <message>
        <source>No box of size {size} or larger is free now. Go back and choose another size.</source>
        <translation>暂无 {size} 或更大的空闲格口。请返回选择其他尺寸。</translation>
    </message>
    <message>
        <source>Door {box} did not open, so the deposit was cancelled. Please try again; if it happens again, call support.</source>
        <translation>格口 {box} 的柜门未能打开，本次投递已取消。请重试；如再次发生，请联系客服。</translation>
    </message>
    <message>
        <source>Deposit cancelled. Box {box} is free again.</source>
        <translation>投递已取消，格口 {box} 已释放。</translation>
    </message>
    <message>
        <source>All returns collected. Thank you.</source>
        <translation>退件已全部取回，谢谢。</translation>
    </message>
    <message>
        <source>Box {box} is no longer locked. Nothing to do.</source>
        <translation>格口 {box} 已不再锁定，无需操作。</translation>
    </message>
    <message>
        <source>Box {box} unlocked — a new password was sent to your handheld.</source>
        <translation>格口 {box} 已解锁，新的取件码已发送到您的手持终端。</translation>
    </message>
    <message>
        <source>Door {box} did not open. The parcel is still inside: please call support.</source>
        <translation>格口 {box} 的柜门未能打开，快递仍在柜内：请联系客服。</translation>
    </message>
    <message>
        <source>The cabinet cannot save data right now, so nothing was changed.</source>
        <translation>快递柜暂时无法保存数据，未做任何更改。</translation>
    </message>
    <message>
        <source>A lock of the cabinet is not responding.</source>
        <translation>快递柜的一把门锁没有响应。</translation>
    </message>
    <message>
        <source>The cabinet could not do that right now.</source>
        <translation>快递柜暂时无法完成该操作。</translation>
    </message>
</context>
<context>
    <name>DoorScreen</name>
    <message>
        <source>Cancel this deposit</source>
        <translation>取消本次投递</translation>
    </message>
    <message>
        <source>Open the door again</source>
        <translation>重新开门</translation>
    </message>
    <message>
        <source>Parcel {tracking}</source>
        <translation>快递 {tracking}</translation>
    </message>
    <message>
        <source>Door {box} is open</source>
        <translation>格口 {box} 已打开</translation>
    </message>
    <message>
        <source>Take the parcel out and close the door</source>
        <translation>请取出快递并关好柜门</translation>
    </message>
    <message>
        <source>Deposit cancelled: the box is free again once its door is shut.</source>
        <translation>投递已取消：柜门关好后格口即释放。</translation>
    </message>
    <message>
        <source>No parcel detected in {box}</source>
        <translation>格口 {box} 内未检测到快递</translation>
    </message>
    <message>
        <source>The door closed but the box is empty. Open it again to put the parcel in, or cancel this deposit.</source>
        <translation>柜门已关闭，但格口是空的。请重新开门放入快递，或取消本次投递。</translation>
    </message>
    <message>
        <source>Put the parcel in and close the door</source>
        <translation>请放入快递并关好柜门</translation>
    </message>
    <message>
        <source>When the door is shut, the password goes to your handheld.</source>
        <translation>柜门关好后，取件码将发送到您的手持终端。</translation>
    </message>
</context>
<context>
    <name>FormScreen</name>
    <message>
        <source>Tracking number</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Not a tracking number. Hold the parcel label, or type it.</source>
        <translation>不是运单号。请对准包裹面单，或手动输入。</translation>
    </message>
    <message>
        <source>low box</source>
        <translation>低位格口</translation>
    </message>
    <message>
        <source>as on the label</source>
        <translation>与面单一致</translation>
    </message>
    <message>
        <source>Recipient's phone (optional)</source>
        <translation>收件人手机号（选填）</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>The recipient agreed to locker delivery</source>
        <translation>收件人已同意投递到快递柜</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Open a box</source>
        <translation>开箱投递</translation>
    </message>
    <message>
        <source>Read from the label. Check it, then tap Done.</source>
        <translation>已从面单读取。核对无误后点击“完成”。</translation>
    </message>
    <message>
        <source>A customer's pickup code, not a parcel label.</source>
        <translation>这是收件人的取件码，不是包裹面单。</translation>
    </message>
    <message>
        <source>Or hold the parcel's barcode to the camera</source>
        <translation>或将面单条码对准摄像头</translation>
    </message>
    <message>
        <source>Type the tracking number</source>
        <translation>输入运单号</translation>
    </message>
    <message>
        <source>Size {size}. Tap Done when it matches the label.</source>
        <translation>尺寸 {size}。与面单核对无误后点击“完成”。</translation>
    </message>
    <message>
        <source>Recipient's phone</source>
        <translation>收件人手机号</translation>
    </message>
    <message>
        <source>Optional: the recipient's mobile number.</source>
        <translation>选填：收件人的手机号码。</translation>
    </message>
    <message>
        <source>Parcel details</source>
        <translation>快递信息</translation>
    </message>
    <message>
        <source>Size {size}. Check, tick the recipient's consent, then open a box.</source>
        <translation>尺寸 {size}。请核对信息，勾选收件人同意，然后开箱投递。</translation>
    </message>
    <message>
        <source>tap to type</source>
        <translation>点击输入</translation>
    </message>
</context>
<context>
    <name>LockoutsScreen</name>
    <message>
        <source>Clear a lockout</source>
        <translation>解除锁定</translation>
    </message>
    <message>
        <source>These boxes locked after wrong passwords. Tap one to unlock it and send a new password to your handheld.</source>
        <translation>以下格口因取件码多次输错而锁定。点击即可解锁，并向您的手持终端发送新的取件码。</translation>
    </message>
    <message>
        <source>Back to menu</source>
        <translation>返回菜单</translation>
    </message>
    <message>
        <source>Box {box} · {tracking}
locked for {time} more — tap to unlock</source>
        <translation>格口 {box} · {tracking}
还将锁定 {time}，点击解锁</translation>
    </message>
    <message>
        <source>None of your parcels' boxes is locked.</source>
        <translation>您的快递所在格口均未锁定。</translation>
    </message>
</context>
<context>
    <name>LoginScreen</name>
    <message>
        <source>Courier login</source>
        <translation>快递员登录</translation>
    </message>
    <message>
        <source>Courier number</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>e.g. C1001</source>
        <translation>例如 C1001</translation>
    </message>
    <message>
        <source>Your PIN</source>
        <translation>您的密码</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Type your PIN, then tap Log in.</source>
        <translation>输入密码，然后点击“登录”。</translation>
    </message>
    <message>
        <source>Type your courier number, then tap Done.</source>
        <translation>输入工号，然后点击“完成”。</translation>
    </message>
    <message>
        <source>Courier number: {number}</source>
        <translation>工号：{number}</translation>
    </message>
</context>
<context>
    <name>MenuScreen</name>
    <message>
        <source>Hello, {name} ({number})</source>
        <translation>您好，{name}（{number}）</translation>
    </message>
    <message>
        <source>What would you like to do?</source>
        <translation>请选择要办理的业务</translation>
    </message>
    <message>
        <source>Deposit parcels</source>
        <translation>投递快递</translation>
    </message>
    <message>
        <source>Collect returns ({n})</source>
        <translation>取回退件（{n}）</translation>
    </message>
    <message>
        <source>Clear a lockout ({n})</source>
        <translation>解除锁定（{n}）</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>退出登录</translation>
    </message>
</context>
<context>
    <name>ReturnsScreen</name>
    <message>
        <source>Refused</source>
        <translation>已拒收</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>已超期</translation>
    </message>
    <message>
        <source>damaged</source>
        <translation>破损</translation>
    </message>
    <message>
        <source>wrong item</source>
        <translation>发错货</translation>
    </message>
    <message>
        <source>not ordered</source>
        <translation>未订购</translation>
    </message>
    <message>
        <source>other reason</source>
        <translation>其他原因</translation>
    </message>
    <message>
        <source>door closed without a choice</source>
        <translation>未选择即关门</translation>
    </message>
    <message>
        <source>Collect returns</source>
        <translation>取回退件</translation>
    </message>
    <message>
        <source>Parcels refused by the recipient or not collected in time.</source>
        <translation>收件人拒收或超期未取的快递。</translation>
    </message>
    <message>
        <source>Back to menu</source>
        <translation>返回菜单</translation>
    </message>
    <message>
        <source>Door {box} is open: take the parcel, close the door</source>
        <translation>格口 {box} 已打开：请取出快递并关好柜门</translation>
    </message>
    <message>
        <source>Open the next box ({box})</source>
        <translation>打开下一个格口（{box}）</translation>
    </message>
    <message>
        <source>Open the next box</source>
        <translation>打开下一个格口</translation>
    </message>
    <message>
        <source>{state}: {reason}</source>
        <translation>{state}：{reason}</translation>
    </message>
</context>
<context>
    <name>SentScreen</name>
    <message>
        <source>Password sent to your handheld</source>
        <translation>取件码已发送到您的手持终端</translation>
    </message>
    <message>
        <source>Forward it to the recipient. For safety it is never shown on this screen.</source>
        <translation>请转发给收件人。为保障安全，取件码不会在本屏幕上显示。</translation>
    </message>
    <message>
        <source>Box {box}</source>
        <translation>格口 {box}</translation>
    </message>
    <message>
        <source>Tracking number: {tracking}
Cabinet: {cabinet}</source>
        <translation>运单号：{tracking}
柜号：{cabinet}</translation>
    </message>
    <message>
        <source>Back to menu</source>
        <translation>返回菜单</translation>
    </message>
    <message>
        <source>Deposit another parcel</source>
        <translation>继续投递</translation>
    </message>
</context>
<context>
    <name>SizeScreen</name>
    <message>
        <source>Small</source>
        <translation>小格</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中格</translation>
    </message>
    <message>
        <source>Large</source>
        <translation>大格</translation>
    </message>
    <message>
        <source>Extra large</source>
        <translation>超大格</translation>
    </message>
    <message>
        <source>Choose the box size</source>
        <translation>选择格口尺寸</translation>
    </message>
    <message>
        <source>The smallest box that fits is used; if a size is full, a larger one is opened.</source>
        <translation>优先使用合适的最小格口；该尺寸已满时将打开更大的格口。</translation>
    </message>
    <message>
        <source>Low box: within reach from a wheelchair</source>
        <translation>低位格口：坐轮椅也够得到</translation>
    </message>
    <message>
        <source>No low box is free now. Untick "Low box" to use any box.</source>
        <translation>目前没有空闲的低位格口。取消勾选“低位格口”即可使用任意格口。</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>{n} free</source>
        <translation>空闲 {n} 个</translation>
    </message>
    <message>
        <source>Full: a larger box</source>
        <translation>已满，改用大一号</translation>
    </message>
    <message>
        <source>None free</source>
        <translation>无空闲</translation>
    </message>
    <message>
        <source>Every box is in use now. Please come back later or call support.</source>
        <translation>所有格口都已占用。请稍后再来，或联系客服。</translation>
    </message>
</context>
</TS>