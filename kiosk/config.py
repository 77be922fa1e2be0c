"""The cabinet's one TOML configuration file, loaded into frozen dataclasses.

A cabinet is configured once by a technician standing in front of it, often without a developer nearby, so
every mistake is reported as ``key.path: what is wrong`` and unknown keys (typos) are refused rather than
silently ignored. Every limit the design calls "configuration" (lockout, throttle, expiry, free period) is here.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

SIZES = ("S", "M", "L", "XL")
ALPHABETS = ("digits", "alnum")
# \Z, not $: "$" also matches before a trailing newline, which would let "A01\n" through as a box number.
BOX_NO = re.compile(r"^[A-Z]{0,2}[0-9]{1,3}\Z")
CABINET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}\Z")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")  # a TOML key that needs no quotes


class ConfigError(ValueError):
    """A configuration problem; the message starts with the key path."""


@dataclass(frozen=True)
class BoxConfig:
    no: str
    size: str
    lock: int  # lock channel (1-based); the hardware layer maps it to a board address or a GPIO pin
    sensor: int  # door sensor channel; defaults to the lock channel
    ir: bool  # has an "item inside" sensor
    accessible: bool  # within 380–1220 mm reach


@dataclass(frozen=True)
class PasswordConfig:
    alphabet: str = "digits"
    length: int = 6
    expiry_hours: float = 72.0


@dataclass(frozen=True)
class LockoutConfig:
    max_tries: int = 3
    minutes: float = 30.0


@dataclass(frozen=True)
class ThrottleConfig:
    """Terminal-wide: after ``free_failures`` failures within the window, each attempt waits longer."""

    free_failures: int = 10
    window_minutes: float = 10.0
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0


@dataclass(frozen=True)
class CourierConfig:
    pin_min_length: int = 6
    pin_max_failures: int = 5
    pin_lock_minutes: float = 15.0


@dataclass(frozen=True)
class UiConfig:
    language: str = "zh"  # first language on the screen; every screen can switch
    width: int = 1280
    height: int = 800
    inactivity_s: float = 60.0  # back to the home screen, unless a door is open
    support_phone: str = ""  # shown on every error screen
    maintainer_pin_hash: str = ""  # scrypt hash (kiosk maintainer-pin); empty = maintainer screen disabled
    maintainer_max_failures: int = 5
    maintainer_lock_minutes: float = 15.0


@dataclass(frozen=True)
class VideoConfig:
    """Recording of every transaction (DESIGN §5); sizes in MB, times in seconds."""

    enabled: bool = True
    dir: Path | None = None  # default: <data_dir>/video
    preroll_s: float = 5.0  # video kept from before a transaction starts
    postroll_s: float = 3.0  # recording goes on this long after the last door closed
    max_clip_s: float = 600.0  # a longer transaction continues in a new part
    retention_days: float = 30.0  # clips older than this are deleted (some cities ask 30 days; EU: days)
    quota_mb: int = 4096  # total size of clips kept; the oldest go first
    min_free_mb: int = 500  # never record into this reserve: the database and the audit log come first
    crf: int = 26
    preset: str = "veryfast"
    require_camera_for_deposit: bool = False  # refuse deposits while the camera is offline


@dataclass(frozen=True)
class MqttConfig:
    """The fleet broker (DESIGN §6). No host: no broker, the simulated handheld shows the messages."""

    host: str = ""
    port: int = 1883
    tls: bool = False
    ca_file: Path | None = None  # CA bundle for the broker's certificate (default: the system's)
    cert_file: Path | None = None  # client certificate (mutual TLS)
    key_file: Path | None = None
    username: str = ""
    password: str = ""
    keepalive_s: int = 30
    client_id: str = ""  # default "kiosk-<cabinet id>"
    command_key_file: Path | None = None  # hex HMAC-SHA256 key for remote commands; none = commands refused
    command_max_age_s: float = 60.0  # a signed command older (or newer) than this is refused
    status_interval_s: float = 60.0  # retained status refreshed this often (and on every change)

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class AudioConfig:
    """Spoken prompts for every step (accessibility). A person can mute or repeat for their own session."""

    enabled: bool = True
    engine: str = "espeak-ng"  # "espeak-ng" (speaks the screen's own translated text), "files" (recorded only), "none"
    volume: int = 80  # percent
    night_volume: int = 30  # percent, while night mode is on
    rate_wpm: int = 150
    voice_zh: str = "cmn"
    voice_en: str = "en"
    sounds_dir: Path | None = None  # recorded prompts that override speech: <dir>/<lang>/<prompt id>.wav


@dataclass(frozen=True)
class DisplayConfig:
    """Theme, text size and night mode. A person can pick high contrast or larger text for their session."""

    theme: str = "standard"  # "standard" or "contrast": the theme a session starts with
    text_scale: float = 1.0  # the text size a session starts with (the larger-text choice is 1.25x)
    night_start: str = "22:00"  # HH:MM local time; night_start == night_end: no night mode
    night_end: str = "06:00"
    night_brightness: int = 30  # percent of the backlight's maximum while night mode is on
    backlight: str = "auto"  # "auto" (first /sys/class/backlight device), a device path, or "none"


@dataclass(frozen=True)
class SupportConfig:
    """Where the maintainer's support bundle goes: the first mounted USB stick matching these globs."""

    usb_globs: tuple[str, ...] = ("/media/*/*", "/run/media/*/*", "/mnt/usb*")
    log_dir: Path | None = None  # default: <data_dir>/logs
    require_mount: bool = True  # only mount points count (an empty /mnt/usb is not a stick); false: any folder


PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


@dataclass(frozen=True)
class DeviceConfig:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HardwareConfig:
    locks: DeviceConfig = DeviceConfig("emulated")
    fingerprint: DeviceConfig = DeviceConfig("emulated")
    camera: DeviceConfig = DeviceConfig("synthetic")


@dataclass(frozen=True)
class Config:
    cabinet_id: str
    site: str
    address: str
    lat: float
    lon: float
    data_dir: Path
    secret_file: Path
    boxes: tuple[BoxConfig, ...]
    passwords: PasswordConfig = PasswordConfig()
    lockout: LockoutConfig = LockoutConfig()
    throttle: ThrottleConfig = ThrottleConfig()
    couriers: CourierConfig = CourierConfig()
    free_hours: float = 48.0
    hardware: HardwareConfig = HardwareConfig()
    ui: UiConfig = UiConfig()
    video: VideoConfig = VideoConfig()
    mqtt: MqttConfig = MqttConfig()
    audio: AudioConfig = AudioConfig()
    display: DisplayConfig = DisplayConfig()
    support: SupportConfig = SupportConfig()
    source: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    @property
    def video_dir(self) -> Path:
        return self.video.dir or self.data_dir / "video"

    @property
    def log_dir(self) -> Path:
        return self.support.log_dir or self.data_dir / "logs"

    def box(self, no: str) -> BoxConfig | None:
        return next((b for b in self.boxes if b.no == no), None)


DEVICE_KINDS = {
    "locks": ("emulated", "kerong", "gpio"),
    "fingerprint": ("emulated", "zfm", "none"),
    "camera": ("synthetic", "opencv", "none"),
}


def default_config_path() -> Path:
    """The commented simulated 24-box cabinet shipped in assets/."""
    return Path(str(resources.files("assets").joinpath("simulated.toml")))


