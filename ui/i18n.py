"""Chinese and English on every screen, with Qt Linguist catalogues.

Why Linguist: translators get .ts files they can open in Qt Linguist, and Qt switches language at run time by
sending every widget a LanguageChange event (each Screen re-reads its texts in ``retranslate()``). Source
strings are English; ``assets/i18n/<part>.zh_CN.ts`` hold the Chinese, compiled to ``.qm`` by
``pyside6-lrelease`` (tests/ui/test_i18n.py checks every message is translated and every .qm is current).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QTranslator

LANGUAGES = {"zh": "zh_CN", "en": "en"}
LABELS = {"zh": "中文", "en": "English"}  # shown on the language button in its own language


def catalogue_dir() -> Path:
    return Path(str(resources.files("assets").joinpath("i18n")))


class Languages:
    """Installs the catalogues of one language at a time."""

    def __init__(self) -> None:
        self.current = "en"
        self._installed: list[QTranslator] = []

    def set(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        app = QCoreApplication.instance()
        # Every catalogue on the app, also those a previous kiosk in this process installed.
        for t in set(self._installed) | set(app.findChildren(QTranslator)):
            app.removeTranslator(t)
            t.deleteLater()
        self._installed = []
        if lang != "en":
            for qm in sorted(catalogue_dir().glob(f"*.{LANGUAGES[lang]}.qm")):
                t = QTranslator(app)
                if not t.load(str(qm)):
                    raise RuntimeError(f"cannot load translation {qm}")
                app.installTranslator(t)
                self._installed.append(t)
        QLocale.setDefault(QLocale(LANGUAGES[lang]))
        self.current = lang
        # (Un)installing posted LanguageChange to every widget; deliver it now so the switch is one step.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)

    def other(self) -> str:
        return "en" if self.current == "zh" else "zh"
