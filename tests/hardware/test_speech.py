"""The speaker with the real espeak-ng: WAVs it renders, the newest prompt killing the one speaking, no sound
device, no espeak-ng, recorded prompts first, volume and night volume, and a stop that joins its thread.

There is no sound card here (nor on CI), so "a sound device" is ALSA's null device, set up through an
.asoundrc in a HOME of the test's own (espeak-ng then synthesises and writes as it would to a speaker), and
"no sound device" is an ALSA card that does not exist with PulseAudio pointed nowhere (deterministic even on a
desktop with speakers).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import wave
from pathlib import Path

import pytest

from hardware.speech import Speaker, SpeechError, render
from kiosk.config import AudioConfig

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt install espeak-ng)")

EN = "Enter the box number and the password your courier sent you."
ZH = "请输入格口号和快递员发给您的取件码。"
LONG = "The quick brown fox jumps over the lazy dog. " * 1500  # seconds of synthesis: long enough to be killed


def audio_env(tmp_path: Path, device: bool) -> dict[str, str]:
    home = tmp_path / ("sound" if device else "nosound")
    home.mkdir(exist_ok=True)
    pcm = "type null" if device else "type hw\n card 29"  # card 29: there is no such card
    (home / ".asoundrc").write_text(f"pcm.!default {{\n {pcm}\n}}\n")
    return {**os.environ, "HOME": str(home), "PULSE_SERVER": f"unix:{tmp_path}/no-pulse", "XDG_RUNTIME_DIR": str(home)}


def read_wav(path: Path) -> tuple[int, float, int]:
    """Channels, seconds, loudest sample."""
    with wave.open(str(path)) as w:
        frames = w.readframes(w.getnframes())
        assert w.getsampwidth() == 2
        peak = max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True)) for i in range(0, len(frames), 64))
        return w.getnchannels(), w.getnframes() / w.getframerate(), peak


@pytest.mark.parametrize("lang,text", [("en", EN), ("zh", ZH)])
def test_render_writes_a_wav_as_long_as_the_sentence(tmp_path, lang, text):
    channels, seconds, peak = read_wav(render(text, lang, tmp_path / f"{lang}.wav"))
    assert channels == 1
    assert 1.5 < seconds < 10, seconds  # a dozen words / syllables at 150 wpm, not a click and not a minute
    assert peak > 1000  # speech, not silence
    _c, short, _p = read_wav(render(text[:8], lang, tmp_path / f"{lang}-short.wav"))
    assert short < seconds * 0.6  # the duration follows the text


def test_render_chinese_uses_the_chinese_voice(tmp_path):
    zh = render(ZH, "zh", tmp_path / "zh.wav").read_bytes()
    as_en = render(ZH, "en", tmp_path / "zh-as-en.wav").read_bytes()
    assert zh != as_en  # the mandarin voice reads the characters; the English voice spells their names


def test_render_volume_sets_the_amplitude(tmp_path):
    _c, _s, loud = read_wav(render(EN, "en", tmp_path / "loud.wav", volume=100))
    _c, _s, quiet = read_wav(render(EN, "en", tmp_path / "quiet.wav", volume=20))
    assert quiet < loud * 0.5


def test_render_without_espeak_or_with_a_bad_voice_raises(tmp_path):
    with pytest.raises(SpeechError, match="not found"):
        render(EN, "en", tmp_path / "x.wav", espeak="no-such-espeak-ng")
    with pytest.raises(SpeechError, match="could not render"):
        render(EN, "en", tmp_path / "y.wav", cfg=AudioConfig(voice_en="nosuchvoice"))


def test_a_prompt_plays_on_the_sound_device(tmp_path, caplog):
    sp = Speaker(AudioConfig(), env=audio_env(tmp_path, device=True))
    sp.start()
    try:
        with caplog.at_level(logging.WARNING, "hardware.speech"):
            sp.say("home", EN, "en")
            deadline = time.monotonic() + 10
            while sp.played < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert sp.played == 1
        assert not caplog.records
    finally:
        sp.stop()


def test_a_newer_prompt_kills_the_one_speaking(tmp_path):
    sp = Speaker(AudioConfig(), env=audio_env(tmp_path, device=True), max_chars=len(LONG))
    sp.start()
    try:
        sp.say("pickup", LONG, "en")
        deadline = time.monotonic() + 5
        while (old := sp.current_process()) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert old is not None and old.poll() is None, "espeak-ng should still be speaking the long prompt"
        t0 = time.monotonic()
        sp.say("pickup.check", "Box A01 is opening.", "en")
        assert time.monotonic() - t0 < 0.5  # the UI thread never waits for the sound (a signal, no wait)
        assert old.wait(timeout=2) < 0  # killed by a signal, not finished
        deadline = time.monotonic() + 10
        while sp.played < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sp.played == 1  # the short, newer prompt played; the stale one never finished
    finally:
        sp.stop()


def test_silence_kills_the_one_speaking_and_drops_the_queue(tmp_path):
    sp = Speaker(AudioConfig(), env=audio_env(tmp_path, device=True), max_chars=len(LONG))
    sp.start()
    try:
        sp.say("pickup", LONG, "en")
        deadline = time.monotonic() + 5
        while (proc := sp.current_process()) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc is not None
        sp.silence()
        assert proc.wait(timeout=2) < 0
        time.sleep(0.2)
        assert sp.current_process() is None and not sp.busy() and sp.played == 0
    finally:
        sp.stop()


def test_no_sound_device_logs_once_and_runs_on(tmp_path, caplog):
    sp = Speaker(AudioConfig(), env=audio_env(tmp_path, device=False))
    sp.start()
    try:
        with caplog.at_level(logging.WARNING, "hardware.speech"):
            for i in range(3):
                sp.say(f"p{i}", EN, "en")
                deadline = time.monotonic() + 5
                while sp.busy() and time.monotonic() < deadline:
                    time.sleep(0.01)
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 1, lines
        assert "cannot play prompts" in lines[0] and "silently" in lines[0]
        assert sp.played == 0
    finally:
        sp.stop()


def test_missing_espeak_is_one_log_line_and_no_exception(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, "hardware.speech"):
        sp = Speaker(AudioConfig(), espeak="no-such-espeak-ng")
        sp.start()
        try:
            sp.say("home", EN, "en")
            sp.say("pickup", EN, "en")
            time.sleep(0.1)
            assert sp.current_process() is None and sp.played == 0
        finally:
            sp.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "no-such-espeak-ng not found" in lines[0] and "apt install espeak-ng" in lines[0]


def test_stop_joins_the_thread_and_kills_the_speech(tmp_path):
    sp = Speaker(AudioConfig(), env=audio_env(tmp_path, device=True), max_chars=len(LONG))
    sp.start()
    assert any(t.name == "speaker" for t in threading.enumerate())
    sp.say("pickup", LONG, "en")
    deadline = time.monotonic() + 5
    while (proc := sp.current_process()) is None and time.monotonic() < deadline:
        time.sleep(0.005)
    t0 = time.monotonic()
    sp.stop()
    assert time.monotonic() - t0 < 2
    assert not any(t.name == "speaker" for t in threading.enumerate())
    assert proc is not None and proc.poll() is not None and proc.returncode < 0


def test_text_goes_on_stdin_and_volume_follows_day_and_night():
    sp = Speaker(AudioConfig(volume=80, night_volume=30, voice_zh="cmn", rate_wpm=140))
    text = '-w /tmp/owned "; rm -rf ~'
    argv, stdin = sp.command("home", text, "zh")
    assert stdin == text.encode() and text not in argv and "--stdin" in argv
    assert argv[argv.index("-v") + 1] == "cmn" and argv[argv.index("-s") + 1] == "140"
    assert argv[argv.index("-a") + 1] == "160"
    sp.set_night(True)
    assert sp.command("home", text, "zh")[0][argv.index("-a") + 1] == "60"
    sp.set_night(False)
    sp.set_volume(0)
    assert sp.command("home", text, "zh") is None  # volume 0: nothing runs at all
    assert Speaker(AudioConfig(engine="none")).command("home", text, "en") is None


def test_a_recorded_prompt_is_preferred_over_speech(tmp_path):
    sounds = tmp_path / "sounds"
    (sounds / "en").mkdir(parents=True)
    render("Welcome", "en", sounds / "en" / "home.wav")
    for engine in ("espeak-ng", "files"):
        sp = Speaker(AudioConfig(engine=engine, sounds_dir=sounds), players=("true",))  # `true` stands for aplay
        argv, stdin = sp.command("home", "Welcome to the parcel locker", "en")
        assert Path(argv[0]).name == "true" and argv[-1] == str(sounds / "en" / "home.wav") and stdin is None
        no_file = sp.command("home", "欢迎", "zh")  # no zh recording
        if engine == "files":
            assert no_file is None  # recorded prompts only
        else:
            assert no_file is not None and "cmn" in no_file[0]
    assert Speaker(AudioConfig(sounds_dir=sounds)).recorded("../en/home", "en") is None
