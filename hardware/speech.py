"""Spoken prompts: one thread owns the sound device and plays the newest prompt only (no Qt here).

Why it is built this way:

- Playing blocks (espeak-ng or a player runs until the sentence ends), and the touchscreen must never wait for
  a sentence, so the sound device belongs to one thread of its own. ``say()`` only hands over a request.
- A person who taps on must not hear the screen they left: a newer prompt replaces the one waiting *and* kills
  the process still speaking (from the caller's thread: a signal, never a wait). Requests carry a generation
  number, so a process the thread started just as a newer prompt arrived is killed at once too.
- Text reaches espeak-ng on stdin, never through a shell or as an argument: a tracking number or a courier
  message starting with "-" or holding quotes is spoken, not interpreted.
- A recorded prompt (``<sounds_dir>/<lang>/<prompt id>.wav``, played with paplay or aplay) beats synthetic
  speech in every mode: a cabinet's owner can replace any prompt with a human voice, file by file.
- No espeak-ng, or no sound device (a panel PC without speakers, CI): one clear log line and the kiosk runs on
  silently; the next prompt is still tried, so a speaker plugged in later just works (and says so in the log).
- ``render()`` writes a WAV with ``espeak-ng -w`` — for tests, and for pre-rendering prompts on a build machine.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import AudioConfig

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
PLAYERS = ("paplay", "aplay")  # PulseAudio/PipeWire first (it mixes), plain ALSA otherwise
MAX_TEXT = 2000  # characters; a prompt is a few sentences, anything longer is cut rather than read for minutes


class SpeechError(RuntimeError):
    """render() could not write the WAV (no espeak-ng, unknown voice, unwritable path)."""


@dataclass(frozen=True)
class _Request:
    gen: int
    prompt_id: str
    text: str
    lang: str


def amplitude(volume: int) -> int:
    """espeak-ng's -a runs 0–200 (100 is its default): 100 % volume is its loudest."""
    return max(0, min(200, round(volume * 2)))


def espeak_command(cfg: AudioConfig, lang: str, volume: int, espeak: str = ESPEAK) -> list[str]:
    """The espeak-ng argv for speaking stdin aloud in ``lang`` (``-w FILE`` is appended to render instead)."""
    voice = cfg.voice_zh if lang == "zh" else cfg.voice_en
    return [espeak, "-v", voice, "-s", str(cfg.rate_wpm), "-a", str(amplitude(volume)), "--stdin"]


