<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>App</name>
    <message>
        <source>Finger not recognised. Try again, or use number + PIN.</source>
        <translation>指纹未识别。请重试，或使用工号 + 密码。</translation>
    </message>
</context>
<context>
    <name>CameraView</name>
    <message>
        <source>Camera offline</source>
        <translation>摄像头离线</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <source>Sorry, something went wrong</source>
        <translation>抱歉，出现了问题</translation>
    </message>
    <message>
        <source>Call support: {phone} (cabinet {id})</source>
        <translation>请联系客服：{phone}（柜号 {id}）</translation>
    </message>
    <message>
        <source>see the sticker on the cabinet</source>
        <translation>见柜体上的贴纸</translation>
    </message>
    <message>
        <source>Back to start</source>
        <translation>返回首页</translation>
    </message>
</context>
<context>
    <name>HomeScreen</name>
    <message>
        <source>Welcome to the parcel locker</source>
        <translation>欢迎使用智能快递柜</translation>
    </message>
    <message>
        <source>Pick up a parcel</source>
        <translation>取件</translation>
    </message>
    <message>
        <source>Courier: place your finger on the sensor</source>
        <translation>快递员：请将手指放在指纹识别器上</translation>
    </message>
    <message>
        <source>Courier number + PIN</source>
        <translation>快递员工号 + 密码</translation>
    </message>
    <message>
        <source>Maintenance</source>
        <translation>维护</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Normal colours</source>
        <translation>普通配色</translation>
    </message>
    <message>
        <source>High contrast</source>
        <translation>高对比度</translation>
    </message>
    <message>
        <source>Normal text</source>
        <translation>普通字体</translation>
    </message>
    <message>
        <source>Larger text</source>
        <translation>大字体</translation>
    </message>
</context>
<context>
    <name>SpeechButtons</name>
    <message>
        <source>Repeat</source>
        <translation>重听</translation>
    </message>
    <message>
        <source>Say this screen's instructions again</source>
        <translation>再播报一次本页的操作提示</translation>
    </message>
    <message>
        <source>Sound on</source>
        <translation>声音：开</translation>
    </message>
    <message>
        <source>Sound off</source>
        <translation>声音：关</translation>
    </message>
    <message>
        <source>Switch spoken instructions on or off</source>
        <translation>打开或关闭语音提示</translation>
    </message>
</context>
<context>
    <name>TextKeyboard</name>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
</context>
</TS>