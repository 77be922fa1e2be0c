"""kiosk/logfile.py: a rotating file in Config.log_dir beside stderr; an unwritable log dir is one warning."""

from __future__ import annotations

import dataclasses
import logging

from kiosk import logfile
from kiosk.config import default_config_path, load


def config_in(tmp_path, **support):
    cfg = load(default_config_path())
    return dataclasses.replace(cfg, data_dir=tmp_path / "data",
                               support=dataclasses.replace(cfg.support, **support))


def test_the_log_file_rotates_and_keeps_a_bounded_number_of_files(tmp_path, capsys):
    cfg = config_in(tmp_path)
    assert cfg.log_dir == tmp_path / "data" / "logs"  # the default: <data_dir>/logs
    handlers = logfile.setup(cfg, max_bytes=2000, backups=2)
    try:
        log = logging.getLogger("kiosk.test")
        for i in range(200):
            log.info("door A%02d closed, line %03d %s", i % 24, i, "x" * 40)
    finally:
        logfile.close(handlers)
    names = sorted(p.name for p in cfg.log_dir.iterdir())
    assert names == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    assert all((cfg.log_dir / n).stat().st_size <= 2000 for n in names)
    assert "line 199" in (cfg.log_dir / "kiosk.log").read_text()  # the newest is in the current file
    assert "line 199" in capsys.readouterr().err  # and on stderr, for journald
    assert not any(h in logging.getLogger().handlers for h in handlers)  # close() detached them


def test_an_unwritable_log_dir_is_one_warning_and_logging_goes_on_to_stderr(tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log directory should be")  # fails for root too, unlike chmod
    cfg = config_in(tmp_path, log_dir=blocker / "logs")
    handlers = logfile.setup(cfg)
    try:
        assert len(handlers) == 1  # stderr only
        logging.getLogger("kiosk.test").warning("still logging")
    finally:
        logfile.close(handlers)
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if "no log file" in line]
    assert len(warnings) == 1 and str(blocker / "logs" / "kiosk.log") in warnings[0]
    assert any("still logging" in line for line in err)