def load(path: str | Path) -> Config:
    p = Path(path)
    try:
        p = p.expanduser()
        text = p.read_text(encoding="utf-8")
    except RuntimeError:  # "~user/..." naming no user
        raise ConfigError(f"config file {p}: its home directory cannot be determined") from None
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except OSError as e:
        raise ConfigError(f"config file {p} cannot be read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text (byte {e.start})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    except ValueError as e:  # an integer literal longer than Python converts (4300 digits)
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{p}: not valid TOML: arrays or tables nested too deep") from None
    return parse(raw, base_dir=p.resolve().parent, source=p)


def parse(raw: dict[str, Any], base_dir: Path, source: Path | None = None) -> Config:
    r = _Reader(raw, "")
    cab = r.table("cabinet")
    cabinet_id = cab.get("id", str, check=lambda v: bool(CABINET_ID.match(v)),
                         problem="must be 1–32 letters, digits, '-' or '_'")
    site = cab.get("site", str, check=bool, problem="must not be empty")
    address = cab.get("address", str, default="")
    lat = cab.get("lat", float, check=lambda v: -90 <= v <= 90, problem="must be between -90 and 90")
    lon = cab.get("lon", float, check=lambda v: -180 <= v <= 180, problem="must be between -180 and 180")
    data_dir = _path(cab.get("data_dir", str, check=bool, problem="must not be empty"), base_dir, "cabinet.data_dir")
    secret = cab.get("secret_file", str, default="")
    secret_file = _path(secret, base_dir, "cabinet.secret_file") if secret else data_dir / "cabinet.key"
    cab.done()

    pw = r.table("passwords", required=False)
    passwords = PasswordConfig(
        alphabet=pw.get("alphabet", str, default="digits", check=lambda v: v in ALPHABETS,
                        problem="must be 'digits' or 'alnum'"),
        length=pw.get("length", int, default=6, check=lambda v: v == 6,
                      problem="must be 6 (the patent's six-character password)"),
        expiry_hours=pw.get("expiry_hours", float, default=72.0, check=lambda v: v > 0, problem="must be > 0"),
    )
    pw.done()

    lo = r.table("lockout", required=False)
    lockout = LockoutConfig(
        max_tries=lo.get("max_tries", int, default=3, check=lambda v: 1 <= v <= 20, problem="must be 1–20"),
        minutes=lo.get("minutes", float, default=30.0, check=lambda v: v > 0, problem="must be > 0"),
    )
    lo.done()

    th = r.table("throttle", required=False)
    throttle = ThrottleConfig(
        free_failures=th.get("free_failures", int, default=10, check=lambda v: v >= 1, problem="must be ≥ 1"),
        window_minutes=th.get("window_minutes", float, default=10.0, check=lambda v: v > 0, problem="must be > 0"),
        base_delay_s=th.get("base_delay_s", float, default=2.0, check=lambda v: v > 0, problem="must be > 0"),
        max_delay_s=th.get("max_delay_s", float, default=60.0, check=lambda v: 0 < v <= 300,
                           problem="must be > 0 and ≤ 300 (longer would lock honest customers out)"),
    )
    th.done()
    if throttle.max_delay_s < throttle.base_delay_s:
        raise ConfigError("throttle.max_delay_s: must be ≥ throttle.base_delay_s")

    co = r.table("couriers", required=False)
    couriers = CourierConfig(
        pin_min_length=co.get("pin_min_length", int, default=6, check=lambda v: 4 <= v <= 12, problem="must be 4–12"),
        pin_max_failures=co.get("pin_max_failures", int, default=5, check=lambda v: v >= 1, problem="must be ≥ 1"),
        pin_lock_minutes=co.get("pin_lock_minutes", float, default=15.0, check=lambda v: v > 0, problem="must be > 0"),
    )
    co.done()

    st = r.table("storage", required=False)
    free_hours = st.get("free_hours", float, default=48.0, check=lambda v: v > 0, problem="must be > 0")
    st.done()

    boxes = _boxes(r)
    hardware = _hardware(r.table("hardware", required=False))
    ui = _ui(r.table("ui", required=False))
    video = _video(r.table("video", required=False), base_dir)
    mqtt = _mqtt(r.table("mqtt", required=False), base_dir)
    audio = _audio(r.table("audio", required=False), base_dir)
    display = _display(r.table("display", required=False))
    support = _support(r.table("support", required=False), base_dir)
    r.done()
    return Config(cabinet_id=cabinet_id, site=site, address=address, lat=lat, lon=lon, data_dir=data_dir,
                  secret_file=secret_file, boxes=boxes, passwords=passwords, lockout=lockout,
                  throttle=throttle, couriers=couriers, free_hours=free_hours, hardware=hardware, ui=ui,
                  video=video, mqtt=mqtt, audio=audio, display=display, support=support, source=source)


def _boxes(r: "_Reader") -> tuple[BoxConfig, ...]:
    items = r.array("boxes")
    boxes: list[BoxConfig] = []
    seen_no: dict[tuple[str, int], str] = {}
    seen_lock: dict[int, str] = {}
    for i, item in enumerate(items):
        b = _Reader(item, f"boxes[{i}]")
        no = b.get("no", str, check=lambda v: bool(BOX_NO.match(v)),
                   problem="must look like A01 (up to two capital letters, then 1–3 digits)")
        size = b.get("size", str, check=lambda v: v in SIZES, problem=f"must be one of {', '.join(SIZES)}")
        lock = b.get("lock", int, check=lambda v: 1 <= v <= 4096, problem="must be a channel 1–4096")
        sensor = b.get("sensor", int, default=lock, check=lambda v: 1 <= v <= 4096, problem="must be 1–4096")
        ir = b.get("ir", bool, default=False)
        accessible = b.get("accessible", bool, default=False)
        b.done()
        same = _box_key(no)  # "A1" and "A01" are one box to a customer typing it (kiosk.validate.box_key)
        if same in seen_no:
            raise ConfigError(f"boxes[{i}].no: box {no} is already defined at {seen_no[same]}")
        if lock in seen_lock:
            raise ConfigError(f"boxes[{i}].lock: channel {lock} is already used by box {seen_lock[lock]}")
        seen_no[same] = f"boxes[{i}]"
        seen_lock[lock] = no
        boxes.append(BoxConfig(no, size, lock, sensor, ir, accessible))
    if not boxes:
        raise ConfigError("boxes: a cabinet needs at least one box")
    return tuple(boxes)


def _box_key(no: str) -> tuple[str, int]:
    """A valid box number as the customer's keypad sees it: letters plus the number without leading zeros."""
    letters = no.rstrip("0123456789")
    return letters, int(no[len(letters):])


def _ui(u: "_Reader") -> UiConfig:
    cfg = UiConfig(
        language=u.get("language", str, default="zh", check=lambda v: v in ("zh", "en"), problem="must be 'zh' or 'en'"),
        width=u.get("width", int, default=1280, check=lambda v: 640 <= v <= 3840, problem="must be 640–3840"),
        height=u.get("height", int, default=800, check=lambda v: 400 <= v <= 2160, problem="must be 400–2160"),
        inactivity_s=u.get("inactivity_s", float, default=60.0, check=lambda v: 10 <= v <= 600,
                           problem="must be 10–600 seconds"),
        support_phone=u.get("support_phone", str, default=""),
        maintainer_pin_hash=u.get("maintainer_pin_hash", str, default="",
                                  check=lambda v: v == "" or v.startswith("scrypt$"),
                                  problem="must be a hash printed by `kiosk maintainer-pin`"),
        maintainer_max_failures=u.get("maintainer_max_failures", int, default=5, check=lambda v: v >= 1,
                                      problem="must be ≥ 1"),
        maintainer_lock_minutes=u.get("maintainer_lock_minutes", float, default=15.0, check=lambda v: v > 0,
                                      problem="must be > 0"),
    )
    u.done()
    return cfg


def _video(v: "_Reader", base_dir: Path) -> VideoConfig:
    positive = {"check": lambda x: x > 0, "problem": "must be > 0"}
    video_dir = v.get("dir", str, default="")
    cfg = VideoConfig(
        enabled=v.get("enabled", bool, default=True),
        dir=_path(video_dir, base_dir, "video.dir") if video_dir else None,
        preroll_s=v.get("preroll_s", float, default=5.0, check=lambda x: 0 <= x <= 60, problem="must be 0–60"),
        postroll_s=v.get("postroll_s", float, default=3.0, check=lambda x: 0 <= x <= 60, problem="must be 0–60"),
        max_clip_s=v.get("max_clip_s", float, default=600.0, check=lambda x: 10 <= x <= 3600,
                         problem="must be 10–3600"),
        retention_days=v.get("retention_days", float, default=30.0, **positive),
        quota_mb=v.get("quota_mb", int, default=4096, **positive),
        min_free_mb=v.get("min_free_mb", int, default=500, check=lambda x: x >= 50,
                          problem="must be ≥ 50 (the database and the audit log need room)"),
        crf=v.get("crf", int, default=26, check=lambda x: 0 <= x <= 51, problem="must be 0–51"),
        preset=v.get("preset", str, default="veryfast", check=lambda x: x in PRESETS,
                     problem=f"must be one of {', '.join(PRESETS)}"),
        require_camera_for_deposit=v.get("require_camera_for_deposit", bool, default=False),
    )
    v.done()
    return cfg


def _audio(a: "_Reader", base_dir: Path) -> AudioConfig:
    percent = {"check": lambda x: 0 <= x <= 100, "problem": "must be 0–100"}
    sounds = a.get("sounds_dir", str, default="")
    cfg = AudioConfig(
        enabled=a.get("enabled", bool, default=True),
        engine=a.get("engine", str, default="espeak-ng", check=lambda x: x in ("espeak-ng", "files", "none"),
                     problem="must be 'espeak-ng', 'files' or 'none'"),
        volume=a.get("volume", int, default=80, **percent),
        night_volume=a.get("night_volume", int, default=30, **percent),
        rate_wpm=a.get("rate_wpm", int, default=150, check=lambda x: 80 <= x <= 450, problem="must be 80–450"),
        voice_zh=a.get("voice_zh", str, default="cmn", check=_voice_ok, problem="must be an espeak-ng voice name"),
        voice_en=a.get("voice_en", str, default="en", check=_voice_ok, problem="must be an espeak-ng voice name"),
        sounds_dir=_path(sounds, base_dir, "audio.sounds_dir") if sounds else None,
    )
    a.done()
    return cfg


def _voice_ok(v: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_+-]{1,40}", v))


def _hhmm_ok(v: str) -> bool:
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", v)
    return m is not None


def _display(d: "_Reader") -> DisplayConfig:
    hhmm = {"check": _hhmm_ok, "problem": "must be HH:MM (24-hour clock)"}
    cfg = DisplayConfig(
        theme=d.get("theme", str, default="standard", check=lambda x: x in ("standard", "contrast"),
                    problem="must be 'standard' or 'contrast'"),
        text_scale=d.get("text_scale", float, default=1.0, check=lambda x: 0.8 <= x <= 1.6, problem="must be 0.8–1.6"),
        night_start=d.get("night_start", str, default="22:00", **hhmm),
        night_end=d.get("night_end", str, default="06:00", **hhmm),
        night_brightness=d.get("night_brightness", int, default=30, check=lambda x: 5 <= x <= 100,
                               problem="must be 5–100 (0 would look like a dead screen)"),
        backlight=d.get("backlight", str, default="auto"),
    )
    d.done()
    return cfg


def _support(s: "_Reader", base_dir: Path) -> SupportConfig:
    globs = s.get("usb_globs", list, default=["/media/*/*", "/run/media/*/*", "/mnt/usb*"],
                  check=lambda x: all(isinstance(g, str) and g.startswith("/") for g in x) and len(x) <= 20,
                  problem="must be a list of absolute path patterns")
    log_dir = s.get("log_dir", str, default="")
    cfg = SupportConfig(usb_globs=tuple(globs), log_dir=_path(log_dir, base_dir, "support.log_dir") if log_dir else None,
                        require_mount=s.get("require_mount", bool, default=True))
    s.done()
    return cfg


def _mqtt(m: "_Reader", base_dir: Path) -> MqttConfig:
    def file(key: str) -> Path | None:
        value = m.get(key, str, default="")
        return _path(value, base_dir, f"mqtt.{key}") if value else None

    cfg = MqttConfig(
        host=m.get("host", str, default=""),
        port=m.get("port", int, default=1883, check=lambda v: 1 <= v <= 65535, problem="must be 1–65535"),
        tls=m.get("tls", bool, default=False),
        ca_file=file("ca_file"), cert_file=file("cert_file"), key_file=file("key_file"),
        username=m.get("username", str, default=""),
        password=m.get("password", str, default=""),
        keepalive_s=m.get("keepalive_s", int, default=30, check=lambda v: 5 <= v <= 600, problem="must be 5–600"),
        client_id=m.get("client_id", str, default=""),
        command_key_file=file("command_key_file"),
        command_max_age_s=m.get("command_max_age_s", float, default=60.0, check=lambda v: 1 <= v <= 3600,
                                problem="must be 1–3600 seconds"),
        status_interval_s=m.get("status_interval_s", float, default=60.0, check=lambda v: 1 <= v <= 3600,
                                problem="must be 1–3600 seconds"),
    )
    m.done()
    if (cfg.cert_file is None) != (cfg.key_file is None):
        raise ConfigError("mqtt.cert_file: a client certificate needs both cert_file and key_file")
    if (cfg.ca_file or cfg.cert_file) and not cfg.tls:
        raise ConfigError("mqtt.tls: certificates are given, so set tls = true")
    return cfg


def _hardware(hw: "_Reader") -> HardwareConfig:
    devices: dict[str, DeviceConfig] = {}
    for name, kinds in DEVICE_KINDS.items():
        t = hw.table(name, required=False)
        kind = t.get("kind", str, default=kinds[0], check=lambda v, k=kinds: v in k,
                     problem=f"must be one of {', '.join(kinds)}")
        devices[name] = DeviceConfig(kind, t.rest())
    hw.done()
    return HardwareConfig(**devices)


def with_data_dir(text: str, data_dir: str) -> str:
    """The same config text with ``cabinet.data_dir`` pointed elsewhere, so demos, benchmarks and tests never
    touch a real cabinet's data."""
    text, n = re.subn(r'(?m)^(\s*data_dir\s*=\s*)"[^"]*"', lambda m: f'{m.group(1)}"{data_dir}"', text)
    if n != 1:
        raise ConfigError("cabinet.data_dir: expected exactly one data_dir line to point elsewhere")
    return text


def options_reader(options: dict[str, Any], path: str) -> "_Reader":
    """Lets a device driver validate its own ``[hardware.X]`` options with the same ``key: problem`` messages."""
    return _Reader(options, path)


def _path(value: str, base_dir: Path, key: str) -> Path:
    try:
        p = Path(value).expanduser()
    except RuntimeError:  # "~user/..." naming no user on this machine
        raise ConfigError(f"{key}: the home directory of {value.split('/', 1)[0]!r} cannot be determined") from None
    return p if p.is_absolute() else (base_dir / p)


class _Reader:
    """Reads one TOML table, remembering which keys were used so leftovers can be named as unknown."""

    _TYPES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "an array"}

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: must be a table")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        key = str(key)
        if not _BARE_KEY.match(key):  # "" or "a.b" as TOML writes them, so the path stays readable
            key = json.dumps(key, ensure_ascii=False)
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, typ: type, default: Any = ..., check: Callable[[Any], bool] | None = None,
            problem: str = "") -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise ConfigError(f"{self._key(key)}: missing (required)")
            return default
        v = self.data[key]
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            try:
                v = float(v)
            except OverflowError:
                raise ConfigError(f"{self._key(key)}: must be a finite number, got an integer too large "
                                  "for one") from None
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise ConfigError(f"{self._key(key)}: must be {self._TYPES[typ]}, got {v!r}")
        if typ is float and not math.isfinite(v):
            raise ConfigError(f"{self._key(key)}: must be a finite number, got {v!r}")
        if check is not None and not check(v):
            raise ConfigError(f"{self._key(key)}: {problem}, got {v!r}")
        return v

    def table(self, key: str, required: bool = True) -> "_Reader":
        self.used.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self._key(key)}: missing table [{self._key(key)}]")
            return _Reader({}, self._key(key))
        return _Reader(self.data[key], self._key(key))

    def array(self, key: str) -> list[Any]:
        self.used.add(key)
        v = self.data.get(key)
        if v is None:
            raise ConfigError(f"{self._key(key)}: missing (required)")
        if not isinstance(v, list):
            raise ConfigError(f"{self._key(key)}: must be an array of tables")
        return v

    def rest(self) -> dict[str, Any]:
        """The keys not read yet, handed to a device driver that validates its own options."""
        out = {k: v for k, v in self.data.items() if k not in self.used}
        self.used.update(out)
        return out

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self._key(unknown[0])}: unknown key (check the spelling)")