def render(text: str, lang: str, wav_path: Path | str, cfg: AudioConfig | None = None, volume: int | None = None,
           espeak: str = ESPEAK, timeout_s: float = 60.0) -> Path:
    """Write ``text`` spoken in ``lang`` to ``wav_path`` (a RIFF WAV, mono 22050 Hz 16-bit from espeak-ng)."""
    cfg = cfg or AudioConfig()
    exe = shutil.which(espeak)
    if exe is None:
        raise SpeechError(f"{espeak} not found (install it: apt install espeak-ng)")
    path = Path(wav_path)
    argv = espeak_command(cfg, lang, cfg.volume if volume is None else volume, exe) + ["-w", str(path)]
    try:
        done = subprocess.run(argv, input=text[:MAX_TEXT].encode(), capture_output=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired as e:
        raise SpeechError(f"{espeak} did not finish rendering within {timeout_s:.0f} s") from e
    err = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or not path.is_file() or path.stat().st_size <= 44:
        raise SpeechError(f"{espeak} could not render {path}: {err or f'exit {done.returncode}'}")
    return path


class Speaker:
    """Plays one prompt at a time on its own thread; the newest prompt wins."""

    def __init__(self, cfg: AudioConfig, *, espeak: str = ESPEAK, players: tuple[str, ...] = PLAYERS,
                 env: dict[str, str] | None = None, max_chars: int = MAX_TEXT) -> None:
        self.cfg = cfg
        self.max_chars = max_chars
        self.engine = cfg.engine
        self.volume = cfg.volume
        self.night = False
        self._espeak = shutil.which(espeak) if self.engine == "espeak-ng" else None
        self._player = next((p for p in map(shutil.which, players) if p), None)
        self._env = env  # None: this process's environment (tests point HOME at a null ALSA device)
        self._cond = threading.Condition()
        self._pending: _Request | None = None
        self._gen = 0
        self._proc: subprocess.Popen | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._device_ok = True  # False after a failed play: logged once, until a play works again
        self.played: int = 0  # prompts that played to the end (a count for tests and the selftest)
        if self.engine == "espeak-ng" and self._espeak is None:
            log.warning("audio: %s not found (apt install espeak-ng): spoken prompts are off, the kiosk runs "
                        "on silently", espeak)

    # ---- control (any thread; never blocks on the sound) -------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Silence, end the thread and wait for it."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._kill()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("audio: speaker thread did not stop within %.0f s", timeout_s)
            self._thread = None

    def say(self, prompt_id: str, text: str, lang: str) -> None:
        """Speak this prompt now, replacing whatever is waiting or playing."""
        with self._cond:
            self._gen += 1
            self._pending = _Request(self._gen, prompt_id, text.strip()[:self.max_chars], lang)
            self._kill()
            self._cond.notify_all()

    def silence(self) -> None:
        """Stop speaking and drop the waiting prompt (a person muted the kiosk)."""
        with self._cond:
            self._gen += 1
            self._pending = None
            self._kill()

    def set_volume(self, volume: int) -> None:
        """Day volume, 0–100 % (applies from the next prompt)."""
        self.volume = max(0, min(100, int(volume)))

    def set_night(self, night: bool) -> None:
        """Night mode: prompts play at the config's night_volume."""
        self.night = bool(night)

    def effective_volume(self) -> int:
        return min(self.volume, self.cfg.night_volume) if self.night else self.volume

    def busy(self) -> bool:
        """A prompt is playing or waiting."""
        with self._cond:
            return self._pending is not None or (self._proc is not None and self._proc.poll() is None)

    def current_process(self) -> subprocess.Popen | None:
        with self._cond:
            return self._proc

    # ---- what plays -----------------------------------------------------------------------------------

    def recorded(self, prompt_id: str, lang: str) -> Path | None:
        """The recorded prompt for this id and language, if the cabinet has one."""
        d = self.cfg.sounds_dir
        if d is None or not prompt_id or "/" in prompt_id or prompt_id.startswith("."):
            return None
        p = d / lang / f"{prompt_id}.wav"
        return p if p.is_file() else None

    def command(self, prompt_id: str, text: str, lang: str) -> tuple[list[str], bytes | None] | None:
        """The argv (and stdin) that plays this prompt now, or None when nothing can or should play."""
        volume = self.effective_volume()
        if self.engine == "none" or volume <= 0:
            return None
        wav = self.recorded(prompt_id, lang)
        if wav is not None and self._player is not None:
            if Path(self._player).name == "paplay":
                return [self._player, f"--volume={round(65536 * volume / 100)}", str(wav)], None
            return [self._player, "-q", str(wav)], None  # aplay has no volume: the mixer's level applies
        if self.engine == "espeak-ng" and self._espeak is not None and text:
            return espeak_command(self.cfg, lang, volume, self._espeak), text.encode()
        return None

    # ---- the thread -----------------------------------------------------------------------------------

    def _kill(self) -> None:
        """Caller holds the lock. A signal only: the speaker thread reaps the process."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.kill()
            except OSError:
                pass  # ended just now

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                req, self._pending = self._pending, None
            try:
                self._play(req)
            except Exception:  # noqa: BLE001 - the speaker must outlive any one prompt
                log.exception("audio: prompt %s failed", req.prompt_id)

    def _play(self, req: _Request) -> None:
        plan = self.command(req.prompt_id, req.text, req.lang)
        if plan is None:
            return
        argv, stdin = plan
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self._env)
        except OSError as e:
            self._failed(f"{argv[0]} could not start: {e}")
            return
        with self._cond:
            self._proc = proc
            if req.gen != self._gen or self._stopping:
                self._kill()  # a newer prompt (or stop) came while this one was starting
        try:
            _out, err = proc.communicate(stdin)
        finally:
            with self._cond:
                if self._proc is proc:
                    self._proc = None
        if proc.returncode < 0:
            return  # killed: replaced by a newer prompt, muted or stopping
        text = err.decode(errors="replace")
        # espeak-ng exits 0 even when it cannot open the sound device; it says "error:" on stderr.
        if proc.returncode != 0 or "error" in text.lower():
            lines = [ln for ln in text.splitlines() if ln.strip()]
            self._failed(lines[-1] if lines else f"{Path(argv[0]).name} exited {proc.returncode}")
            return
        self.played += 1
        if not self._device_ok:
            self._device_ok = True
            log.warning("audio: sound works again; spoken prompts are on")

    def _failed(self, why: str) -> None:
        if self._device_ok:
            self._device_ok = False
            log.warning("audio: cannot play prompts (%s): no sound device? The kiosk runs on silently", why)
