"""langdetect, set up once and used deterministically.

Why: langdetect (the project's specified detector) samples n-grams at random; with the
module-level API each call builds a detector from a factory whose profile order comes
from ``os.listdir``. Here the factory loads the bundled profiles in sorted order once,
every detector gets the same seed, and we read the full probability vector so that
results are identical across runs and processes.
"""

from __future__ import annotations

import os
from functools import lru_cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

SEED = 0
N_TRIAL = 3  # langdetect's default is 7; 3 keeps the cost down with little loss on our samples


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.set_seed(SEED)
    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    profiles = []
    for name in names:
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as fh:
            profiles.append(fh.read())
    factory.load_json_profile(profiles)
    return factory


def langdetect_probabilities(text: str, n_trial: int = N_TRIAL) -> dict[str, float]:
    """langdetect's probability per language code ("zh-cn" -> "zh"); {} when it finds no features."""
    factory = _factory()
    detector = factory.create()
    detector.n_trial = n_trial
    detector.append(text)
    try:
        detector._detect_block()  # fills detector.langprob; public API drops probs < 0.1
    except LangDetectException:
        return {}
    result: dict[str, float] = {}
    for code, prob in zip(factory.get_lang_list(), detector.langprob or ()):
        key = code.split("-", 1)[0]
        result[key] = result.get(key, 0.0) + prob
    return result
